// Cluster benchmarks on one real 3-server ZooKeeper ensemble + 3 ringleader nodes
// (active-passive, standby forward) + 4 sample backends, all local processes:
//   propagation: a backend znode write → every node's routing snapshot reflects it, seen two
//                ways: by each node's GET /status (polled every ~1 ms: the operator's view,
//                an upper bound) and by three in-process MembershipWatchers, one per server,
//                timestamped in their 'snapshot' event (the watch path alone, a lower bound);
//   failover:    N leader SIGKILLs with a client polling every node's proxy port every 10 ms;
//                time from the kill to the first successful answer to a request sent after
//                the process was gone.
// A report, not a test: figures and pass/miss beside the targets.

import { startLocalCluster } from '@ringleader/launcher';
import { MembershipWatcher, ZkSession } from '@ringleader/zk';
import { fmt, load, sleep, summarize } from './util.mjs';

export const CLUSTER_TARGETS = { propagationP99Ms: 100, failoverSlackMs: 300 };

const EXTRA = 'bench-extra';

async function statusBackends(node) {
  const r = await fetch(`${node.adminUrl}/status`, { signal: AbortSignal.timeout(2000) });
  return (await r.json()).backends;
}

/** Resolves with ms from t0 until `node`'s /status satisfies `pred` (null after timeoutMs). */
async function pollNode(node, pred, t0, timeoutMs) {
  for (;;) {
    const t = performance.now();
    if (t - t0 > timeoutMs) return null;
    try {
      if (pred(await statusBackends(node))) return performance.now() - t0;
    } catch {}
    await sleep(1);
  }
}

/** Resolves with ms from t0 until the watcher's snapshot satisfies `pred` (null after timeoutMs). */
function watchFor(w, pred, t0, timeoutMs) {
  if (w.current && pred(w.current.backends)) return Promise.resolve(performance.now() - t0);
  return new Promise((resolve) => {
    const onSnap = (s) => {
      if (!pred(s.backends)) return;
      const dt = performance.now() - t0;
      clearTimeout(timer);
      w.off('snapshot', onSnap);
      resolve(dt);
    };
    const timer = setTimeout(() => {
      w.off('snapshot', onSnap);
      resolve(null);
    }, timeoutMs);
    w.on('snapshot', onSnap);
  });
}

async function propagation(c, writes) {
  console.log(
    `\n▶ propagation: ${writes} writes (weight updates on b1, alternating with add/remove of a backend)`,
  );
  const servers = c.zk.servers.length > 0 ? c.zk.servers.map((s) => s.connectString) : [c.zk.connectString];
  const sessions = [0, 1, 2].map(
    (i) => new ZkSession({ connectString: servers[i % servers.length], sessionTimeoutMs: 4000 }),
  );
  const watchers = [];
  try {
    for (const s of sessions) s.start();
    await Promise.all(sessions.map((s) => s.waitFor('connected', 10_000)));
    for (const s of sessions)
      watchers.push(new MembershipWatcher({ session: s, cluster: c.cluster }).start());
    await Promise.all(watchers.map((w) => w.ready()));
    const b1 = c.backends[0];
    const b1Path = c.admin.paths.backend('b1');
    const extraPort = c.backends[1].port;
    const samples = [];
    let extra = false;
    let weight = 1;
    for (let i = 0; i < writes; i++) {
      let kind;
      let pred;
      let write;
      if (i % 2 === 0) {
        kind = 'update';
        weight = weight >= 9 ? 1 : weight + 1;
        const w = weight;
        pred = (bs) => bs.find((b) => b.id === 'b1')?.weight === w;
        const data = JSON.stringify({ host: b1.host, port: b1.port, weight: w });
        write = () => c.session.setData(b1Path, data);
      } else if (!extra) {
        kind = 'add';
        pred = (bs) => bs.some((b) => b.id === EXTRA);
        write = () => c.admin.addBackend(EXTRA, { host: '127.0.0.1', port: extraPort, weight: 1 });
        extra = true;
      } else {
        kind = 'remove';
        pred = (bs) => !bs.some((b) => b.id === EXTRA);
        write = () => c.admin.removeBackend(EXTRA);
        extra = false;
      }
      const t0 = performance.now();
      const ack = write().then(() => performance.now() - t0);
      const [ackMs, nodeMs, watchMs] = await Promise.all([
        ack,
        Promise.all(c.nodes.map((n) => pollNode(n, pred, t0, 3000))),
        Promise.all(watchers.map((w) => watchFor(w, pred, t0, 3000))),
      ]);
      const all = (xs) => (xs.some((x) => x === null) ? null : Math.max(...xs));
      samples.push({ kind, ackMs, nodesMs: all(nodeMs), watchersMs: all(watchMs), perNodeMs: nodeMs });
      if ((i + 1) % 25 === 0 || i + 1 === writes) {
        const n = summarize(samples.filter((s) => s.nodesMs !== null).map((s) => s.nodesMs));
        const w = summarize(samples.filter((s) => s.watchersMs !== null).map((s) => s.watchersMs));
        console.log(
          `    ${String(i + 1).padStart(4)}/${writes}  all nodes' /status: p50 ${fmt.f1(n.p50)} ms, p99 ${fmt.f1(n.p99)} ms` +
            `   in-process watchers: p50 ${fmt.f1(w.p50)} ms, p99 ${fmt.f1(w.p99)} ms   load ${load()}`,
        );
      }
      await sleep(20);
    }
    if (extra) await c.admin.removeBackend(EXTRA);
    // Every node must end on the version ZooKeeper itself gives.
    const truth = (await c.admin.listBackends()).version;
    let versions = [];
    await c
      .waitFor(
        async () => {
          versions = (await c.statuses()).map((s) => s.status.snapshot.version);
          return versions.length === c.nodes.length && versions.every((v) => v === truth);
        },
        5000,
        'every node on the final snapshot version',
      )
      .catch(() => {});
    const ok = samples.filter((s) => s.nodesMs !== null);
    return {
      writes,
      nodes: summarize(ok.map((s) => s.nodesMs)),
      watchers: summarize(samples.filter((s) => s.watchersMs !== null).map((s) => s.watchersMs)),
      ack: summarize(samples.map((s) => s.ackMs)),
      // What ringleader adds after ZooKeeper committed: all nodes' time minus the writer's ack.
      afterAck: summarize(ok.map((s) => Math.max(0, s.nodesMs - s.ackMs))),
      byKind: Object.fromEntries(
        ['update', 'add', 'remove'].map((k) => [
          k,
          summarize(ok.filter((s) => s.kind === k).map((s) => s.nodesMs)),
        ]),
      ),
      missed: samples.length - ok.length,
      finalVersion: { zookeeper: truth, nodes: versions, agree: versions.every((v) => v === truth) },
      target: { p99Ms: CLUSTER_TARGETS.propagationP99Ms },
      samples,
    };
  } finally {
    for (const w of watchers) w.close();
    await Promise.all(sessions.map((s) => s.close().catch(() => {})));
  }
}

/** Polls every node's proxy port every `everyMs`; keeps { sent, done, ok, node }. */
function startPoller(c, everyMs) {
  const events = [];
  let inFlight = 0;
  const timer = setInterval(() => {
    for (const n of c.nodes) {
      if (inFlight > 300) return; // bounded: a hung cluster must not pile up requests
      inFlight++;
      const sent = performance.now();
      fetch(`${n.proxyUrl}/poll`, { signal: AbortSignal.timeout(5000) })
        .then(async (r) => {
          await r.arrayBuffer();
          events.push({
            sent,
            done: performance.now(),
            ok: r.status >= 200 && r.status < 300,
            node: n.id,
            code: r.status,
          });
        })
        .catch(() => events.push({ sent, done: performance.now(), ok: false, node: n.id, code: 0 }))
        .finally(() => {
          inFlight--;
        });
    }
  }, everyMs);
  return {
    events,
    stop: () => clearInterval(timer),
    /** Drops events older than `t` (keeps memory bounded across kills). */
    trim: (t) => {
      const keep = events.filter((e) => e.done >= t);
      events.length = 0;
      events.push(...keep);
    },
  };
}

async function settled(c) {
  await c.waitFor(
    async () => {
      const all = await c.statuses();
      return (
        all.length === c.nodes.length &&
        all.every(
          (s) => s.status.session.state === 'connected' && s.status.snapshot.backends === c.backends.length,
        ) &&
        all.filter((s) => s.status.role === 'leader').length === 1 &&
        all.every((s) => s.status.role === 'leader' || s.status.role === 'standby')
      );
    },
    30_000,
    'three connected nodes, one leader',
  );
}

async function failover(c, kills, pollMs) {
  console.log(
    `\n▶ failover: ${kills} leader SIGKILLs, session timeout ${c.sessionTimeoutMs} ms, ` +
      `a client polling all ${c.nodes.length} proxy ports every ${pollMs} ms (standbys forward to the leader)`,
  );
  const poller = startPoller(c, pollMs);
  const runs = [];
  try {
    for (let k = 1; k <= kills; k++) {
      await settled(c);
      const leader = await c.leader(15_000);
      const before = (await leader.status()).epoch;
      await sleep(500);
      const tKill = performance.now();
      const exited = leader.kill('SIGKILL');
      await exited;
      const tGone = performance.now();
      let first;
      const deadline = tKill + 30_000;
      while (first === undefined && performance.now() < deadline) {
        await sleep(5);
        first = poller.events
          .filter((e) => e.ok && e.sent >= tGone)
          .reduce((a, e) => (a === undefined || e.done < a.done ? e : a), undefined);
      }
      const lastBefore = poller.events
        .filter((e) => e.ok && e.done <= tKill)
        .reduce((a, e) => (a === undefined || e.done > a.done ? e : a), undefined);
      const failed = poller.events.filter(
        (e) => !e.ok && e.sent >= tKill && (!first || e.sent <= first.done),
      ).length;
      const next = await c.leader(15_000).catch(() => undefined);
      const after = next ? (await next.status()).epoch : null;
      const run = {
        kill: k,
        killed: leader.id,
        newLeader: next?.id ?? null,
        epochBefore: before,
        epochAfter: after,
        failoverMs: first ? first.done - tKill : null,
        gapMs: first && lastBefore ? first.done - lastBefore.done : null,
        exitMs: tGone - tKill,
        failedRequests: failed,
        firstVia: first?.node ?? null,
      };
      runs.push(run);
      console.log(
        `    kill ${String(k).padStart(2)}/${kills}: ${run.killed} → ${run.newLeader} (epoch ${before} → ${after}), ` +
          `first success ${fmt.int(run.failoverMs)} ms after the kill (via ${run.firstVia}), ` +
          `${failed} failed requests meanwhile; restarting ${leader.id} …`,
      );
      await leader.restart();
      poller.trim(performance.now() - 1000);
    }
  } finally {
    poller.stop();
  }
  const ok = runs.filter((r) => r.failoverMs !== null);
  const s = summarize(ok.map((r) => r.failoverMs));
  const targetMs = c.sessionTimeoutMs + CLUSTER_TARGETS.failoverSlackMs;
  return {
    kills,
    sessionTimeoutMs: c.sessionTimeoutMs,
    pollMs,
    failoverMs: s,
    gapMs: summarize(ok.filter((r) => r.gapMs !== null).map((r) => r.gapMs)),
    failedRequests: summarize(runs.map((r) => r.failedRequests)),
    neverRecovered: runs.length - ok.length,
    target: { p50Ms: targetMs, pass: s.p50 === null ? null : s.p50 <= targetMs },
    runs,
  };
}

export async function runClusterBench(o) {
  const want = new Set(o.parts);
  console.log(
    `starting a 3-server ZooKeeper ensemble, 3 ringleader nodes (session timeout ${o.sessionTimeout} ms, ` +
      'standby forward) and 4 sample backends …',
  );
  const t0 = Date.now();
  const c = await startLocalCluster({
    zkServers: 3,
    nodes: 3,
    backends: 4,
    standby: 'forward',
    sessionTimeoutMs: o.sessionTimeout,
  });
  console.log(`  up in ${((Date.now() - t0) / 1000).toFixed(1)} s; leader ${(await c.leader()).id}`);
  try {
    const out = {};
    if (want.has('propagation')) out.propagation = await propagation(c, o.writes);
    if (want.has('failover')) out.failover = await failover(c, o.kills, o.pollMs);
    return out;
  } finally {
    console.log('\nstopping the cluster …');
    await c.stop();
  }
}

export function propagationTable(p) {
  const row = (name, s) => [name, fmt.f1(s.p50), fmt.f1(s.p90), fmt.f1(s.p99), fmt.f1(s.max), String(s.n)];
  return {
    title: `Membership propagation (${p.writes} writes; all 3 nodes; ms from the write call)`,
    header: ['seen by', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'n', 'target'],
    rows: [
      [
        ...row("every node's /status (polled ~1 ms)", p.nodes),
        `p99 ≤ ${p.target.p99Ms} ms: ${p.nodes.p99 <= p.target.p99Ms ? 'pass' : 'miss'}`,
      ],
      [...row('3 in-process MembershipWatchers', p.watchers), ''],
      [...row('ZooKeeper write acknowledged (writer)', p.ack), ''],
      ...(p.afterAck ? [[...row('every node, after the ack (max 0, nodes − ack)', p.afterAck), '']] : []),
    ],
  };
}

export function failoverTable(f) {
  return {
    title: `Failover after leader SIGKILL (${f.runs.length} kills, session timeout ${f.sessionTimeoutMs} ms, polling every ${f.pollMs} ms)`,
    header: ['figure', 'p50', 'p90', 'max', 'min', 'target'],
    rows: [
      [
        'kill → first success, ms',
        fmt.int(f.failoverMs.p50),
        fmt.int(f.failoverMs.p90),
        fmt.int(f.failoverMs.max),
        fmt.int(f.failoverMs.min),
        `p50 ≤ ${f.target.p50Ms} ms: ${f.target.pass ? 'pass' : 'miss'}`,
      ],
      [
        'last success → first success, ms',
        fmt.int(f.gapMs.p50),
        fmt.int(f.gapMs.p90),
        fmt.int(f.gapMs.max),
        fmt.int(f.gapMs.min),
        '',
      ],
      [
        'failed polls per kill',
        fmt.int(f.failedRequests.p50),
        fmt.int(f.failedRequests.p90),
        fmt.int(f.failedRequests.max),
        fmt.int(f.failedRequests.min),
        '',
      ],
    ],
  };
}
