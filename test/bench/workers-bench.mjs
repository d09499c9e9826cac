// Every core: the HTTP proxy on one thread and on two, side by side in one run, against HAProxy
// with `nbthread 1` and `nbthread 2` over the same four backends. Nothing is pinned: a proxy on
// two threads needs both cores, so wrk (one thread), the backends and ZooKeeper share them with
// it, as they would on a real two-core LB host running its own load. Each case: a warm-up, then
// `rounds` interleaved slices (A B C D A B C D …), median kept. CPU µs per request is the proxy
// process's utime+stime delta (/proc, every thread) over the slice's requests. ringleader with
// two workers serves through `reusePort` listeners (one per worker thread); the spread of
// requests over its workers is read from /status (`workers[].requests`).
// A report, not a test: the issue's aim (more throughput from the second core, in proportion
// to what HAProxy gains from its second thread) is printed as a ratio; nothing fails.
//
//   node test/bench/workers-bench.mjs [--seconds 4] [--rounds 3] [--connections 64]   (after `pnpm build`)

import { pathToFileURL } from 'node:url';
import { closedLoop, pickLoadGenerator } from './loadgen.mjs';
import { markdownTable, median, textTable } from './measure.mjs';
import { startBackends, startHaproxy, startRingleader } from './proxies.mjs';
import { cpuSeconds, fmt, load, parseArgs } from './util.mjs';

async function slice(k, o) {
  const pids = k.pids();
  const cpu0 = cpuSeconds(pids);
  const before = k.perWorker ? await k.perWorker() : undefined;
  const r = await closedLoop({
    tool: o.tool,
    url: `${k.url}/bench`,
    seconds: o.seconds,
    connections: o.connections,
  });
  const cpu = cpuSeconds(pids) - cpu0;
  const after = k.perWorker ? await k.perWorker() : undefined;
  const spread = before && after ? after.map((n, i) => n - (before[i] ?? 0)) : undefined;
  return {
    rps: r.rps,
    requests: r.requests,
    errors: r.errors + r.non2xx,
    p99Ms: r.latencyUs.p99 === null ? null : r.latencyUs.p99 / 1000,
    cpuUs: r.requests > 0 ? (cpu * 1e6) / r.requests : null,
    cpuPct: (cpu / o.seconds) * 100,
    spread,
  };
}

export async function runWorkersBench(o) {
  const tool = pickLoadGenerator(o.loadgen ?? 'auto');
  const opts = { ...o, tool };
  const toStop = [];
  const cases = [];
  const notes = [];
  try {
    console.log('starting 4 backends …');
    const backends = await startBackends(4, undefined);
    toStop.push(...backends);
    for (const threads of [1, 2]) {
      const h = await startHaproxy(backends, undefined, { threads });
      if (h.skipped) {
        notes.push(h.skipped);
        break;
      }
      toStop.push(h);
      cases.push({
        key: `haproxy-${threads}`,
        proxy: 'HAProxy',
        threads,
        label: `HAProxy nbthread ${threads}`,
        url: h.url,
        pids: h.pids,
      });
    }
    for (const workers of [1, 2]) {
      console.log(`starting a one-node ringleader cluster with workers ${workers} …`);
      const rl = await startRingleader(backends, undefined, { workers });
      toStop.push(rl);
      const perWorker =
        workers > 1 ? async () => ((await rl.status()).workers ?? []).map((w) => w.requests) : undefined;
      cases.push({
        key: `ringleader-${workers}`,
        proxy: 'ringleader',
        threads: workers,
        label: `ringleader workers ${workers}`,
        url: rl.url,
        pids: rl.pids,
        perWorker,
      });
    }
    for (const k of cases) {
      console.log(`  warm-up ${k.label} (${o.warmup} s)`);
      await closedLoop({ tool, url: `${k.url}/bench`, seconds: o.warmup, connections: o.connections });
    }
    const slices = new Map(cases.map((k) => [k.key, []]));
    for (let r = 1; r <= o.rounds; r++) {
      console.log(`\n— round ${r}/${o.rounds}, load ${load()}`);
      for (const k of cases) {
        const s = await slice(k, opts);
        slices.get(k.key).push(s);
        console.log(
          `  ▶ ${k.label.padEnd(24)} ${fmt.int(s.rps).padStart(7)} req/s, p99 ${s.p99Ms?.toFixed(2)} ms, ` +
            `CPU ${Math.round(s.cpuPct)} % = ${s.cpuUs?.toFixed(1)} µs/req${s.spread ? `, per worker ${s.spread.join(' / ')}` : ''}`,
        );
      }
    }
    const rows = cases.map((k) => {
      const xs = slices.get(k.key);
      const pick = (f) => median(xs.map(f).filter((v) => v !== null && v !== undefined));
      return {
        key: k.key,
        proxy: k.proxy,
        threads: k.threads,
        label: k.label,
        rps: pick((s) => s.rps),
        rpsMin: Math.min(...xs.map((s) => s.rps)),
        rpsMax: Math.max(...xs.map((s) => s.rps)),
        p99Ms: pick((s) => s.p99Ms),
        cpuUs: pick((s) => s.cpuUs),
        cpuPct: pick((s) => s.cpuPct),
        errors: xs.reduce((a, s) => a + s.errors, 0),
        spread: xs.at(-1)?.spread,
      };
    });
    return { rows, notes, seconds: o.seconds, rounds: o.rounds, connections: o.connections, tool };
  } finally {
    for (const p of toStop.reverse()) await p.stop?.().catch(() => {});
  }
}

export function workersTables(res) {
  const by = new Map(res.rows.map((r) => [r.key, r]));
  const header = [
    'proxy',
    'threads',
    'req/s',
    'p99 ms',
    'CPU %',
    'CPU µs/req',
    'errors',
    '× own 1 thread',
    '× HAProxy same threads',
    'per worker (last round)',
  ];
  const rows = res.rows.map((r) => {
    const one = by.get(`${r.proxy === 'HAProxy' ? 'haproxy' : 'ringleader'}-1`);
    const peer = by.get(`haproxy-${r.threads}`);
    return [
      r.proxy,
      String(r.threads),
      `${fmt.int(r.rps)} (${fmt.int(r.rpsMin)}–${fmt.int(r.rpsMax)})`,
      r.p99Ms?.toFixed(2) ?? '—',
      String(Math.round(r.cpuPct)),
      r.cpuUs?.toFixed(1) ?? '—',
      String(r.errors),
      one ? `${(r.rps / one.rps).toFixed(2)}×` : '—',
      peer ? `${(r.rps / peer.rps).toFixed(2)}×` : '—',
      r.spread ? r.spread.join(' / ') : '',
    ];
  });
  return {
    title: `HTTP proxy on 1 and 2 threads, ${res.connections} connections, median (min–max) of ${res.rounds} rounds of ${res.seconds} s`,
    header,
    rows,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = parseArgs(process.argv.slice(2), { seconds: 4, rounds: 3, warmup: 2, connections: 64 });
  const res = await runWorkersBench({
    seconds: Number(args.seconds),
    rounds: Number(args.rounds),
    warmup: Number(args.warmup),
    connections: Number(args.connections),
  });
  const t = workersTables(res);
  console.log(`\n${textTable(t.header, t.rows)}`);
  console.log(`\n${markdownTable(t.header, t.rows)}`);
  for (const n of res.notes) console.log(`note: ${n}`);
}
