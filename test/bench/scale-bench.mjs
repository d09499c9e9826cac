// Scale benchmark (issue 16): membership of 1k / 5k / 10k backends.
//   nodes:      one ZooKeeper server, three active-active node processes (consistent hashing,
//               active checks effectively off: intervalMs 1 h): initial sync after a node
//               (re)start (its own log's swap line, then /status checked), one added
//               backend in force on all three (p50/p99 over --changes, from the nodes' own
//               'routing snapshot swapped in' log lines, nobody polling; then again as seen
//               by polling /status), RSS per node over an empty node, and the nodes' CPU per
//               change from /proc.
//   simulation: a real 3-server ensemble and --sim-nodes in-process MembershipWatchers (the
//               real @ringleader/zk code, each with its own session): one change seen by all
//               (p50/p99), then a burst of --burst creates, with the servers' `mntr`
//               (outstanding requests, watch count, latency) sampled during it.
// A report, not a test: figures beside the targets, pass/miss.

import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { fourLetter, startLocalCluster, startZooKeeper } from '@ringleader/launcher';
import { ClusterAdmin, idLowerBound, MembershipWatcher, ZkSession } from '@ringleader/zk';
import { cpuSeconds, fmt, load, sleep, summarize } from './util.mjs';

export const SCALE_TARGETS = { syncMs: 3000, changeP99Ms: 100, rssKbPerBackend: 5, simP99Ms: 250 };

const HEALTH_OFF = { intervalMs: 3_600_000, timeoutMs: 1000 };
const CONFIG = {
  policy: 'consistent-hash',
  hash: { source: 'header', name: 'x-key' },
  healthCheck: HEALTH_OFF,
};

const rssKb = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
};

/** Creates backends `s-<from>`…`s-<to-1>` with at most `par` creates in flight. */
async function populate(session, admin, from, to, port, par = 200) {
  let next = from;
  const data = (i) => JSON.stringify({ host: '127.0.0.1', port, weight: 1, meta: { rack: `r${i % 16}` } });
  const worker = async () => {
    while (next < to) {
      const i = next++;
      await session.create(admin.paths.backend(`s-${String(i).padStart(5, '0')}`), data(i)).catch((err) => {
        if (err?.code !== 'RL_ZK_NODE_EXISTS') throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: par }, worker));
}

async function statusOf(node) {
  const r = await fetch(`${node.adminUrl}/status`, { signal: AbortSignal.timeout(5000) });
  return r.json();
}

/** ms from t0 until `pred(status)` holds on `node` (null after timeoutMs); polls every pollMs. */
async function pollStatus(node, pred, t0, timeoutMs, pollMs) {
  for (;;) {
    if (performance.now() - t0 > timeoutMs) return null;
    try {
      if (pred(await statusOf(node))) return performance.now() - t0;
    } catch {}
    await sleep(pollMs);
  }
}

const count = (s) => s.snapshot?.backends ?? 0;

async function nodeRss(c) {
  await sleep(1500); // let the start-up garbage go before reading RSS
  return c.nodes.map((n) => rssKb(n.pid));
}

/**
 * Restarts each node in turn; ms from the restart until its own log shows a routing snapshot
 * of `want` backends in force (then one /status read checks the operator's view agrees).
 * Timed from the log, not by polling /status: rendering a 10 000-row /status every 20 ms
 * slowed down the very sync it timed.
 */
async function syncTimes(c, want) {
  const out = [];
  for (const n of c.nodes) {
    const log = new SwapLog(n.logFile);
    log.read(); // to the end of the file: only the restarted process's lines are read while timing
    await n.kill('SIGKILL');
    const wall0 = Date.now();
    const t0 = performance.now();
    await n.restart();
    const up = performance.now() - t0;
    const at = await allSwapped([log], want, wall0, 60_000);
    const shown = await pollStatus(n, (s) => count(s) === want, performance.now(), 10_000, 50);
    out.push({
      node: n.id,
      processUpMs: up,
      allSeenMs: at === null ? null : at - wall0,
      statusAgrees: shown !== null,
    });
  }
  return out;
}

/**
 * Follows a node's log for 'routing snapshot swapped in' lines: the moment the node's own
 * clock put a snapshot of `backends` members in force. Reading the log costs the node
 * nothing, unlike polling a 10 000-row /status (which, measured, dominated the figures).
 */
class SwapLog {
  constructor(file) {
    this.file = file;
    this.offset = 0;
    this.swaps = [];
  }
  read() {
    let text = '';
    let fd;
    try {
      // Only what was appended since the last read: this runs every 5 ms while a sync is timed.
      fd = openSync(this.file, 'r');
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.allocUnsafe(size - this.offset);
      const got = readSync(fd, buf, 0, buf.length, this.offset);
      const cut = buf.subarray(0, got).lastIndexOf(0x0a) + 1;
      this.offset += cut;
      text = buf.subarray(0, cut).toString('utf8');
    } catch {
      return;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    for (const line of text.split('\n')) {
      if (!line.includes('routing snapshot swapped in')) continue;
      try {
        const j = JSON.parse(line);
        this.swaps.push({ time: j.time, backends: j.backends });
      } catch {}
    }
  }
  /** Epoch ms of the first swap at or after `sinceMs` to `backends` members, or undefined. */
  find(backends, sinceMs) {
    return this.swaps.find((s) => s.backends === backends && s.time >= sinceMs)?.time;
  }
}

/** Epoch ms at which every log shows a swap to `backends` since `sinceMs` (null after timeoutMs). */
async function allSwapped(logs, backends, sinceMs, timeoutMs) {
  for (;;) {
    for (const l of logs) l.read();
    const at = logs.map((l) => l.find(backends, sinceMs));
    if (at.every((t) => t !== undefined)) return Math.max(...at);
    if (Date.now() - sinceMs > timeoutMs) return null;
    await sleep(5);
  }
}

async function measureSize(c, n, changes, pollMs, port) {
  const want = n + 1; // the launcher's sample backend b1 stays
  const sync = await syncTimes(c, want);
  const rss = await nodeRss(c);
  const logs = c.nodes.map((node) => new SwapLog(node.logFile));
  for (const l of logs) l.read();
  // Pass 1, nobody polling: one added backend → every node's snapshot (their logs' clocks),
  // and the nodes' CPU per change (add and remove both count) from /proc.
  const pids = c.nodes.map((node) => node.pid);
  const cpu0 = cpuSeconds(pids);
  const samples = [];
  for (let i = 0; i < changes; i++) {
    const id = `x-${n}-${i}`;
    const t0 = Date.now();
    await c.admin.addBackend(id, { host: '127.0.0.1', port, weight: 1 });
    const ackMs = Date.now() - t0;
    const at = await allSwapped(logs, want + 1, t0, 5000);
    samples.push({ ackMs, allMs: at === null ? null : at - t0 });
    const t1 = Date.now();
    await c.admin.removeBackend(id);
    await allSwapped(logs, want, t1, 5000);
    await sleep(100);
  }
  const cpuMsPerChangePerNode = ((cpuSeconds(pids) - cpu0) * 1000) / (changes * 2) / pids.length;
  // Pass 2: the operator's view, each node's /status polled every pollMs (its rendering of
  // every backend row loads the nodes, so this is an upper bound).
  const polled = [];
  const pollChanges = Math.max(3, Math.floor(changes / 2));
  for (let i = 0; i < pollChanges; i++) {
    const id = `p-${n}-${i}`;
    const t0 = performance.now();
    const [, per] = await Promise.all([
      c.admin.addBackend(id, { host: '127.0.0.1', port, weight: 1 }),
      Promise.all(c.nodes.map((node) => pollStatus(node, (s) => count(s) === want + 1, t0, 5000, pollMs))),
    ]);
    polled.push(per.some((x) => x === null) ? null : Math.max(...per));
    await c.admin.removeBackend(id);
    await Promise.all(
      c.nodes.map((node) => pollStatus(node, (s) => count(s) === want, performance.now(), 5000, 20)),
    );
  }
  const ok = samples.filter((s) => s.allMs !== null);
  const polledOk = polled.filter((x) => x !== null);
  return {
    backends: n,
    sync,
    syncMs: summarize(sync.map((s) => s.allSeenMs ?? Number.POSITIVE_INFINITY)),
    rssKb: rss,
    change: summarize(ok.map((s) => s.allMs)),
    ack: summarize(samples.map((s) => s.ackMs)),
    missed: samples.length - ok.length,
    statusPolled: { ...summarize(polledOk), missed: polled.length - polledOk.length, pollMs },
    cpuMsPerChangePerNode,
  };
}

export async function runScaleNodes({ sizes, changes, pollMs }) {
  const zk = await startZooKeeper({ servers: 1 });
  let c;
  try {
    c = await startLocalCluster({ zk, nodes: 3, backends: 1, mode: 'active-active', clusterConfig: CONFIG });
    const port = c.backends[0].port;
    console.log(`  empty cluster up (1 backend); load ${load()}`);
    const empty = await syncTimes(c, 1);
    const emptyRss = await nodeRss(c);
    console.log(
      `  empty: RSS ${emptyRss.join(', ')} kB; restart → all seen ${empty.map((e) => fmt.int(e.allSeenMs)).join(', ')} ms`,
    );
    const results = [];
    let have = 0;
    for (const n of sizes) {
      const t = performance.now();
      await populate(c.session, c.admin, have, n, port);
      have = n;
      console.log(
        `  ${n} backends written in ${fmt.int(performance.now() - t)} ms; measuring… load ${load()}`,
      );
      const r = await measureSize(c, n, changes, pollMs, port);
      const grow = r.rssKb.map((kb, i) => (kb - emptyRss[i]) / n);
      r.rssKbPerBackend = summarize(grow);
      results.push(r);
      console.log(
        `  ${n}: sync p50 ${fmt.int(r.syncMs.p50)} ms (max ${fmt.int(r.syncMs.max)}); change p50 ${fmt.f1(r.change.p50)} / p99 ${fmt.f1(r.change.p99)} ms ` +
          `(polled /status ${fmt.f1(r.statusPolled.p50)} / ${fmt.f1(r.statusPolled.p99)}); ` +
          `RSS ${r.rssKb.join(', ')} kB (${fmt.f2(r.rssKbPerBackend.p50)} kB/backend); CPU ${fmt.f1(r.cpuMsPerChangePerNode)} ms/change/node`,
      );
    }
    return { empty: { sync: empty, rssKb: emptyRss }, sizes: results };
  } finally {
    await c?.stop().catch(() => {});
    await zk.stop().catch(() => {});
  }
}

function mntr(server) {
  return fourLetter(server.clientPort, 'mntr').then((text) => {
    const out = {};
    for (const line of String(text).split('\n')) {
      const [k, v] = line.split('\t');
      if (k && v !== undefined && /^-?[\d.]+$/.test(v.trim())) out[k.trim()] = Number(v);
    }
    return out;
  });
}

/** ms from t0 until every watcher's snapshot satisfies pred (null after timeoutMs). */
function allSee(watchers, pred, t0, timeoutMs) {
  return Promise.all(
    watchers.map(
      (w) =>
        new Promise((resolve) => {
          if (w.current && pred(w.current)) return resolve(performance.now() - t0);
          const on = (s) => {
            if (!pred(s)) return;
            clearTimeout(timer);
            w.off('snapshot', on);
            resolve(performance.now() - t0);
          };
          const timer = setTimeout(() => {
            w.off('snapshot', on);
            resolve(null);
          }, timeoutMs);
          w.on('snapshot', on);
        }),
    ),
  ).then((xs) => (xs.some((x) => x === null) ? null : Math.max(...xs)));
}

export async function runScaleSimulation({ simNodes, simBackends, changes, burst }) {
  const zk = await startZooKeeper({ servers: 3 });
  const writer = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 8000 }).start();
  const sessions = [];
  const watchers = [];
  try {
    await writer.waitFor('connected', 15_000);
    const admin = new ClusterAdmin({ session: writer });
    await writer.mkdirp(admin.paths.backends);
    let t = performance.now();
    await populate(writer, admin, 0, simBackends, 9);
    console.log(`  ${simBackends} backends written in ${fmt.int(performance.now() - t)} ms`);
    const servers = zk.servers.map((s) => s.connectString);
    for (let i = 0; i < simNodes; i++)
      sessions.push(
        new ZkSession({ connectString: servers[i % servers.length], sessionTimeoutMs: 8000 }).start(),
      );
    await Promise.all(sessions.map((s) => s.waitFor('connected', 30_000)));
    t = performance.now();
    for (const s of sessions) watchers.push(new MembershipWatcher({ session: s }).start());
    await Promise.all(watchers.map((w) => w.ready(300_000)));
    const syncAllMs = performance.now() - t;
    console.log(
      `  ${simNodes} watchers synced ${simBackends} backends in ${fmt.int(syncAllMs)} ms; load ${load()}`,
    );
    // Backends come sorted by id: a binary search, so the harness does not add an O(n) scan per
    // watcher per snapshot (measured: ~2 ms each at 10 000, a third of a change's cost).
    const has = (id) => (s) => s.backends[idLowerBound(s.backends, id)]?.id === id;
    const samples = [];
    for (let i = 0; i < changes; i++) {
      const id = `sim-${i}`;
      const t0 = performance.now();
      const [, ms] = await Promise.all([
        admin.addBackend(id, { host: '127.0.0.1', port: 9, weight: 1 }),
        allSee(watchers, has(id), t0, 10_000),
      ]);
      samples.push(ms);
      await sleep(50);
    }
    const ok = samples.filter((x) => x !== null);
    console.log(
      `  one change → all ${simNodes}: p50 ${fmt.f1(summarize(ok).p50)} / p99 ${fmt.f1(summarize(ok).p99)} ms`,
    );
    // The burst: `burst` creates at once, mntr sampled every 50 ms on every server.
    const mntrSamples = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const at = performance.now();
        const figures = await Promise.all(zk.servers.map((s) => mntr(s).catch(() => ({}))));
        mntrSamples.push({ at, figures });
        await sleep(50);
      }
    })();
    const before = await Promise.all(zk.servers.map((s) => mntr(s).catch(() => ({}))));
    const last = `burst-${burst - 1}`;
    const t0 = performance.now();
    const allIds = Array.from({ length: burst }, (_, i) => `burst-${i}`);
    const seen = allSee(watchers, (s) => has(last)(s) && allIds.every((id) => has(id)(s)), t0, 30_000);
    await Promise.all(allIds.map((id) => admin.addBackend(id, { host: '127.0.0.1', port: 9, weight: 1 })));
    const burstMs = await seen;
    await sleep(200);
    sampling = false;
    await sampler;
    const peak = (key) => Math.max(0, ...mntrSamples.flatMap((s) => s.figures.map((f) => f[key] ?? 0)));
    const result = {
      simNodes,
      simBackends,
      syncAllMs,
      change: summarize(ok),
      missed: samples.length - ok.length,
      burst: {
        changes: burst,
        allSeenMs: burstMs,
        mntrBefore: before.map((f) => ({
          watches: f.zk_watch_count,
          avgLatency: f.zk_avg_latency,
          maxLatency: f.zk_max_latency,
        })),
        peakOutstanding: peak('zk_outstanding_requests'),
        peakWatchCount: peak('zk_watch_count'),
        peakMaxLatencyMs: peak('zk_max_latency'),
        peakAvgLatencyMs: peak('zk_avg_latency'),
        samples: mntrSamples.length,
      },
    };
    console.log(
      `  burst of ${burst}: all ${simNodes} saw all in ${fmt.int(burstMs)} ms; mntr peak outstanding ${result.burst.peakOutstanding}, ` +
        `watches ${result.burst.peakWatchCount}, max latency ${result.burst.peakMaxLatencyMs} ms, avg ${result.burst.peakAvgLatencyMs} ms`,
    );
    return result;
  } finally {
    for (const w of watchers) w.close();
    await Promise.all(sessions.map((s) => s.close().catch(() => {})));
    await writer.close().catch(() => {});
    await zk.stop().catch(() => {});
  }
}

export function scaleTables(r) {
  const tables = [];
  if (r.nodes) {
    tables.push({
      title:
        'Scale: 1 ZooKeeper, 3 active-active nodes, consistent hashing, active checks off (intervalMs 1 h)',
      header: [
        'backends',
        'restart → all seen ms (p50 / max)',
        'one added backend → all 3 snapshots (their logs), p50 / p99 ms',
        'same, seen by polling /status, p50 / p99 ms',
        'RSS per node kB',
        'kB per backend over empty',
        'CPU ms per change per node',
      ],
      rows: [
        [
          'empty (1)',
          `${fmt.int(summarize(r.nodes.empty.sync.map((s) => s.allSeenMs)).p50)}`,
          '—',
          '—',
          r.nodes.empty.rssKb.join(', '),
          '—',
          '—',
        ],
        ...r.nodes.sizes.map((s) => [
          s.backends,
          `${fmt.int(s.syncMs.p50)} / ${fmt.int(s.syncMs.max)}`,
          `${fmt.f1(s.change.p50)} / ${fmt.f1(s.change.p99)}${s.missed ? ` (${s.missed} missed)` : ''}`,
          `${fmt.f1(s.statusPolled.p50)} / ${fmt.f1(s.statusPolled.p99)}${s.statusPolled.missed ? ` (${s.statusPolled.missed} missed)` : ''}`,
          s.rssKb.join(', '),
          fmt.f2(s.rssKbPerBackend.p50),
          fmt.f1(s.cpuMsPerChangePerNode),
        ]),
      ],
    });
  }
  if (r.simulation) {
    const s = r.simulation;
    tables.push({
      title: `Scale: ${s.simNodes} simulated nodes (in-process MembershipWatchers) on 3 ZooKeeper servers, ${s.simBackends} backends`,
      header: ['figure', 'value', 'target'],
      rows: [
        ['initial sync, all watchers ms', fmt.int(s.syncAllMs), '—'],
        [
          `one change → all ${s.simNodes}, p50 / p99 ms`,
          `${fmt.f1(s.change.p50)} / ${fmt.f1(s.change.p99)}`,
          `p99 ≤ ${SCALE_TARGETS.simP99Ms}`,
        ],
        [`burst of ${s.burst.changes} → all saw all, ms`, fmt.int(s.burst.allSeenMs), '—'],
        ['mntr peak outstanding requests (any server)', s.burst.peakOutstanding, '—'],
        ['mntr peak watch count (any server)', s.burst.peakWatchCount, '—'],
        ['mntr peak max / avg latency ms', `${s.burst.peakMaxLatencyMs} / ${s.burst.peakAvgLatencyMs}`, '—'],
      ],
    });
  }
  return tables;
}
