// Active-passive with `standby: reject`, three LB nodes, four backends, one ZooKeeper server:
// only the elected leader proxies, standbys turn clients away with the leader's address, and a
// SIGKILLed leader is replaced within the session timeout + 1 s with a higher epoch.

import { type LocalCluster, type LocalNode, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fencingHeld } from '../harness/fencing.js';
import { burst, get, median, reportMetric, shares } from './helpers.js';

const SESSION_MS = 1500;
const FAILOVER_RUNS = 5;

let c: LocalCluster;

beforeAll(async () => {
  c = await startLocalCluster({ nodes: 3, backends: 4, sessionTimeoutMs: SESSION_MS, standby: 'reject' });
});

afterAll(async () => {
  await c?.stop();
});

async function totalBackendRequests(): Promise<number> {
  const counts = await Promise.all(c.backends.map((b) => b.requests()));
  return counts.reduce((a, b) => a + b, 0);
}

describe('active-passive, standby reject', () => {
  it('onlyTheElectedLeaderProxiesAndStandbysAnswer503WithRetryAfterAndTheLeaderAddress', async () => {
    const leader = await c.leader();
    const standbys = c.nodes.filter((n) => n !== leader);
    const before = await totalBackendRequests();

    const replies = await burst(40, 4, () => ({ url: `${leader.proxyUrl}/through-leader` }));
    expect(Object.values(shares(replies)).reduce((a, b) => a + b, 0)).toBe(40);

    for (const s of standbys) {
      const r = await get(`${s.proxyUrl}/through-standby`);
      expect(r.status).toBe(503);
      expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(r.headers['x-ringleader-leader']).toBe(leader.proxyUrl);
      expect(r.body?.code).toBe('RL_NOT_LEADER');
      expect((await get(`${s.adminUrl}/readyz`)).status).toBe(503);
    }
    expect((await get(`${leader.adminUrl}/readyz`)).status).toBe(200);
    // The standbys' 503s never reached a backend: exactly the leader's 40 did.
    expect((await totalBackendRequests()) - before).toBe(40);

    const roles = (await c.statuses()).map(({ status }) => [status.role, status.serving]);
    expect(roles.filter(([role]) => role === 'leader')).toEqual([['leader', true]]);
    expect(roles.filter(([role, serving]) => role === 'standby' && serving === false)).toHaveLength(2);
  });

  it('leaderSigkillHandsTrafficToAStandbyWithinSessionTimeoutPlusOneSecondWithAHigherEpoch', async () => {
    const times: number[] = [];
    for (let run = 1; run <= FAILOVER_RUNS; run++) {
      const old = await c.leader();
      const oldEpoch = (await old.status()).epoch;
      expect(oldEpoch).not.toBeNull();
      await Promise.all(c.backends.map((b) => b.epochs({ reset: true })));
      expect((await get(`${old.proxyUrl}/before-kill`)).status).toBe(200);

      const standbys = c.nodes.filter((n) => n !== old);
      const t0 = Date.now();
      await old.kill('SIGKILL');
      // Poll the standbys until one proxies to a backend: that is when traffic is back.
      let served: LocalNode | undefined;
      let t1 = 0;
      while (served === undefined && Date.now() - t0 < SESSION_MS + 5000) {
        for (const s of standbys) {
          const r = await get(`${s.proxyUrl}/after-kill`, { timeoutMs: 1000 }).catch(() => undefined);
          if (r?.status === 200 && r.backend !== undefined) {
            served = s;
            t1 = Date.now();
            break;
          }
        }
        if (served === undefined) await new Promise((r) => setTimeout(r, 20));
      }
      expect(served, 'a standby took over').toBeDefined();
      const failoverMs = t1 - t0;
      times.push(failoverMs);
      reportMetric('e2e_failover_sigkill_ms', failoverMs, { run, sessionTimeoutMs: SESSION_MS });
      expect(failoverMs).toBeLessThanOrEqual(SESSION_MS + 1000);

      const next = await c.leader();
      expect(next).toBe(served);
      const newEpoch = (await next.status()).epoch ?? -1;
      expect(newEpoch).toBeGreaterThan(oldEpoch!);
      // Backends saw the old epoch before the kill and only the new one after it, in order.
      for (const b of c.backends) {
        const seen = (await b.epochs()).filter((e): e is number => e !== null);
        expect(seen.every((e) => e === oldEpoch || e === newEpoch)).toBe(true);
        const firstNew = seen.indexOf(newEpoch);
        if (firstNew >= 0) expect(seen.slice(firstNew).every((e) => e === newEpoch)).toBe(true);
      }
      const all = (await Promise.all(c.backends.map((b) => b.epochs()))).flat();
      expect(all).toContain(oldEpoch);
      expect(all).toContain(newEpoch);
      // Merged over every backend in arrival order: nothing unstamped, nothing older after newer.
      expect((await fencingHeld(c.backends, { ordered: true })).violations).toEqual([]);

      // The killed node comes back as a standby; the cluster is whole for the next run.
      await old.restart();
      await c.waitForBackends();
      await c.waitFor(async () => (await old.status()).role === 'standby', 5000, `${old.id} standby again`);
      expect(await c.leader()).toBe(next);
    }
    const med = median(times);
    reportMetric('e2e_failover_sigkill_median_ms', med, { runs: times, sessionTimeoutMs: SESSION_MS });
  }, 90_000);
});
