// Membership, config and stats across session loss, against a real standalone server:
// paused (SIGSTOP) past the session timeout, the last good state stays in force while every
// read fails (nothing is emptied); after an expiry the new session re-arms every watch and
// re-creates the stats ephemeral. Plus the stats publish / peer watch round trip.
import { DEFAULT_CLUSTER_CONFIG, type LoadSummary } from '@ringleader/core';
import { sleep, startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import {
  ClusterAdmin,
  ConfigWatcher,
  MembershipWatcher,
  type PeerStats,
  PeerStatsWatcher,
  type SessionStateChange,
  StatsPublisher,
  type ZkSession,
} from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './poll.js';
import { openSession, summary, uniqueCluster, waitSnapshot } from './zk-membership-helpers.js';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];
const closers: Array<() => unknown> = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 1, tickTime: 200, chaos: true });
});
afterAll(async () => {
  for (const c of closers) await c();
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

const load = (id: string, ewmaMs: number): LoadSummary => ({
  backends: { [id]: { ewmaMs, inFlight: 1, requests: 10 } },
});

function waitPeers(
  w: PeerStatsWatcher,
  pred: (p: ReadonlyMap<string, PeerStats>) => boolean,
  timeoutMs = 10_000,
) {
  return until(() => pred(w.peers), timeoutMs, 'the peers to match').then(
    () => w.peers,
    (err: Error) => {
      throw new Error(`${err.message}; peers: ${JSON.stringify([...w.peers.keys()])}`);
    },
  );
}

describe('membership across session loss', () => {
  it('statsPublishedByEachNodeReachThePeersButNotThemselves', async () => {
    const cluster = uniqueCluster('s-stats');
    const nodes = ['lb-1', 'lb-2'].map((nodeId, i) => {
      const session = openSession(sessions, zk.connectString);
      const pub = new StatsPublisher({
        session,
        nodeId,
        cluster,
        intervalMs: 100,
        summary: () => load(`web-${i}`, 10 + i),
      });
      const peers = new PeerStatsWatcher({ session, nodeId, cluster, onPeers: () => {} });
      closers.push(
        () => peers.close(),
        () => pub.close(),
      );
      return { session, pub: pub.start(), peers: peers.start() };
    });
    const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const seen1 = await waitPeers(n1.peers, (p) => p.has('lb-2'));
    expect([...seen1.keys()]).toEqual(['lb-2']);
    expect(seen1.get('lb-2')?.summary).toEqual(load('web-1', 11));
    expect([...(await waitPeers(n2.peers, (p) => p.has('lb-1'))).keys()]).toEqual(['lb-1']);
    // A publisher that stops takes its figures away at once (ephemeral deleted).
    await n2.pub.close();
    await waitPeers(n1.peers, (p) => p.size === 0);
  });

  it('readErrorsWhileTheServerIsSilentPastTheSessionTimeoutKeepTheLastGoodSnapshot', async () => {
    const node = await startNode('s-silent');
    const emitted: unknown[] = [];
    node.members.on('snapshot', (s) => emitted.push(summary(s)));
    const server = zk.servers[0]!;
    await server.pause(); // SIGSTOP: silent, no TCP reset
    await node.session.waitFor('suspended', 3000);
    node.members.refresh(); // every read now fails (times out after 1500 ms)
    await sleep(1700); // well past the 1000 ms session timeout
    // Suspended: nothing emptied, nothing emitted; the last good state is in force.
    expect(node.members.current).toBe(node.before);
    expect(node.config.current?.config.policy).toBe('least-connections');
    expect(emitted).toEqual([]);
    await server.resume();
    // On resume the server either expires the session or the client re-attaches first
    // (a race inside ZooKeeper); both must end with everything watched again.
    await node.session.waitFor('connected', 10_000);
    await expectReArmed(node);
    expect(emitted.every((s) => (s as { backends: unknown[] }).backends.length > 0)).toBe(true);
  });

  it('sessionExpiryReArmsEveryWatchAndTheStatsEphemeralOnTheNewSession', async () => {
    const node = await startNode('s-expiry');
    const ownerBefore = node.session.sessionId;
    await node.session.injectExpiry(); // the server closes our session
    await node.session.waitFor('connected', 10_000);
    for (let i = 0; i < 500 && node.session.generation === 0; i++) await sleep(20);
    expect(node.states.some((c) => c.to === 'expired')).toBe(true);
    expect(node.session.generation).toBe(1);
    expect(node.members.current).toBe(node.before); // nothing changed in ZooKeeper: nothing emitted
    await expectReArmed(node);
    const owner = await node.writer.exists(node.statPath);
    expect(owner?.ephemeralOwner).toBe(node.session.sessionId);
    expect(owner?.ephemeralOwner).not.toBe(ownerBefore);
  });
});

/** One node (membership, config, stats on one 1000 ms session) over a cluster with two backends. */
async function startNode(prefix: string) {
  const cluster = uniqueCluster(prefix);
  const writer = openSession(sessions, zk.connectString, 4000);
  await writer.waitFor('connected');
  const admin = new ClusterAdmin({ session: writer, cluster });
  await admin.addBackend('a', { host: '127.0.0.1', port: 1001 });
  await admin.addBackend('b', { host: '127.0.0.1', port: 1002 });
  await admin.setConfig({ policy: 'least-connections' });

  const session = openSession(sessions, zk.connectString, 1000);
  const states: SessionStateChange[] = [];
  session.on('state', (c) => states.push(c));
  const members = new MembershipWatcher({ session, cluster }).start();
  const config = new ConfigWatcher({ session, cluster, fallback: DEFAULT_CLUSTER_CONFIG }).start();
  const pub = new StatsPublisher({
    session,
    nodeId: 'lb-1',
    cluster,
    intervalMs: 100,
    summary: () => load('a', 5),
  });
  closers.push(
    () => members.close(),
    () => config.close(),
    () => pub.close(),
  );
  pub.start();
  const before = await waitSnapshot(members, (s) => s.backends.length === 2);
  expect((await config.ready()).config.policy).toBe('least-connections');
  await session.waitFor('connected');
  const statPath = `${admin.paths.stats}/lb-1`;
  // Polls (up to ~10 s, not a timing claim): the publisher writes on its own schedule.
  for (let i = 0; i < 500 && (await writer.exists(statPath))?.ephemeralOwner !== session.sessionId; i++) {
    await sleep(20);
  }
  expect((await writer.exists(statPath))?.ephemeralOwner).toBe(session.sessionId);
  return { cluster, session, states, members, config, before, statPath, writer };
}

/** Changes made now reach the node: every watch is armed again; the stats ephemeral is ours. */
async function expectReArmed(node: Awaited<ReturnType<typeof startNode>>): Promise<void> {
  const writer = openSession(sessions, zk.connectString);
  await writer.waitFor('connected');
  const admin = new ClusterAdmin({ session: writer, cluster: node.cluster });
  await admin.addBackend('c', { host: '127.0.0.1', port: 1003 });
  await admin.updateBackend('a', { weight: 4 });
  await admin.setConfig({ policy: 'round-robin' });
  const after = await waitSnapshot(
    node.members,
    (s) => s.backends.length === 3 && s.backends[0]?.weight === 4,
  );
  expect(summary(after)).toEqual(summary(await admin.listBackends()));
  // Polls (up to ~10 s each, not timing claims): the node learns of changes through its watches.
  for (let i = 0; i < 500 && node.config.current?.config.policy !== 'round-robin'; i++) await sleep(20);
  expect(node.config.current?.config.policy).toBe('round-robin');
  for (
    let i = 0;
    i < 500 && (await writer.exists(node.statPath))?.ephemeralOwner !== node.session.sessionId;
    i++
  ) {
    await sleep(20);
  }
  expect((await writer.exists(node.statPath))?.ephemeralOwner).toBe(node.session.sessionId);
}
