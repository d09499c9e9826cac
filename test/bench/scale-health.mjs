// Active health checks of 10 000 live backends on one node: event-loop delay and CPU.
//
// A few "farm" processes each listen on thousands of loopback ports and answer every
// connection with `HTTP/1.1 200` (a live backend per port). One checker process, pinned to its
// own core, runs the node's real HealthChecker (built @ringleader/node, the HTTP probe, core's
// HealthTable) over all of them at the default interval, and reports from inside itself:
// event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution) and CPU (/proc/self/stat)
// over whole intervals after a warm-up interval, and the checks done. Modes, measured in the
// same run, one after the other:
//   before       one timer per backend, first checks within 10 % of the interval, next one
//                interval ± 10 % after each finish, and the node:http probe: the checker and
//                probe before this change, reproduced here over the same table;
//   timer+socket the same scheduling over today's socket probe (what the probe alone gains);
//   after        the heap scheduler (spread over the interval, bounded concurrency), all 10 000;
//   after k=2/3  the same, checking only this node's share under shared checking with k = 2
//                of N = 3 (CheckAssignment, the node's own rendezvous function).
// Target (issue 16): event-loop delay p99 ≤ 20 ms at 10 000 backends.
//
//   node test/bench/scale-health.mjs [--backends 10000] [--farms 4] [--seconds 6] [--interval 2000]
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { firstLine, fmt, parseArgs, sleep, spawnPinned } from './util.mjs';

export const SCALE_HEALTH_TARGETS = { eventLoopP99Ms: 20 };
const self = fileURLToPath(import.meta.url);
const REPLY = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');

// ------------------------------------------------------------------------- farm child
async function farm(count) {
  const ports = [];
  for (let i = 0; i < count; i++) {
    const server = createServer((sock) => {
      sock.once('data', () => sock.end(REPLY));
      sock.on('error', () => {});
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    ports.push(server.address().port);
  }
  process.stdout.write(`${JSON.stringify(ports)}\n`);
}

// ------------------------------------------------------------------------- checker child
function cpuMicros() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000; // USER_HZ 100
}

/** ns this process's main thread waited runnable for a CPU (other processes held its core). */
function runQueueNs() {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
  } catch {
    return Number.NaN;
  }
}

/** The probe before this change (node:http, copied from probe.ts as it was), for the baseline. */
function httpProbe(target, cfg) {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request({
      host: target.host,
      port: target.port,
      path: cfg.path,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'ringleader-health/1', connection: 'close', accept: '*/*' },
    });
    const timer = setTimeout(() => {
      done({ passed: false, detail: `no answer within ${cfg.timeoutMs} ms`, latencyMs: elapsed() });
      req.destroy();
    }, cfg.timeoutMs);
    req.once('error', (err) =>
      done({ passed: false, detail: err.code ?? err.message, latencyMs: elapsed() }),
    );
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.once('error', () => undefined);
      const passed = status >= cfg.expectStatus[0] && status <= cfg.expectStatus[1];
      done({ passed, detail: `status ${status}`, status, latencyMs: elapsed() });
    });
    req.end();
  });
}

/** The checker before the heap scheduler: one timer per backend (kept here as the baseline). */
function timerPerBackend({ table, probe, cfg, onResult }) {
  const timers = [];
  let stopped = false;
  const run = async (t) => {
    const r = await probe(t, cfg).catch((e) => ({ passed: false, detail: e.message, latencyMs: 0 }));
    if (stopped) return;
    table.recordCheck(t.id, r.passed, performance.now(), r.detail);
    onResult();
    const delay = Math.max(1, Math.round(cfg.intervalMs * (0.9 + 0.2 * Math.random())));
    timers.push(setTimeout(() => void run(t), delay));
  };
  return {
    start(targets) {
      for (const t of targets)
        timers.push(setTimeout(() => void run(t), Math.round(Math.random() * 0.1 * cfg.intervalMs)));
    },
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
    },
  };
}

async function checker(mode, targetsJson, intervalMs, seconds) {
  const { HealthTable } = await import('@ringleader/core');
  const { CheckAssignment, HealthChecker, probe } = await import('@ringleader/node');
  let targets = JSON.parse(targetsJson);
  if (mode === 'shared') {
    const a = new CheckAssignment(['lb-1', 'lb-2', 'lb-3'], 2);
    targets = targets.filter((t) => a.checks('lb-1', t.id));
  }
  const table = new HealthTable({
    healthCheck: { rise: 2, fall: 3 },
    outlier: { consecutiveFailures: 0, baseEjectionMs: 1000, maxEjectionMs: 1000 },
  });
  const cfg = { path: '/healthz', intervalMs, timeoutMs: 1000, expectStatus: [200, 399] };
  let checks = 0;
  let failed = 0;
  const count = () => checks++;
  let stop;
  if (mode === 'before' || mode === 'before-http') {
    table.sync(targets.map((t) => t.id));
    const c = timerPerBackend({ table, probe: mode === 'before' ? probe : httpProbe, cfg, onResult: count });
    c.start(targets);
    stop = () => c.stop();
  } else {
    const c = new HealthChecker({ table, config: cfg });
    c.onCheck((_id, r) => {
      count();
      if (!r.passed) failed++;
    });
    c.setBackends(targets);
    c.start();
    stop = () => c.stop();
  }
  // The first interval is the cold start (the "before" checker fires all its first checks in
  // it); measured separately, then whole intervals of steady state.
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await sleep(intervalMs);
  h.disable();
  const cold = { p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
  h.reset();
  const cpu0 = cpuMicros();
  const wait0 = runQueueNs();
  const checks0 = checks;
  const t0 = performance.now();
  h.enable();
  await sleep(seconds * 1000);
  h.disable();
  const wallS = (performance.now() - t0) / 1000;
  const cpuUs = cpuMicros() - cpu0;
  const waitS = (runQueueNs() - wait0) / 1e9;
  const done = checks - checks0;
  stop();
  const down = table.summary().filter((s) => s.check === 'down').length;
  process.stdout.write(
    `${JSON.stringify({
      mode,
      backends: targets.length,
      cold,
      p50Ms: h.percentile(50) / 1e6,
      p99Ms: h.percentile(99) / 1e6,
      maxMs: h.max / 1e6,
      checksPerS: done / wallS,
      cpuUsPerCheck: done > 0 ? cpuUs / done : null,
      cpuShare: cpuUs / 1e6 / wallS,
      waitShare: waitS / wallS,
      failed,
      down,
    })}\n`,
  );
  process.exit(0);
}

// ------------------------------------------------------------------------- parent
function collect(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.stderr.on('data', (c) => {
      err += c;
    });
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(`checker: ${err}`)),
    );
  });
}

export async function runScaleHealth({ backends = 10_000, farms = 4, seconds = 6, intervalMs = 2000 } = {}) {
  const per = Math.ceil(backends / farms);
  const farmProcs = [];
  const targets = [];
  try {
    for (let i = 0; i < farms; i++) {
      const p = spawnPinned('0', process.execPath, [
        self,
        '--farm',
        String(Math.min(per, backends - i * per)),
      ]);
      farmProcs.push(p);
      const ports = JSON.parse(await firstLine(p, 60_000, `farm ${i}`));
      for (const port of ports) targets.push({ id: `b${targets.length}`, host: '127.0.0.1', port });
    }
    const rows = [];
    for (const mode of ['before-http', 'before', 'after', 'shared']) {
      const child = spawnPinned(
        '1',
        process.execPath,
        [self, '--checker', mode, String(intervalMs), String(seconds)],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      child.stdin.end(JSON.stringify(targets));
      rows.push(await collect(child));
      await sleep(500); // TIME_WAIT and the farms settle between modes
    }
    return { backends: targets.length, farms, intervalMs, seconds, rows, targets: SCALE_HEALTH_TARGETS };
  } finally {
    await Promise.all(farmProcs.map((p) => p.stop()));
  }
}

const LABEL = {
  'before-http': 'before: timer per backend, node:http probe',
  before: 'timer per backend, socket probe',
  after: 'after: heap scheduler',
  shared: 'after, shared k=2 of N=3',
};

export function scaleHealthTable(r) {
  const t = r.targets.eventLoopP99Ms;
  return {
    title: `Active checks of ${r.backends} live backends (${r.farms} farm processes, interval ${r.intervalMs} ms; checker pinned to core 1)`,
    header: [
      'checker',
      'checked',
      'checks/s',
      'CPU µs/check',
      'CPU share',
      'waited for CPU',
      'loop p50 ms',
      'loop p99 ms',
      'loop max ms',
      'cold-start p99 / max ms',
      `target p99 ≤ ${t} ms`,
    ],
    rows: r.rows.map((x) => [
      LABEL[x.mode],
      String(x.backends),
      fmt.int(x.checksPerS),
      x.cpuUsPerCheck === null ? '—' : x.cpuUsPerCheck.toFixed(0),
      `${(x.cpuShare * 100).toFixed(0)} %`,
      Number.isNaN(x.waitShare) ? '—' : `${(x.waitShare * 100).toFixed(0)} %`,
      x.p50Ms.toFixed(1),
      x.p99Ms.toFixed(1),
      x.maxMs.toFixed(1),
      `${x.cold.p99Ms.toFixed(0)} / ${x.cold.maxMs.toFixed(0)}`,
      Math.max(x.p99Ms, x.cold.p99Ms) <= t ? 'pass' : 'miss',
    ]),
  };
}

// ------------------------------------------------------------------------- entry
const argv = process.argv.slice(2);
if (argv[0] === '--farm') await farm(Number(argv[1]));
else if (argv[0] === '--checker') {
  let input = '';
  process.stdin.setEncoding('utf8');
  for await (const c of process.stdin) input += c;
  await checker(argv[1], input, Number(argv[2]), Number(argv[3]));
} else if (process.argv[1] === self) {
  const a = parseArgs(argv, { backends: 10_000, farms: 4, seconds: 6, interval: 2000 });
  const r = await runScaleHealth({
    backends: a.backends,
    farms: a.farms,
    seconds: a.seconds,
    intervalMs: a.interval,
  });
  const { textTable } = await import('./measure.mjs');
  const t = scaleHealthTable(r);
  console.log(`${t.title}\n${textTable(t.header, t.rows)}`);
  console.log(JSON.stringify(r));
}
