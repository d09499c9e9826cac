// Shared health checking with real processes: one ZooKeeper server, three LB nodes
// (`ringleader node start`, checkersPerBackend 2) and six sample backends. Each backend is
// checked by exactly the two nodes rendezvous hashing names, each node publishes its verdicts
// under health/, and a backend that fails its checks is seen down by all three nodes —
// including the one that never checks it — and up again by all after it recovers. A node that
// leaves hands its backends over to the others.
import { type LocalCluster, startLocalCluster } from '@ringleader/launcher';
import { CheckAssignment } from '@ringleader/node';
import { decodeHealth, healthFolder } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './poll.js';

const K = 2;
let c: LocalCluster;

beforeAll(async () => {
  c = await startLocalCluster({
    nodes: 3,
    backends: 6,
    sessionTimeoutMs: 2000,
    clusterConfig: {
      policy: 'round-robin',
      healthCheck: { intervalMs: 200, timeoutMs: 150, rise: 1, fall: 1 },
    },
    nodeEnv: { RINGLEADER_HEALTH_CHECKERS: String(K) },
  });
});

afterAll(async () => {
  await c?.stop();
});

/** health/<node> → the backend ids it published a verdict on, as the znodes say now. */
async function published(): Promise<Map<string, Map<string, string>>> {
  const folder = healthFolder(c.cluster);
  const { children } = await c.session.getChildren(folder);
  const out = new Map<string, Map<string, string>>();
  for (const name of children) {
    const { data } = await c.session.getData(`${folder}/${name}`);
    const r = decodeHealth(name, data);
    if (r.ok) out.set(name, new Map(r.value.verdicts));
  }
  return out;
}

/** Each backend → the nodes publishing a verdict on it. */
function checkersByBackend(pub: Map<string, Map<string, string>>): Map<string, string[]> {
  const out = new Map<string, string[]>(c.backends.map((b) => [b.id, []]));
  for (const [node, verdicts] of pub) for (const id of verdicts.keys()) out.get(id)?.push(node);
  for (const list of out.values()) list.sort();
  return out;
}

async function everyNodeSees(id: string, state: string, nodes = c.nodes.filter((n) => n.running)) {
  const seen = await Promise.all(
    nodes.map(async (n) => (await n.status()).backends.find((b) => b.id === id)?.health),
  );
  return seen.every((s) => s === state);
}

describe('shared health checking (3 nodes, k = 2)', () => {
  it('eachBackendIsCheckedByTheTwoNodesRendezvousHashingNames', async () => {
    const members = c.nodes.map((n) => n.id);
    const assignment = new CheckAssignment(members, K);
    const expected = new Map(c.backends.map((b) => [b.id, assignment.checkersOf(b.id).sort()]));
    let last = new Map<string, string[]>();
    await until(
      async () => {
        last = checkersByBackend(await published());
        return [...expected].every(([id, who]) => JSON.stringify(last.get(id)) === JSON.stringify(who));
      },
      15_000,
      'every backend published by exactly its two checkers',
    );
    for (const who of last.values()) expect(who).toHaveLength(K);
    // Every node knows every backend's state (the standbys are warm), none left unknown.
    await until(async () =>
      (await Promise.all(c.backends.map((b) => everyNodeSees(b.id, 'up')))).every(Boolean),
    );
  });

  it('aBackendFailingItsChecksIsSeenDownByAllNodesAndUpAgainAfterItRecovers', async () => {
    const members = c.nodes.map((n) => n.id);
    const assignment = new CheckAssignment(members, K);
    const target = c.backends[0];
    if (target === undefined) throw new Error('no backend');
    const nonChecker = members.find((m) => !assignment.checks(m, target.id));
    expect(nonChecker).toBeDefined();
    await target.setHealth(503);
    await until(() => everyNodeSees(target.id, 'down'), 10_000, `${target.id} down on every node`);
    // The node that never checks it got there through its peers' verdicts.
    const pub = await published();
    expect(pub.get(nonChecker as string)?.has(target.id)).toBe(false);
    await target.setHealth(200);
    await until(() => everyNodeSees(target.id, 'up'), 10_000, `${target.id} up again on every node`);
  });

  it('aLeavingNodesBackendsAreTakenOverByTheOthers', async () => {
    const leaver = c.nodes[2];
    if (leaver === undefined) throw new Error('no node');
    await leaver.kill('SIGTERM');
    const rest = c.nodes.filter((n) => n !== leaver).map((n) => n.id);
    await until(
      async () => {
        const pub = await published();
        if (pub.has(leaver.id)) return false;
        return [...checkersByBackend(pub).values()].every(
          (who) => JSON.stringify(who) === JSON.stringify(rest),
        );
      },
      15_000,
      'the two remaining nodes checking every backend',
    );
    const target = c.backends[1];
    if (target === undefined) throw new Error('no backend');
    await target.setHealth(503);
    await until(() => everyNodeSees(target.id, 'down'), 10_000, `${target.id} down on both remaining nodes`);
    await target.setHealth(200);
  });
});
