// The shared-health publisher under a trickle of verdict changes (first checks of a large
// pool, a flapping backend), against a real ZooKeeper server: a large payload is written at
// most at its byte budget, a small one as often as the coalescing window allows, and the
// last write always holds the last verdicts.
import { startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import { ClusterAdmin, decodeHealth, HealthPublisher, type Verdict, type ZkSession } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './poll.js';
import { openSession, uniqueCluster } from './zk-membership-helpers.js';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 1 });
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

/** A publisher over `n` verdicts of which the first `up()` are up; `trickle` raises it. */
async function setup(n: number) {
  const session = openSession(sessions, zk.connectString);
  await session.waitFor('connected');
  const cluster = uniqueCluster('pace');
  await new ClusterAdmin({ session, cluster }).ensureClusterPaths();
  let up = 0;
  const ids = Array.from({ length: n }, (_, i) => `backend-${String(i).padStart(5, '0')}`);
  const publisher = new HealthPublisher({
    session,
    nodeId: 'lb-1',
    cluster,
    verdicts: (visit: (id: string, v: Verdict) => void) => {
      for (let i = 0; i < ids.length; i++) visit(ids[i] as string, i < up ? 'up' : 'down');
    },
  }).start();
  await until(async () => publisher.writes >= 1, 10_000, 'first write');
  const upCount = async () => {
    const { data } = await session.getData(publisher.path);
    const d = decodeHealth('lb-1', data);
    if (!d.ok) throw new Error(d.error);
    return [...d.value.verdicts.values()].filter((v) => v === 'up').length;
  };
  /** One verdict change every 20 ms for `ms`; returns the writes made meanwhile. */
  const trickle = async (ms: number) => {
    const w0 = publisher.writes;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      up = Math.min(n, up + 1);
      publisher.publishSoon();
      await new Promise((r) => setTimeout(r, 20));
    }
    return { writes: publisher.writes - w0, up };
  };
  return { publisher, trickle, upCount };
}

describe('health publisher under a trickle of verdict changes', () => {
  it('aLargePayloadIsWrittenAtItsByteBudgetAndEndsWithTheLastVerdicts', async () => {
    const { publisher, trickle, upCount } = await setup(10_000); // ~170 KB of ids
    const { writes, up } = await trickle(2000);
    // 170 KB at 100 KiB/s: one write per ~1.7 s, so at most 2 in 2 s (unpaced: ~40).
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(3);
    await until(async () => (await upCount()) === up, 5000, 'last verdicts written');
    await publisher.close();
  });

  it('aSmallPayloadIsNotHeldBackByTheBudget', async () => {
    const { publisher, trickle, upCount } = await setup(5);
    const { writes, up } = await trickle(1000);
    // 50 ms coalescing over 1 s of changes: ~15-20 writes; the budget (≤ 3 ms each) adds nothing.
    expect(writes).toBeGreaterThanOrEqual(8);
    await until(async () => (await upCount()) === up, 10_000, 'last verdicts written');
    await publisher.close();
  });
});
