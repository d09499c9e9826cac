// `pnpm bench`: builds (see package.json), then runs each benchmark against the
// built packages, prints tables and writes bench-results/<name>.json and .md, a summary
// (summary.md, summary.json) and a chart (proxies.svg). A report, not a test: targets are
// printed as pass/miss, nothing fails.
//
//   pnpm bench                                   everything (4–5 min on 2 cores)
//   pnpm bench -- --only proxy                   one part: core | proxy | workers | tcp | redis | propagation | failover | scale
//   pnpm bench -- --only propagation,failover    several
//   pnpm bench -- --duration 4 --kills 3 --writes 50     a quicker, rougher run
//   pnpm bench -- --only summary                 no run: rebuild summary and chart from bench-results/
// Flags: --duration S (measured seconds per proxy, split over --rounds interleaved rounds),
// --warmup S, --rounds N, --connections N, --loadgen auto|wrk|autocannon, --kills N,
// --writes N, --session-timeout MS, --poll-ms MS, --tcp-seconds S (per redis-benchmark run of the tcp part),
// --redis-seconds S (per redis-benchmark run of the redis part).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CLUSTER_TARGETS, failoverTable, propagationTable, runClusterBench } from './cluster-bench.mjs';
import { markdownTable, textTable } from './measure.mjs';
import { proxyTables, runProxyBench } from './proxy-bench.mjs';
import { REDIS_TARGETS, redisMarkdown, redisTables, redisVerdict, runRedisBench } from './redis-bench.mjs';
import { runScaleNodes, runScaleSimulation, scaleTables } from './scale-bench.mjs';
import { proxiesSvg } from './svg.mjs';
import { runTcpBench, TCP_TARGETS, tcpMarkdown, tcpTables, tcpVerdict } from './tcp-bench.mjs';
import { fmt, load, parseArgs, readJsonIfThere, status, which } from './util.mjs';

const outDir = new URL('../../bench-results/', import.meta.url);
const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  platform: `${process.platform}-${process.arch}`,
  gcExposed: typeof globalThis.gc === 'function',
  memGiB: Math.round(totalmem() / 2 ** 30),
};
const f1 = (x) => (x === null ? '—' : x.toFixed(1));

function coreTables(r) {
  const sizes = [...new Set(r.picks.map((p) => p.backends))];
  const policies = [...new Set(r.picks.map((p) => p.policy))];
  const at = (policy, n) => r.picks.find((p) => p.policy === policy && p.backends === n);
  const largest = sizes[sizes.length - 1];
  const picks = {
    header: [
      'policy',
      ...sizes.flatMap((n) => [`ns @${n}`, `×base @${n}`]),
      `median @${largest}`,
      `target @${largest}`,
      'status',
    ],
    rows: [
      [
        'baseline (array[counter])',
        ...sizes.flatMap((n) => [f1(at(policies[0], n).baselineNs), '1.0']),
        f1(at(policies[0], largest).baselineMedianNs),
        '',
        '',
      ],
      ...policies.map((p) => {
        const target = r.targets.pickNs[p];
        const worst = at(p, largest).ns;
        return [
          p,
          ...sizes.flatMap((n) => [f1(at(p, n).ns), at(p, n).ratio.toFixed(1)]),
          f1(at(p, largest).medianNs),
          target === undefined ? '—' : `≤ ${target} ns`,
          target === undefined ? '' : worst <= target ? 'pass' : 'miss',
        ];
      }),
    ],
  };
  const rebuild = {
    header: ['rebuild', 'first (cold) ms', 'best ms', 'median ms', 'target', 'status'],
    rows: r.rebuild.map((b) => [
      b.structure,
      f1(b.cold),
      f1(b.best),
      f1(b.median),
      `≤ ${r.targets.rebuildMs} ms`,
      b.best <= r.targets.rebuildMs ? 'pass' : 'miss',
    ]),
  };
  const hashes = {
    header: ['hash function', ...r.hashes.keySets.map((k) => `ns/hash ${k}`)],
    rows: r.hashes.rows.map((row) => [row.hash, ...r.hashes.keySets.map((k) => f1(row[k]))]),
  };
  return { picks, rebuild, hashes };
}

const PARTS = ['core', 'proxy', 'workers', 'tcp', 'redis', 'propagation', 'failover', 'scale'];
const DEFAULTS = {
  only: PARTS.filter((p) => p !== 'scale').join(','),
  duration: 10,
  warmup: 2,
  rounds: 3,
  connections: 50,
  loadgen: 'auto',
  kills: 10,
  writes: 200,
  'session-timeout': 2000,
  'poll-ms': 10,
  'tcp-seconds': 1.5,
  'scale-sizes': '1000,5000,10000',
  'scale-changes': 20,
  'scale-poll-ms': 2,
  'sim-nodes': 50,
  'sim-backends': 10000,
  'sim-burst': 100,
  'scale-parts': 'nodes,simulation',
  'redis-seconds': 1.5,
};
let args;
try {
  args = parseArgs(process.argv.slice(2), DEFAULTS);
  for (const p of args.only.split(',').map((x) => x.trim())) {
    if (!PARTS.includes(p) && p !== 'summary')
      throw new Error(
        `--only ${p}: unknown part (parts: ${PARTS.join(', ')}, or summary: no run, rebuild the summary)`,
      );
  }
} catch (err) {
  console.error(`bench: ${err.message}`);
  process.exit(2);
}
if (args.help) {
  console.log(`pnpm bench [-- --only ${PARTS.join(',')}] [--duration S] [--warmup S] [--rounds N] [--connections N]
  [--loadgen auto|wrk|autocannon] [--kills N] [--writes N] [--session-timeout MS] [--poll-ms MS] [--tcp-seconds S] [--redis-seconds S]
defaults: ${JSON.stringify(DEFAULTS)}`);
  process.exit(0);
}
const only = new Set(args.only.split(',').map((x) => x.trim()));

mkdirSync(outDir, { recursive: true });
const started = new Date().toISOString();
const t0 = Date.now();
const loads = [];
const loadTimer = setInterval(() => loads.push(loadavg()[0]), 5000);
loadTimer.unref();
const tools = {
  wrk: which('wrk') ? spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0].trim() : null,
  haproxy: which('haproxy') ? 'installed' : null,
  nginx: which('nginx') ? 'installed' : null,
  taskset: which('taskset') ? 'installed' : null,
};
const banner = (s) => console.log(`\n${'='.repeat(78)}\n${s}\n${'='.repeat(78)}`);
const write = (name, obj, md) => {
  writeFileSync(
    new URL(`${name}.json`, outDir),
    `${JSON.stringify({ started, machine, ...obj }, null, 2)}\n`,
  );
  if (md) writeFileSync(new URL(`${name}.md`, outDir), md);
  console.log(`written: ${new URL(`${name}.json`, outDir).pathname}${md ? `, ${name}.md` : ''}`);
};
const mdTables = (tables) =>
  tables.map((t) => `## ${t.title}\n\n${markdownTable(t.header, t.rows)}`).join('\n\n');
const printTables = (tables) => {
  for (const t of tables) console.log(`\n${t.title}\n${textTable(t.header, t.rows)}`);
};
console.log(
  `ringleader benchmarks — ${started}\nmachine: ${machine.cores} × ${machine.cpu}, ${machine.memGiB} GiB, ` +
    `node ${machine.node}, ${machine.platform}; load average now ${load()}\nparts: ${[...only].join(', ')}; ` +
    `flags: ${JSON.stringify({ ...args, only: undefined })}`,
);

// ------------------------------------------------------------------------- core
let core;
if (only.has('core')) {
  banner('core: policy picks, hash functions, ring/maglev rebuild at 1k backends (in-process, ~20 s)');
  core = await runCoreInChild();
  const tables = coreTables(core);
  const intro = `core benchmark — ${started}, node ${machine.node}, ${machine.cores} × ${machine.cpu}`;
  const notes = [
    'ns per pick, best of 9 interleaved rounds (median at the largest size beside it): a fresh lazy',
    'RequestFacts per pick, keys cycling over 4096 requests; hash policies key on the client IP;',
    'weighted-round-robin uses weights 1–4, the others weight 1. Hash functions: ns per hash, best round.',
    `load average at the end: ${load()} (other processes share these cores)`,
  ];
  console.log(`\n${intro}\n\n${notes.join('\n')}\n`);
  for (const t of Object.values(tables)) console.log(`${textTable(t.header, t.rows)}\n`);
  write(
    'core',
    core,
    `# ${intro}\n\n${notes.join('\n')}\n\n${Object.values(tables)
      .map((t) => markdownTable(t.header, t.rows))
      .join('\n\n')}\n`,
  );
}

/** The core bench holds its event loop in timing loops: run it in a child and tick here. */
function runCoreInChild() {
  const child = spawn(
    process.execPath,
    ['--expose-gc', fileURLToPath(new URL('core-child.mjs', import.meta.url))],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  process.on('exit', () => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c) => {
    out += c;
  });
  const start = Date.now();
  const tick = setInterval(
    () =>
      console.log(
        `    ${Math.round((Date.now() - start) / 1000)} s  core timing loops running (results at the end), load ${load()}`,
      ),
    3000,
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      clearInterval(tick);
      if (code !== 0) reject(new Error(`core bench exited ${code}`));
      else resolve(JSON.parse(out));
    });
  });
}

// ------------------------------------------------------------------------- proxy
let proxy;
if (only.has('proxy')) {
  banner('proxy: throughput and latency per proxy, proxy on core 1, load on core 0');
  proxy = await runProxyBench({
    duration: args.duration,
    warmup: args.warmup,
    rounds: args.rounds,
    connections: args.connections,
    loadgen: args.loadgen,
  });
  const tables = proxyTables(proxy);
  printTables(tables);
  const setup = Object.entries(proxy.setup)
    .filter(([, v]) => !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `- ${k}: ${Array.isArray(v) ? v.join('; ') : v}`)
    .join('\n');
  write('proxy', proxy, `# Proxy benchmark — ${started}\n\n${setup}\n\n${mdTables(tables)}\n`);
}

// ------------------------------------------------------------------------- workers
if (only.has('workers')) {
  banner('workers: the proxy on one thread and on two, beside HAProxy nbthread 1 and 2 (nothing pinned)');
  const m = await import('./workers-bench.mjs');
  const r = await m.runWorkersBench({
    seconds: Math.max(2, Math.round(args.duration / args.rounds)),
    rounds: args.rounds,
    warmup: args.warmup,
    connections: args.connections,
    loadgen: args.loadgen,
  });
  const t = m.workersTables(r);
  printTables([t]);
  write('workers', r, `# Workers — ${started}\n\n${mdTables([t])}\n`);
}

// ------------------------------------------------------------------------- tcp
let tcp;
if (only.has('tcp')) {
  banner('tcp: redis-benchmark through HAProxy mode tcp, nginx stream and ringleader (proxy on core 1)');
  tcp = await runTcpBench({ seconds: args['tcp-seconds'], rounds: args.rounds });
  printTables(tcpTables(tcp));
  console.log(`\n${tcpVerdict(tcp)}`);
  write('tcp', tcp, tcpMarkdown(tcp, started));
}

// ------------------------------------------------------------------------- scale
if (only.has('scale'))
  await import('./scale-health.mjs').then(async (m) => {
    const r = await m.runScaleHealth();
    const t = m.scaleHealthTable(r);
    printTables([t]);
    write('scale-health', r, `# Health checks at scale — ${started}\n\n${mdTables([t])}\n`);
  });
// ------------------------------------------------------------------------- redis
let redis;
if (only.has('redis')) {
  banner(
    'redis: redis-benchmark through twemproxy and a ringleader redis service over 3 redis-servers (proxy on core 1)',
  );
  redis = await runRedisBench({ seconds: args['redis-seconds'], rounds: args.rounds });
  printTables(redisTables(redis));
  console.log(`\n${redisVerdict(redis)}`);
  write('redis', redis, redisMarkdown(redis, started));
}

// ------------------------------------------------------------------------- cluster
let cluster = {};
const clusterParts = ['propagation', 'failover'].filter((p) => only.has(p));
if (clusterParts.length > 0) {
  banner(`cluster: ${clusterParts.join(' and ')} on 3 ZooKeeper servers + 3 nodes`);
  cluster = await runClusterBench({
    parts: clusterParts,
    kills: args.kills,
    writes: args.writes,
    sessionTimeout: args['session-timeout'],
    pollMs: args['poll-ms'],
  });
  if (cluster.propagation) {
    const t = propagationTable(cluster.propagation);
    printTables([t]);
    write('propagation', cluster.propagation, `# Membership propagation — ${started}\n\n${mdTables([t])}\n`);
  }
  if (cluster.failover) {
    const t = failoverTable(cluster.failover);
    printTables([t]);
    const runs = {
      title: 'Each kill',
      header: ['kill', 'killed', 'new leader', 'epoch', 'kill → first success ms', 'failed polls'],
      rows: cluster.failover.runs.map((r) => [
        r.kill,
        r.killed,
        r.newLeader ?? '—',
        `${r.epochBefore} → ${r.epochAfter}`,
        fmt.int(r.failoverMs),
        r.failedRequests,
      ]),
    };
    write('failover', cluster.failover, `# Failover — ${started}\n\n${mdTables([t, runs])}\n`);
  }
}

// ------------------------------------------------------------------------- scale
if (only.has('scale')) {
  const parts = new Set(String(args['scale-parts']).split(','));
  banner('scale: 1k/5k/10k backends on 3 nodes; 50 simulated nodes on 3 ZooKeeper servers (issue 16)');
  const scale = {};
  if (parts.has('nodes'))
    scale.nodes = await runScaleNodes({
      sizes: String(args['scale-sizes']).split(',').map(Number),
      changes: args['scale-changes'],
      pollMs: args['scale-poll-ms'],
    });
  if (parts.has('simulation'))
    scale.simulation = await runScaleSimulation({
      simNodes: args['sim-nodes'],
      simBackends: args['sim-backends'],
      changes: args['scale-changes'],
      burst: args['sim-burst'],
    });
  const tables = scaleTables(scale);
  printTables(tables);
  write('scale', scale, `# Scale — ${started}\n\n${mdTables(tables)}\n`);
}

// ------------------------------------------------------------------------- summary
// Parts skipped in this run are taken from bench-results/ when an earlier run left them.
const earlier = (name) => {
  const j = readJsonIfThere(new URL(`${name}.json`, outDir));
  return j ? { ...j, from: j.started } : undefined;
};
const coreR = core ? { ...core, from: started } : earlier('core');
const proxyR = proxy ? { ...proxy, from: started } : earlier('proxy');
const propR = cluster.propagation ? { ...cluster.propagation, from: started } : earlier('propagation');
const failR = cluster.failover ? { ...cluster.failover, from: started } : earlier('failover');
const tcpR = tcp ? { ...tcp, from: started } : earlier('tcp');
const redisR = redis ? { ...redis, from: started } : earlier('redis');
const when = (r) => (r?.from && r.from !== started ? ` (earlier run ${r.from})` : '');

/** Ringleader's half-load p99 against the other proxies' (the same extra hop through this rig). */
function p99Beside(r) {
  const p99 = (key) => r.halfLoad.rows.find((h) => h.key === key)?.latencyUs.p99;
  const rl = p99('ringleader:round-robin');
  const others = [
    ['bare', 'bare'],
    ['haproxy', 'HAProxy'],
  ].filter(([k]) => p99(k) !== undefined);
  if (rl === undefined || others.length === 0) return '';
  const diff = (k) => (rl - p99(k)) / 1000;
  return ` (vs ${others.map(([k, name]) => `${name} ${diff(k) >= 0 ? '+' : ''}${fmt.f2(diff(k))} ms`).join(', ')})`;
}

const rows = [];
if (proxyR) {
  const t = proxyR.targets.throughput;
  rows.push([
    'ringleader throughput, every feature on, worst policy',
    `≥ 0.9 × bare @fastify/http-proxy`,
    `${fmt.f2(t.worstRatio)} × (${t.worstPolicy}); per CPU-second, worst policy: ${fmt.f2(t.worstCapacityVsBare)} ×${when(proxyR)}`,
    status(t.pass),
  ]);
  const o = proxyR.targets.p99Overhead;
  rows.push([
    `p99 overhead at half load (${proxyR.halfLoad.rate} req/s), ringleader − direct`,
    '≤ 1 ms',
    `${fmt.f2(o.ms)} ms${p99Beside(proxyR)}${when(proxyR)}`,
    status(o.pass),
  ]);
  const c = proxyR.targets.cpuVsHaproxy;
  if (c)
    rows.push([
      "HAProxy's CPU per request ÷ ringleader's (round-robin, every feature on)",
      '≥ 0.45 (stretch 0.6)',
      `${fmt.f2(c.ratio)} (reply-from engine ${fmt.f2(c.replyFromRatio)}; undici ÷ reply-from CPU ${fmt.f2(c.engineCpuRatio)})${when(proxyR)}`,
      status(c.pass),
    ]);
  const n = proxyR.targets.newConnection;
  if (n)
    rows.push([
      'ringleader req/s with a new connection per request (Connection: close)',
      '≥ 0.5 × HAProxy',
      `${fmt.f2(n.ratio)} × (reply-from engine ${fmt.f2(n.replyFromRatio)} ×)${when(proxyR)}`,
      status(n.pass),
    ]);
}
if (tcpR?.targets.pass !== null && tcpR?.targets.pass !== undefined) {
  const t = tcpR.targets;
  rows.push([
    'ringleader tcp service req/s (redis-benchmark; worst of GET/SET -P 1, -P 16, 1 MB)',
    `≥ ${TCP_TARGETS.rpsVsHaproxy} × HAProxy mode tcp`,
    `${fmt.f2(t.worstRps?.ratio)} × (${t.worstRps?.case ?? '—'})${when(tcpR)}`,
    status(t.worstRps ? t.worstRps.ratio >= TCP_TARGETS.rpsVsHaproxy : null),
  ]);
  rows.push([
    'ringleader tcp service CPU µs per request (worst case)',
    `≤ ${TCP_TARGETS.cpuVsHaproxy} × HAProxy mode tcp`,
    `${fmt.f2(t.worstCpu?.ratio)} × (${t.worstCpu?.case ?? '—'})${when(tcpR)}`,
    status(t.worstCpu ? t.worstCpu.ratio <= TCP_TARGETS.cpuVsHaproxy : null),
  ]);
}
if (redisR?.targets.pass !== null && redisR?.targets.pass !== undefined) {
  const t = redisR.targets;
  rows.push([
    'ringleader redis service req/s per core (redis-benchmark SET/GET; worst of -P 1, -P 16)',
    `≥ ${REDIS_TARGETS.p1} × twemproxy at -P 1, ≥ ${REDIS_TARGETS.p16} × at -P 16`,
    `${fmt.f2(t.worst?.ratio)} × (${t.worst?.case ?? '—'})${when(redisR)}`,
    status(t.pass),
  ]);
}
if (failR) {
  rows.push([
    `failover after leader SIGKILL (${failR.runs.length} kills), p50 / p90 / max`,
    `p50 ≤ ${failR.target.p50Ms} ms (session ${failR.sessionTimeoutMs} + ${CLUSTER_TARGETS.failoverSlackMs})`,
    `${fmt.int(failR.failoverMs.p50)} / ${fmt.int(failR.failoverMs.p90)} / ${fmt.int(failR.failoverMs.max)} ms${when(failR)}`,
    status(failR.target.pass),
  ]);
}
if (propR) {
  rows.push([
    `membership propagation to all 3 nodes (${propR.writes} writes), p50 / p99`,
    `p99 ≤ ${propR.target.p99Ms} ms`,
    `${fmt.f1(propR.nodes.p50)} / ${fmt.f1(propR.nodes.p99)} ms (/status); watchers ${fmt.f1(propR.watchers.p50)} / ${fmt.f1(propR.watchers.p99)} ms${when(propR)}`,
    status(propR.nodes.p99 <= propR.target.p99Ms),
  ]);
}
if (coreR) {
  for (const b of coreR.rebuild) {
    rows.push([
      `rebuild: ${b.structure}`,
      `≤ ${coreR.targets.rebuildMs} ms`,
      `best ${fmt.f1(b.best)} ms, median ${fmt.f1(b.median)} ms${when(coreR)}`,
      status(b.best <= coreR.targets.rebuildMs),
    ]);
  }
}
const elapsed = (Date.now() - t0) / 1000;
const loadDuring = loads.length ? loads : [loadavg()[0]];
const summary = {
  elapsedS: elapsed,
  loadAverage1m: { min: Math.min(...loadDuring), max: Math.max(...loadDuring), samples: loadDuring.length },
  tools,
  flags: args,
  targets: rows.map(([what, target, measured, st]) => ({ what, target, measured, status: st })),
};
const header = ['what', 'target', 'measured', 'status'];
const ranSomething = PARTS.some((p) => only.has(p));
const facts =
  `${machine.cores} × ${machine.cpu}, ${machine.memGiB} GiB, node ${machine.node}, ${machine.platform}; ` +
  (ranSomething
    ? `1-minute load average during the run ${fmt.f2(summary.loadAverage1m.min)}–${fmt.f2(summary.loadAverage1m.max)}; ` +
      `${Math.round(elapsed)} s`
    : 'nothing run: summary rebuilt from the results in bench-results/ (dates beside them)');
banner(`summary — ${facts}`);
console.log(textTable(header, rows));
write(
  'summary',
  summary,
  `# ringleader benchmark summary — ${started}\n\n${facts}\n\n${markdownTable(header, rows)}\n`,
);
if (proxyR) {
  const caption = `${proxyR.from.slice(0, 16).replace('T', ' ')} UTC · ${machine.cores} × ${machine.cpu} · node ${machine.node} · proxy pinned to core ${proxyR.setup.proxyCore}, ${proxyR.setup.loadGenerator} + 4 backends on core ${proxyR.setup.loadCore} · load avg ${proxyR.throughput[0]?.loadavg ?? ''}`;
  writeFileSync(new URL('proxies.svg', outDir), proxiesSvg(proxyR, caption));
  console.log(`written: ${new URL('proxies.svg', outDir).pathname}`);
}
