// Chaos: membership churn under steady load. Every 200 ms for 20 s a backend znode is added or
// removed (ids churn-1, churn-2, …, pointing at two spare backend processes, so the churned
// members really take traffic), while three clients send through all three LB nodes
// (active-passive, `standby: forward`). No request may fail — a removed backend's in-flight
// requests finish, new picks never go to it — and every node must end on the same membership
// snapshot version, the one ZooKeeper's own zxids give.

import { type LocalCluster, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailures, monoMs, recordLoad, reportMetric, settled, sleep } from './support.js';

const SESSION_MS = 1500;
const CHURN_EVERY_MS = 200;
const CHURN_FOR_MS = 20_000;
const STABLE = ['b1', 'b2', 'b3', 'b4'];

let c: LocalCluster;

beforeAll(async () => {
  // b5 and b6 are the spare processes the churned znodes point at; their own znodes go at once.
  c = await startLocalCluster({ nodes: 3, backends: 6, sessionTimeoutMs: SESSION_MS, standby: 'forward' });
  await c.admin.removeBackend('b5');
  await c.admin.removeBackend('b6');
  await c.waitForBackends(STABLE);
});

afterAll(async () => {
  await c?.stop();
});

describe('chaos: backend churn under steady load', () => {
  it('backendAddedOrRemovedEvery200msFor20sFailsNoRequestAndAllNodesEndOnTheSameSnapshotVersion', async () => {
    await settled(c, 20_000, STABLE);
    const spares = c.backends.filter((b) => !STABLE.includes(b.id));
    await Promise.all(c.backends.map((b) => b.requests({ reset: true })));
    const load = recordLoad(
      c.nodes.map((n) => n.proxyUrl),
      { ratePerTarget: 40 },
    );
    const live: string[] = [];
    let added = 0;
    let removed = 0;
    let lateMs = 0;
    try {
      await sleep(500);
      const t0 = monoMs();
      for (let i = 0; monoMs() - t0 < CHURN_FOR_MS; i++) {
        const due = t0 + i * CHURN_EVERY_MS;
        if (due > monoMs()) await sleep(due - monoMs());
        lateMs = Math.max(lateMs, monoMs() - due);
        // Up to two churned members at a time: add, add, then remove the oldest / add a new
        // one in turn, so every tick is a membership change and removals hit members that
        // have been taking traffic for 400 ms.
        if (live.length < 2) {
          const id = `churn-${++added}`;
          const spare = spares[added % spares.length]!;
          await c.admin.addBackend(id, { host: spare.host, port: spare.port, weight: 1 });
          live.push(id);
        } else {
          await c.admin.removeBackend(live.shift()!);
          removed++;
        }
      }
      const churnMs = monoMs() - t0;
      for (const id of live.splice(0)) {
        await c.admin.removeBackend(id);
        removed++;
      }
      await c.waitForBackends(STABLE, 10_000);
      await sleep(500);
      const rec = await load.stop();

      // Every node on the same version, and it is ZooKeeper's: max(pzxid of backends/, mzxid of each child).
      const versions = await c.waitFor(
        async () => {
          const v = (await c.statuses()).map(({ status }) => status.snapshot.version);
          return v.length === c.nodes.length && new Set(v).size === 1 ? v : undefined;
        },
        10_000,
        'every node on the same snapshot version',
      );
      const zkVersion = (await c.admin.listBackends()).version;
      const spareRequests = await Promise.all(spares.map((b) => b.requests()));
      const failures = rec.outcomes.filter((o) => !o.ok);
      reportMetric('chaos_churn_failed_requests', failures.length, {
        requests: rec.outcomes.length,
        changes: added + removed,
        added,
        removed,
        churnMs: Math.round(churnMs),
        maxTickLateMs: Math.round(lateMs),
        requestsToChurnedBackends: spareRequests.reduce((a, b) => a + b, 0),
        snapshotVersion: versions[0],
        zkVersion,
      });
      expect(describeFailures(failures, t0)).toEqual([]);
      expect(added + removed).toBeGreaterThanOrEqual(Math.floor((CHURN_FOR_MS / CHURN_EVERY_MS) * 0.8));
      expect(versions[0]).toBe(zkVersion);
      // The churned members did take traffic (the churn was not invisible to the data plane).
      expect(spareRequests.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect(rec.outcomes.length).toBeGreaterThan(1000);
    } finally {
      await load.stop();
    }
  }, 90_000);
});
