// Layer-4 proxies side by side, in one run, in front of ONE redis-server (tcp-peers.mjs):
//   direct (redis-benchmark → redis) · HAProxy `mode tcp` · nginx `stream` · a bare node:net pipe()
//   relay (the runtime's floor, for reading ringleader's figures) · ringleader `tcp` service.
// Workloads, all with redis-benchmark (C, one thread, --csv: req/s and p99 per run):
//   GET and SET, 50 clients, -P 1 and -P 16 (3-byte values: the relay's per-request cost);
//   bulk: GET and SET of a 1 MB value, 10 clients (MB/s: redis hands over or takes a buffer it
//   already holds, so what is timed is moving the bytes through the relay).
// Each proxy is pinned to the proxy core; redis, redis-benchmark, ZooKeeper and this script share
// the load core. CPU µs per request is the proxy process's utime+stime delta (/proc) over the
// requests of the run. Rounds are interleaved (A B C … A B C …); min/median/max are kept.
// A report, not a test: the issue's target (≥ 0.8 × HAProxy's req/s, ≤ 1.5 × its CPU per
// request) is printed as pass/miss; nothing fails.
//
//   node test/bench/tcp-bench.mjs [--seconds 1.5] [--rounds 3]    (after `pnpm build`)

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { markdownTable, median, textTable } from './measure.mjs';
import {
  RINGLEADER_SERVICE,
  redisBenchmark,
  setValue,
  startHaproxyTcp,
  startNginxTcp,
  startNodePipe,
  startRedis,
  startRingleaderTcp,
} from './tcp-peers.mjs';
import { cpuSeconds, fmt, hasTaskset, load, parseArgs, pin, runQueueSeconds, which } from './util.mjs';

export const TCP_TARGETS = { rpsVsHaproxy: 0.8, cpuVsHaproxy: 1.5 };

const WORKLOADS = [
  {
    key: 'p1',
    label: 'GET/SET, 50 clients, no pipelining (-P 1)',
    clients: 50,
    pipeline: 1,
    size: 3,
    warmN: 20_000,
  },
  {
    key: 'p16',
    label: 'GET/SET, 50 clients, pipelining -P 16',
    clients: 50,
    pipeline: 16,
    size: 3,
    warmN: 100_000,
  },
  {
    key: 'bulk',
    label: 'bulk: GET/SET of a 1 MB value, 10 clients',
    clients: 10,
    pipeline: 1,
    size: 1e6,
    warmN: 200,
  },
];
const TESTS = ['set', 'get'];

/** One redis-benchmark run: { rps, avgMs, p50Ms, p95Ms, p99Ms, maxMs } from its --csv line. */
/** One timed run of `test` through `k`, with the proxy's and redis's CPU time over it. */
async function measureOne(k, wl, test, n, ctx) {
  // GET reads the key SET wrote (redis-benchmark's key without -r): give it this workload's size.
  if (test === 'get') await setValue(ctx.redis.port, 'key:__rand_int__', wl.size);
  const pids = k.pids();
  const cpu0 = cpuSeconds(pids);
  const wait0 = runQueueSeconds(pids);
  const redis0 = cpuSeconds([ctx.redis.pid]);
  const t0 = performance.now();
  let r;
  try {
    r = await redisBenchmark({ ...wl, port: k.port, test, n, cpu: ctx.loadCpu });
  } catch (err) {
    // A proxy that drops connections under load is a finding, not a reason to stop the run.
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
    mbPerS: (r.rps * wl.size) / 1e6,
    proxyCpuPct: cpuUsed === null ? null : (100 * cpuUsed) / wallS,
    proxyCpuUsPerReq: cpuUsed === null ? null : (cpuUsed * 1e6) / n,
    proxyWaitPct: pids.length ? (100 * (runQueueSeconds(pids) - wait0)) / wallS : null,
    redisCpuUsPerReq: ((cpuSeconds([ctx.redis.pid]) - redis0) * 1e6) / n,
    loadavg: load(),
  };
}

const spread = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined);
  return v.length ? { min: Math.min(...v), median: median(v), max: Math.max(...v) } : null;
};

export async function runTcpBench({ seconds = 1.5, rounds = 3 } = {}) {
  const n = cpus().length;
  const loadCpu = n >= 2 ? '0' : undefined;
  const proxyCpu = n >= 2 ? '1' : undefined;
  rounds = Math.max(1, Math.round(rounds));
  const notes = [];
  if (!hasTaskset) notes.push('taskset not found: nothing is pinned');
  if (n < 2) notes.push('one core: proxies and load share it');
  if (!which('redis-benchmark'))
    throw new Error('redis-benchmark is not installed (apt-get install redis-tools)');
  pin(process.pid, loadCpu); // redis and ZooKeeper inherit the load core
  const toStop = [];
  const skipped = [];
  try {
    const redis = await startRedis(loadCpu);
    toStop.push(redis);
    console.log(`${redis.version} on 127.0.0.1:${redis.port} (core ${loadCpu ?? 'any'})`);
    const cases = [{ key: 'direct', label: 'direct (no proxy)', port: redis.port, pids: () => [] }];
    for (const start of [startHaproxyTcp, startNginxTcp, startNodePipe, startRingleaderTcp]) {
      if (start === startRingleaderTcp)
        console.log('starting a one-node ringleader cluster (ZooKeeper + node) …');
      const p = await start(redis.port, proxyCpu);
      if (p.skipped) {
        skipped.push(p.skipped);
        console.log(`  note: ${p.skipped} — left out of the comparison`);
        continue;
      }
      toStop.push(p);
      cases.push({
        key: p.name.toLowerCase().replace(/[^a-z]+/g, '-'),
        label: p.name,
        version: p.version ?? null,
        port: p.port,
        pids: p.pids,
        log: p.log,
      });
      console.log(`  ${p.name} on 127.0.0.1:${p.port}: PING → +PONG`);
    }
    const ctx = { redis, loadCpu };
    const id = (wl, k, t) => `${wl.key}:${k.key}:${t}`;

    // Warm-up, which also sizes -n so that each timed run lasts about `seconds`.
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
              `  ▶ ${wl.key.padEnd(4)} ${k.label.padEnd(17)} ${t.toUpperCase()} ${fmt.int(x.rps).padStart(9)} req/s` +
                `${wl.size >= 1e5 ? ` (${fmt.int(x.mbPerS)} MB/s)` : ''}, p99 ${x.p99Ms.toFixed(2)} ms, ` +
                (x.proxyCpuUsPerReq === null
                  ? `redis ${fmt.f1(x.redisCpuUsPerReq)} µs/req`
                  : `proxy CPU ${fmt.int(x.proxyCpuPct)} % = ${fmt.f1(x.proxyCpuUsPerReq)} µs/req, waited ${fmt.int(x.proxyWaitPct)} %`),
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
            mbPerS: spread(all.map((x) => x.mbPerS)),
            p50Ms: spread(all.map((x) => x.p50Ms)),
            p99Ms: spread(all.map((x) => x.p99Ms)),
            proxyCpuPct: spread(all.map((x) => x.proxyCpuPct)),
            proxyCpuUsPerReq: spread(all.map((x) => x.proxyCpuUsPerReq)),
            proxyWaitPct: spread(all.map((x) => x.proxyWaitPct)),
            redisCpuUsPerReq: spread(all.map((x) => x.redisCpuUsPerReq)),
            failedRuns: every.length - all.length,
            rounds: every,
          });
        }
    return analyse(rows, { seconds, rounds, loadCpu, proxyCpu, notes, skipped, redis });
  } finally {
    console.log('\nstopping proxies, redis and the ringleader cluster …');
    for (const p of toStop.reverse()) await p.stop().catch(() => {});
    pin(process.pid, `0-${n - 1}`);
  }
}

function analyse(rows, { seconds, rounds, loadCpu, proxyCpu, notes, skipped, redis }) {
  const verdicts = [];
  for (const r of rows) {
    const hap = rows.find((h) => h.key === 'haproxy' && h.workload === r.workload && h.test === r.test);
    const hapRps = hap?.rps?.median;
    const hapCpu = hap?.proxyCpuUsPerReq?.median;
    r.rpsVsHaproxy = hapRps && r.rps ? r.rps.median / hapRps : null;
    const cpu = r.proxyCpuUsPerReq?.median;
    r.cpuVsHaproxy = hapCpu && cpu ? cpu / hapCpu : null;
    if (r.key === 'ringleader' && hap) {
      // A run ringleader failed (connection dropped) counts against it.
      r.target = {
        rps: r.failedRuns === 0 && r.rpsVsHaproxy !== null && r.rpsVsHaproxy >= TCP_TARGETS.rpsVsHaproxy,
        cpu: r.cpuVsHaproxy !== null && r.cpuVsHaproxy <= TCP_TARGETS.cpuVsHaproxy,
      };
      verdicts.push(r);
    }
  }
  const worst = (f, pick) =>
    verdicts
      .filter((r) => f(r) !== null)
      .reduce((a, r) => (a === undefined || pick(f(r), f(a)) ? r : a), undefined);
  const lowRps = worst(
    (r) => r.rpsVsHaproxy,
    (x, y) => x < y,
  );
  const highCpu = worst(
    (r) => r.cpuVsHaproxy,
    (x, y) => x > y,
  );
  return {
    setup: {
      redis: `${redis.version}, --save '' --appendonly no, pinned with the load generator`,
      loadGenerator: 'redis-benchmark (one thread), --csv',
      secondsPerRun: seconds,
      rounds,
      proxyCore: proxyCpu ?? 'unpinned',
      loadCore: loadCpu ?? 'unpinned',
      workloads: WORKLOADS.map((w) => `${w.key}: ${w.label} (-c ${w.clients} -P ${w.pipeline} -d ${w.size})`),
      haproxy: 'mode tcp, nbthread 1, TCP check every 2 s',
      nginx: 'stream module, 1 worker',
      nodePipe: 'node:net createServer + pipe() both ways, noDelay: the runtime floor, not a target',
      ringleader: `one node, one ZooKeeper server; service ${JSON.stringify(RINGLEADER_SERVICE('<port>'))}`,
      notes,
      skipped,
    },
    rows,
    targets: {
      target: `ringleader ≥ ${TCP_TARGETS.rpsVsHaproxy} × HAProxy's req/s and ≤ ${TCP_TARGETS.cpuVsHaproxy} × its CPU µs per request, every case (medians)`,
      worstRps: lowRps ? { case: `${lowRps.workload} ${lowRps.test}`, ratio: lowRps.rpsVsHaproxy } : null,
      worstCpu: highCpu ? { case: `${highCpu.workload} ${highCpu.test}`, ratio: highCpu.cpuVsHaproxy } : null,
      pass: verdicts.length ? verdicts.every((r) => r.target.rps && r.target.cpu) : null,
      failedRuns: Object.fromEntries(
        rows.filter((r) => r.failedRuns > 0).map((r) => [`${r.workload} ${r.test} ${r.key}`, r.failedRuns]),
      ),
    },
  };
}

const range = (s, f) => (s ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : '—');

/** One text/markdown table per workload. */
export function tcpTables(r) {
  return WORKLOADS.map((wl) => {
    const bulk = wl.size >= 1e5;
    return {
      title: `TCP ${wl.label} — median (min–max) of ${r.setup.rounds} rounds of ~${r.setup.secondsPerRun} s`,
      header: [
        'proxy',
        'test',
        bulk ? 'MB/s' : 'req/s',
        'p99 ms',
        'proxy CPU %',
        'waited %',
        'CPU µs/req',
        'redis µs/req',
        'failed runs',
        '× HAProxy req/s',
        '× HAProxy CPU',
        'target',
      ],
      rows: r.rows
        .filter((x) => x.workload === wl.key)
        .map((x) => [
          x.label,
          x.test.toUpperCase(),
          range(bulk ? x.mbPerS : x.rps, fmt.int),
          fmt.f2(x.p99Ms?.median),
          fmt.int(x.proxyCpuPct?.median),
          fmt.int(x.proxyWaitPct?.median),
          range(x.proxyCpuUsPerReq, bulk ? fmt.int : fmt.f1),
          bulk ? fmt.int(x.redisCpuUsPerReq?.median) : fmt.f1(x.redisCpuUsPerReq?.median),
          String(x.failedRuns),
          fmt.ratio(x.rpsVsHaproxy),
          fmt.ratio(x.cpuVsHaproxy),
          x.target
            ? `≥ ${TCP_TARGETS.rpsVsHaproxy}×: ${x.target.rps ? 'pass' : 'miss'}, ≤ ${TCP_TARGETS.cpuVsHaproxy}× CPU: ${x.target.cpu ? 'pass' : 'miss'}`
            : '',
        ]),
    };
  });
}

/** The verdict line: worst ratios of ringleader against HAProxy over every case. */
export function tcpVerdict(r) {
  const t = r.targets;
  if (t.pass === null)
    return `TCP target: n/a (${r.setup.skipped.join('; ') || 'no ringleader or HAProxy figures'})`;
  const failed = Object.entries(t.failedRuns ?? {});
  return (
    `TCP target (${t.target}): ${t.pass ? 'MET' : 'NOT MET'} — worst req/s ${fmt.ratio(t.worstRps?.ratio)} HAProxy (${t.worstRps?.case ?? '—'}), ` +
    `worst CPU/request ${fmt.ratio(t.worstCpu?.ratio)} HAProxy (${t.worstCpu?.case ?? '—'})` +
    (failed.length
      ? `; failed runs (connection errors): ${failed.map(([k, v]) => `${k} ×${v}`).join(', ')}`
      : '')
  );
}

// ------------------------------------------------------------------------- standalone
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2), { seconds: 1.5, rounds: 3 });
  } catch (err) {
    console.error(`tcp-bench: ${err.message}`);
    process.exit(2);
  }
  if (args.help) {
    console.log('node test/bench/tcp-bench.mjs [--seconds S per run] [--rounds N]   (pnpm build first)');
    process.exit(0);
  }
  const started = new Date().toISOString();
  const r = await runTcpBench(args);
  const tables = tcpTables(r);
  for (const t of tables) console.log(`\n${t.title}\n${textTable(t.header, t.rows)}`);
  console.log(`\n${tcpVerdict(r)}`);
  const outDir = new URL('../../bench-results/', import.meta.url);
  mkdirSync(outDir, { recursive: true });
  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
  writeFileSync(new URL('tcp.json', outDir), `${JSON.stringify({ started, machine, ...r }, null, 2)}\n`);
  writeFileSync(new URL('tcp.md', outDir), tcpMarkdown(r, started));
  console.log(`written: ${new URL('tcp.json', outDir).pathname}, tcp.md`);
  process.exit(0);
}

export function tcpMarkdown(r, started) {
  const setup = Object.entries(r.setup)
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `- ${k}: ${Array.isArray(v) ? v.join('; ') : v}`)
    .join('\n');
  const tables = tcpTables(r)
    .map((t) => `## ${t.title}\n\n${markdownTable(t.header, t.rows)}`)
    .join('\n\n');
  return `# TCP benchmark — ${started}\n\n${setup}\n\n${tables}\n\n${tcpVerdict(r)}\n`;
}
