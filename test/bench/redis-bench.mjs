// Key-aware Redis proxies side by side, in one run, over the SAME three redis-servers
// (redis-peers.mjs): direct (redis-benchmark → one redis: the rig's limit) · twemproxy
// (Debian's nutcracker, ketama, hash_tag "{}") · ringleader (a one-node cluster with a `redis`
// service, consistent-hash; left out with a note when the node reports it unsupported).
// Workloads: redis-benchmark SET and GET, 50 clients, -P 1 and -P 16, 3-byte values, keys
// spread with -r 100000 (so every proxy uses all three backends). The proxy is pinned to the
// proxy core; the redis-servers, redis-benchmark, ZooKeeper and this script share the load core.
// CPU µs per request is the proxy process's utime+stime delta (/proc) over the run's requests;
// "backend conns" counts the proxy's established connections to the three redis-servers
// mid-run (from /proc/<pid>/fd and /proc/net/tcp; for direct, redis-benchmark's).
// Rounds are interleaved (A B C … A B C …); min/median/max are kept. A report, not a test:
// the targets (ringleader ≥ 0.8 × twemproxy's req/s per core at -P 1, ≥ 0.5 × at
// -P 16) are printed as pass/miss; nothing fails.
//
//   node test/bench/redis-bench.mjs [--seconds 1.5] [--rounds 3]    (after `pnpm build`)

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { markdownTable, median, textTable } from './measure.mjs';
import {
  backendConnections,
  RINGLEADER_REDIS_SERVICE,
  startRingleaderRedis,
  startTwemproxy,
} from './redis-peers.mjs';
import { redisBenchmark, startRedis } from './tcp-peers.mjs';
import { cpuSeconds, fmt, hasTaskset, load, parseArgs, pin, which } from './util.mjs';

export const REDIS_TARGETS = { p1: 0.8, p16: 0.5 };
const WORKLOADS = [
  { key: 'p1', label: 'SET/GET, 50 clients, no pipelining (-P 1)', clients: 50, pipeline: 1, warmN: 20_000 },
  { key: 'p16', label: 'SET/GET, 50 clients, pipelining -P 16', clients: 50, pipeline: 16, warmN: 100_000 },
];
const TESTS = ['set', 'get'];
const KEYSPACE = 100_000;

async function measureOne(k, wl, test, n, ctx) {
  const pids = k.pids();
  const cpu0 = cpuSeconds(pids);
  const redis0 = cpuSeconds(ctx.redis.map((r) => r.pid));
  const t0 = performance.now();
  // Mid-run (about a third of a timed run), the connections to the redis-servers that the
  // proxy holds (for direct: that redis-benchmark holds).
  const during = async (benchPid) => {
    await new Promise((r) => setTimeout(r, Math.min(400, ctx.seconds * 300)));
    return backendConnections(
      pids.length ? pids : [benchPid],
      ctx.redis.map((x) => x.port),
    );
  };
  let r;
  try {
    const run = await redisBenchmark({
      ...wl,
      port: k.port,
      test,
      n,
      cpu: ctx.loadCpu,
      keyspace: KEYSPACE,
      during,
    });
    r = { ...run, backendConns: run.during };
  } catch (err) {
    const error = err.message.split('\n').filter(Boolean).slice(0, 2).join(' ');
    console.log(`  ✗ ${wl.key} ${k.label} ${test.toUpperCase()} failed: ${error}${k.log?.() ?? ''}`);
    return { error, requests: n, loadavg: load() };
  }
  const wallS = (performance.now() - t0) / 1000;
  const cpuUsed = pids.length ? cpuSeconds(pids) - cpu0 : null;
  return {
    ...r,
    requests: n,
    wallS,
    proxyCpuPct: cpuUsed === null ? null : (100 * cpuUsed) / wallS,
    proxyCpuUsPerReq: cpuUsed === null ? null : (cpuUsed * 1e6) / n,
    redisCpuUsPerReq: ((cpuSeconds(ctx.redis.map((x) => x.pid)) - redis0) * 1e6) / n,
    loadavg: load(),
  };
}

const spread = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined);
  return v.length ? { min: Math.min(...v), median: median(v), max: Math.max(...v) } : null;
};

export async function runRedisBench({ seconds = 1.5, rounds = 3 } = {}) {
  const ncpu = cpus().length;
  const loadCpu = ncpu >= 2 ? '0' : undefined;
  const proxyCpu = ncpu >= 2 ? '1' : undefined;
  rounds = Math.max(1, Math.round(rounds));
  const notes = [];
  if (!hasTaskset) notes.push('taskset not found: nothing is pinned');
  if (ncpu < 2) notes.push('one core: proxies and load share it');
  if (!which('redis-benchmark'))
    throw new Error('redis-benchmark is not installed (apt-get install redis-tools)');
  pin(process.pid, loadCpu);
  const toStop = [];
  const skipped = [];
  try {
    const redis = [];
    for (let i = 0; i < 3; i++) {
      const r = await startRedis(loadCpu);
      toStop.push(r);
      redis.push(r);
    }
    console.log(
      `${redis[0].version} ×3 on 127.0.0.1:${redis.map((r) => r.port).join(',')} (core ${loadCpu ?? 'any'})`,
    );
    const ports = redis.map((r) => r.port);
    const cases = [{ key: 'direct', label: 'direct (one redis)', port: ports[0], pids: () => [] }];
    for (const start of [startTwemproxy, startRingleaderRedis]) {
      if (start === startRingleaderRedis)
        console.log('starting a one-node ringleader cluster (ZooKeeper + node) …');
      const p = await start(ports, proxyCpu);
      if (p.skipped) {
        skipped.push(p.skipped);
        console.log(`  note: ${p.skipped} — left out of the comparison`);
        continue;
      }
      toStop.push(p);
      cases.push({
        key: p.name,
        label: p.name,
        version: p.version ?? null,
        port: p.port,
        pids: p.pids,
        log: p.log,
      });
      console.log(`  ${p.name} on 127.0.0.1:${p.port}: PING, SET and GET answered`);
    }
    const ctx = { redis, loadCpu, seconds };
    const id = (wl, k, t) => `${wl.key}:${k.key}:${t}`;
    console.log(
      `\nwarm-up and calibration (${cases.length} cases × ${WORKLOADS.length * TESTS.length} runs)`,
    );
    const sizes = new Map();
    for (const wl of WORKLOADS)
      for (const k of cases)
        for (const t of TESTS) {
          const w = await measureOne(k, wl, t, wl.warmN, ctx);
          sizes.set(id(wl, k, t), Math.max(wl.warmN, Math.round((w.rps ?? 0) * seconds)));
        }
    const samples = new Map();
    for (let r = 1; r <= rounds; r++) {
      console.log(`\n— round ${r}/${rounds}, load ${load()}`);
      for (const wl of WORKLOADS)
        for (const k of cases)
          for (const t of TESTS) {
            const x = await measureOne(k, wl, t, sizes.get(id(wl, k, t)), ctx);
            if (!samples.has(id(wl, k, t))) samples.set(id(wl, k, t), []);
            samples.get(id(wl, k, t)).push(x);
            if (x.error) continue;
            console.log(
              `  ▶ ${wl.key.padEnd(4)} ${k.label.padEnd(18)} ${t.toUpperCase()} ${fmt.int(x.rps).padStart(9)} req/s, p99 ${x.p99Ms.toFixed(2)} ms, ` +
                (x.proxyCpuUsPerReq === null
                  ? `redis ${fmt.f1(x.redisCpuUsPerReq)} µs/req`
                  : `proxy CPU ${fmt.int(x.proxyCpuPct)} % = ${fmt.f1(x.proxyCpuUsPerReq)} µs/req`) +
                `, backend conns ${x.backendConns ?? '—'}`,
            );
          }
    }
    const rows = [];
    for (const wl of WORKLOADS)
      for (const t of TESTS)
        for (const k of cases) {
          const every = samples.get(id(wl, k, t));
          const all = every.filter((x) => !x.error);
          rows.push({
            workload: wl.key,
            test: t,
            key: k.key,
            label: k.label,
            version: k.version ?? null,
            requestsPerRun: sizes.get(id(wl, k, t)),
            rps: spread(all.map((x) => x.rps)),
            p50Ms: spread(all.map((x) => x.p50Ms)),
            p99Ms: spread(all.map((x) => x.p99Ms)),
            proxyCpuPct: spread(all.map((x) => x.proxyCpuPct)),
            proxyCpuUsPerReq: spread(all.map((x) => x.proxyCpuUsPerReq)),
            redisCpuUsPerReq: spread(all.map((x) => x.redisCpuUsPerReq)),
            backendConns: spread(all.map((x) => x.backendConns)),
            failedRuns: every.length - all.length,
            rounds: every,
          });
        }
    return analyse(rows, { seconds, rounds, loadCpu, proxyCpu, notes, skipped, redis });
  } finally {
    console.log('\nstopping proxies, redis-servers and the ringleader cluster …');
    for (const p of toStop.reverse()) await p.stop().catch(() => {});
    pin(process.pid, `0-${ncpu - 1}`);
  }
}

function analyse(rows, { seconds, rounds, loadCpu, proxyCpu, notes, skipped, redis }) {
  const verdicts = [];
  for (const r of rows) {
    const tw = rows.find((h) => h.key === 'twemproxy' && h.workload === r.workload && h.test === r.test);
    r.rpsVsTwemproxy = tw?.rps && r.rps ? r.rps.median / tw.rps.median : null;
    const cpu = r.proxyCpuUsPerReq?.median;
    const twCpu = tw?.proxyCpuUsPerReq?.median;
    r.cpuVsTwemproxy = twCpu && cpu ? cpu / twCpu : null;
    if (r.key === 'ringleader' && tw) {
      r.target =
        r.failedRuns === 0 && r.rpsVsTwemproxy !== null && r.rpsVsTwemproxy >= REDIS_TARGETS[r.workload];
      verdicts.push(r);
    }
  }
  const worst = verdicts.reduce(
    (a, r) =>
      r.rpsVsTwemproxy !== null &&
      (a === undefined ||
        r.rpsVsTwemproxy / REDIS_TARGETS[r.workload] < a.rpsVsTwemproxy / REDIS_TARGETS[a.workload])
        ? r
        : a,
    undefined,
  );
  return {
    setup: {
      redis: `${redis[0].version} ×3, --save '' --appendonly no, pinned with the load generator`,
      loadGenerator: `redis-benchmark (one thread), --csv, -d 3, -r ${KEYSPACE}`,
      secondsPerRun: seconds,
      rounds,
      proxyCore: proxyCpu ?? 'unpinned',
      loadCore: loadCpu ?? 'unpinned',
      workloads: WORKLOADS.map((w) => `${w.key}: ${w.label} (-c ${w.clients} -P ${w.pipeline})`),
      twemproxy: 'nutcracker, one pool: fnv1a_64, ketama, hash_tag "{}", preconnect, auto_eject_hosts',
      ringleader: `one node, one ZooKeeper server; service ${JSON.stringify(RINGLEADER_REDIS_SERVICE('<port>'))} over the three`,
      notes,
      skipped,
    },
    rows,
    targets: {
      target: `ringleader ≥ ${REDIS_TARGETS.p1} × twemproxy's req/s at -P 1 and ≥ ${REDIS_TARGETS.p16} × at -P 16, one core each (medians)`,
      worst: worst ? { case: `${worst.workload} ${worst.test}`, ratio: worst.rpsVsTwemproxy } : null,
      pass: verdicts.length ? verdicts.every((r) => r.target) : null,
    },
  };
}

const range = (s, f) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '—');

export function redisTables(r) {
  return WORKLOADS.map((wl) => ({
    title: `Redis ${wl.label} — median (min–max) of ${r.setup.rounds} rounds of ~${r.setup.secondsPerRun} s`,
    header: [
      'proxy',
      'test',
      'req/s',
      'p99 ms',
      'proxy CPU %',
      'CPU µs/req',
      'redis µs/req',
      'backend conns',
      'failed runs',
      '× twemproxy req/s',
      '× twemproxy CPU',
      'target',
    ],
    rows: r.rows
      .filter((x) => x.workload === wl.key)
      .map((x) => [
        x.label,
        x.test.toUpperCase(),
        range(x.rps, fmt.int),
        fmt.f2(x.p99Ms?.median),
        fmt.int(x.proxyCpuPct?.median),
        range(x.proxyCpuUsPerReq, fmt.f1),
        fmt.f1(x.redisCpuUsPerReq?.median),
        fmt.int(x.backendConns?.median),
        String(x.failedRuns),
        fmt.ratio(x.rpsVsTwemproxy),
        fmt.ratio(x.cpuVsTwemproxy),
        x.target === undefined ? '' : `≥ ${REDIS_TARGETS[wl.key]}×: ${x.target ? 'pass' : 'miss'}`,
      ]),
  }));
}

export function redisVerdict(r) {
  const t = r.targets;
  if (t.pass === null)
    return `Redis target: n/a (${r.setup.skipped.join('; ') || 'no ringleader or twemproxy figures'})`;
  return `Redis target (${t.target}): ${t.pass ? 'MET' : 'NOT MET'} — worst ${fmt.ratio(t.worst?.ratio)} twemproxy (${t.worst?.case ?? '—'})`;
}

export function redisMarkdown(r, started) {
  const setup = Object.entries(r.setup)
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `- ${k}: ${Array.isArray(v) ? v.join('; ') : v}`)
    .join('\n');
  const tables = redisTables(r)
    .map((t) => `## ${t.title}\n\n${markdownTable(t.header, t.rows)}`)
    .join('\n\n');
  return `# Redis benchmark — ${started}\n\n${setup}\n\n${tables}\n\n${redisVerdict(r)}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), { seconds: 1.5, rounds: 3 });
  } catch (err) {
    console.error(`redis-bench: ${err.message}`);
    process.exit(2);
  }
  if (args.help) {
    console.log('node test/bench/redis-bench.mjs [--seconds S per run] [--rounds N]   (pnpm build first)');
    process.exit(0);
  }
  const started = new Date().toISOString();
  const r = await runRedisBench(args);
  for (const t of redisTables(r)) console.log(`\n${t.title}\n${textTable(t.header, t.rows)}`);
  console.log(`\n${redisVerdict(r)}`);
  const outDir = new URL('../../bench-results/', import.meta.url);
  mkdirSync(outDir, { recursive: true });
  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
  writeFileSync(new URL('redis.json', outDir), `${JSON.stringify({ started, machine, ...r }, null, 2)}\n`);
  writeFileSync(new URL('redis.md', outDir), redisMarkdown(r, started));
  console.log(`written: ${new URL('redis.json', outDir).pathname}, redis.md`);
  process.exit(0);
}
