// The Redis plane without ZooKeeper: createRedisListener over a snapshot built by the real core,
// in front of real redis-server processes. What each backend holds is asked of it directly.
import {
  type Backend,
  buildSnapshot,
  DEFAULT_CLUSTER_CONFIG,
  HealthTable,
  LoadTracker,
  type RoutingSnapshot,
  type ServiceDefinition,
} from '@ringleader/core';
import { startRedis } from '@ringleader/launcher';
import { createMetrics } from '@ringleader/node';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisListener } from '../../packages/node/src/plane/redis/index.js';
import type { ServingPermit } from '../../packages/node/src/seam.js';
import { serving } from './dataplane-helpers.js';
import { member } from './tcp-helpers.js';

type Started = Awaited<ReturnType<typeof startRedis>>;
let r1: Started;
let r2: Started;
let locked: Started;
const open: { close(): Promise<void> }[] = [];
const clients: Redis[] = [];

function service(over: Partial<ServiceDefinition['timeouts']> = {}): ServiceDefinition {
  return {
    name: 'cache',
    protocol: 'redis',
    listen: 0,
    routing: { ...DEFAULT_CLUSTER_CONFIG, policy: 'consistent-hash', hash: { kind: 'ip' } },
    healthCheck: {
      kind: 'redis',
      intervalMs: 1000,
      timeoutMs: 500,
      rise: 1,
      fall: 1,
      path: '/',
      expectStatus: [200, 399],
    },
    timeouts: { connectMs: 500, idleMs: 60_000, queueMs: 200, proxyHeaderMs: 500, commandMs: 400, ...over },
    acceptProxyProtocol: false,
    drainTimeoutMs: 200,
  };
}

async function start(
  backends: Backend[],
  opts: { valid?: () => boolean; password?: string; def?: ServiceDefinition } = {},
) {
  const def = opts.def ?? service();
  const health = new HealthTable({
    healthCheck: DEFAULT_CLUSTER_CONFIG.healthCheck,
    outlier: DEFAULT_CLUSTER_CONFIG.outlier,
  });
  health.sync(backends.map((b) => b.id));
  const snap: RoutingSnapshot = buildSnapshot(1, backends, def.routing, {
    load: new LoadTracker(),
    health,
    random: Math.random,
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const outcomes: boolean[] = [];
  const listener = createRedisListener({
    nodeId: 'lb-test',
    service: def,
    seam: {
      snapshot: () => snap,
      gate: () => serving(3),
      permitValid: () => true,
      relayValid: (_p: ServingPermit) => opts.valid?.() ?? true,
    },
    forwardTarget: () => undefined,
    health: { recordOutcome: (_id, ok) => outcomes.push(ok) },
    metrics: metrics.redisMetrics('cache'),
    ...(opts.password !== undefined ? { auth: { password: opts.password } } : {}),
  });
  listener.onSnapshot(snap);
  const { port } = await listener.listen({ host: '127.0.0.1', port: 0 });
  open.push({ close: () => listener.close(0) });
  const client = new Redis({ host: '127.0.0.1', port, enableReadyCheck: false, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  clients.push(client);
  return { listener, client, metrics, outcomes, port };
}

beforeAll(async () => {
  [r1, r2, locked] = await Promise.all([
    startRedis(),
    startRedis(),
    startRedis({ password: 'sekret-pass-1' }),
  ]);
}, 30_000);

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(open.splice(0).map((o) => o.close()));
});

afterAll(async () => {
  await Promise.all([r1?.stop(), r2?.stop(), locked?.stop()]);
});

describe('the redis plane', () => {
  it('routesEachKeyToOneBackendOverSharedLinksAndReportsRingShares', async () => {
    const { client, listener, metrics } = await start([member('r1', r1.port), member('r2', r2.port)]);
    const keys = Array.from({ length: 200 }, (_, i) => `plane:${i}`);
    await Promise.all(keys.map((k) => client.set(k, k)));
    const d1 = new Redis({ port: r1.port });
    const d2 = new Redis({ port: r2.port });
    try {
      const on1 = (await Promise.all(keys.map((k) => d1.exists(k)))).filter((x) => x === 1).length;
      const on2 = (await Promise.all(keys.map((k) => d2.exists(k)))).filter((x) => x === 1).length;
      expect(on1 + on2).toBe(200);
      expect(Math.min(on1, on2)).toBeGreaterThan(50);
    } finally {
      d1.disconnect();
      d2.disconnect();
    }
    expect(listener.stats.links).toBeLessThanOrEqual(4);
    const shares = Object.values(listener.stats.ring);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/ringleader_redis_commands_total\{service="cache",backend="r1"\} \d+/);
    expect(text).toMatch(
      /ringleader_redis_command_duration_seconds_count\{service="cache",backend="r2"\} \d+/,
    );
    expect(text).toMatch(/ringleader_redis_ring_share\{service="cache",backend="r1"\} 0\.\d+/);
  });

  it('aBackendThatStopsAnsweringFailsItsCommandsWithinCommandMsNeverHangs', async () => {
    const { client, outcomes } = await start([member('r1', r1.port)]);
    expect(await client.set('frozen', '1')).toBe('OK');
    process.kill(r1.pid as number, 'SIGSTOP');
    try {
      const t0 = Date.now();
      await expect(client.get('frozen')).rejects.toThrow(/timed out.*commandMs/);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(outcomes).toContain(false);
    } finally {
      process.kill(r1.pid as number, 'SIGCONT');
    }
    // The link was reset; the next command reconnects and is answered.
    await new Promise((r) => setTimeout(r, 300));
    expect(await client.get('frozen')).toBe('1');
  });

  it('aBackendThatRefusesConnectionsGetsFastErrors', async () => {
    const { client } = await start([member('gone', 1)]);
    const t0 = Date.now();
    await expect(client.get('x')).rejects.toThrow(/backend gone \(127\.0\.0\.1:1\) is unavailable/);
    await expect(client.get('y')).rejects.toThrow(/unavailable/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('authenticatesItsLinksWithTheNodesCredentialAndSaysSoWhenItIsWrong', async () => {
    const good = await start([member('locked', locked.port)], { password: 'sekret-pass-1' });
    expect(await good.client.set('a', '1')).toBe('OK');
    const bad = await start([member('locked', locked.port)], { password: 'wrong-pass' });
    await expect(bad.client.get('a')).rejects.toThrow(/AUTH refused/);
  });

  it('aLapsedPermitAnswersAnErrorAndClosesTheConnection', async () => {
    let valid = true;
    const { client } = await start([member('r1', r1.port)], { valid: () => valid });
    expect(await client.ping()).toBe('PONG');
    valid = false;
    await expect(client.get('k')).rejects.toThrow(/stopped serving/);
  });
});
