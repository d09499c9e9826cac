// A `redis` service behind an active-passive pair whose standby forwards: an ioredis client
// (reconnecting, as apps run it) talks to the standby's listener, which relays to the leader.
// The leader is SIGKILLed mid-stream; the client must carry on through the promoted standby
// within the session timeout + 1 s, and every write it saw acknowledged must still be there.
import { type LocalCluster, type LocalNode, startLocalCluster, startRedis } from '@ringleader/launcher';
import { ClusterAdmin } from '@ringleader/zk';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportMetric } from './helpers.js';

const SESSION_MS = 1500;
const PORT = 16490;
type Started = Awaited<ReturnType<typeof startRedis>>;
let c: LocalCluster;
let backends: Started[] = [];

const host = (n: LocalNode) => `127.0.0.${n.index + 1}`;

beforeAll(async () => {
  backends = await Promise.all([startRedis(), startRedis()]);
  c = await startLocalCluster({
    nodes: 2,
    backends: 1,
    sessionTimeoutMs: SESSION_MS,
    standby: 'forward',
    nodeEnv: (i) => ({ RINGLEADER_SERVICE_HOST: `127.0.0.${i + 1}` }),
  });
  await c.admin.putService('cache', {
    protocol: 'redis',
    listen: PORT,
    policy: 'maglev',
    healthCheck: { intervalMs: 500, timeoutMs: 400, rise: 1, fall: 2 },
  });
  const cache = new ClusterAdmin({ session: c.session, cluster: c.cluster, service: 'cache' });
  for (const [i, b] of backends.entries())
    await cache.addBackend(`r${i + 1}`, { host: b.host, port: b.port });
  await c.waitFor(
    async () => {
      for (const n of c.nodes) {
        const s = (
          (await n.status()) as {
            services?: { name: string; listener: { phase: string }; backends: { up: boolean }[] }[];
          }
        ).services?.find((x) => x.name === 'cache');
        if (s?.listener.phase !== 'listening' || s.backends.filter((b) => b.up).length !== 2) return false;
      }
      return true;
    },
    15_000,
    'cache listening on both nodes',
  );
}, 90_000);

afterAll(async () => {
  await c?.stop();
  await Promise.all(backends.map((b) => b.stop()));
});

describe('a redis service survives a leader SIGKILL', () => {
  it('anIoredisClientContinuesOnTheNewLeaderAndLosesNoAcknowledgedWrite', async () => {
    const leader = await c.leader();
    const standby = c.nodes.find((n) => n !== leader) as LocalNode;
    const client = new Redis({
      host: host(standby),
      port: PORT,
      enableReadyCheck: false,
      maxRetriesPerRequest: 2,
      retryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    const acked: number[] = [];
    let killedAt = 0;
    let firstAfter = 0;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const ok = await client.set(`fo:${i}`, String(i)).then(
          () => true,
          () => false,
        );
        if (!ok) continue;
        acked.push(i);
        if (killedAt > 0 && firstAfter === 0 && Date.now() > killedAt) firstAfter = Date.now();
      }
    })();
    await c.waitFor(async () => acked.length > 200, 10_000, 'writes through the standby');
    killedAt = Date.now();
    const before = acked.length;
    await leader.kill('SIGKILL');
    await c.waitFor(
      async () => firstAfter > 0 && acked.length > before + 200,
      SESSION_MS + 8000,
      'writes after the kill',
    );
    stop = true;
    await writer;
    // The first write acknowledged after the kill may have been in flight before it: measure to
    // the point where the new leader serves (its role), and also report the client's view.
    const next = await c.leader();
    expect(next).toBe(standby);
    const resumedMs = firstAfter - killedAt;
    reportMetric('e2e_redis_failover_sigkill_ms', resumedMs, { sessionTimeoutMs: SESSION_MS });
    expect(resumedMs).toBeLessThanOrEqual(SESSION_MS + 1000);
    const values = await client.mget(...acked.map((i) => `fo:${i}`));
    const lost = acked.filter((i, n) => values[n] !== String(i));
    expect(lost).toEqual([]);
    client.disconnect();
    await leader.restart();
  }, 60_000);
});
