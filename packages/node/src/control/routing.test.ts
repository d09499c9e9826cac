import { type Backend, DEFAULT_CLUSTER_CONFIG, HealthTable, LoadTracker } from '@ringleader/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HealthChecker } from './health/checker.js';
import { createMetrics } from './metrics.js';
import { RoutingState } from './routing.js';

const backend = (id: string, port: number): Backend =>
  Object.freeze({ id, host: '127.0.0.1', port, weight: 1, state: 'active', format: 'native' });

function setup() {
  const health = new HealthTable({
    healthCheck: DEFAULT_CLUSTER_CONFIG.healthCheck,
    outlier: DEFAULT_CLUSTER_CONFIG.outlier,
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const checker = new HealthChecker({ table: health, config: DEFAULT_CLUSTER_CONFIG.healthCheck, metrics });
  const seen: number[] = [];
  const state = new RoutingState({
    fallback: DEFAULT_CLUSTER_CONFIG,
    load: new LoadTracker(),
    health,
    checker,
    metrics,
    logger: pino({ level: 'silent' }),
    random: () => 0,
    onSnapshot: (s) => seen.push(s.version),
  });
  return { state, seen };
}

const facts = {
  clientIp: '10.0.0.1',
  clientPort: 1234,
  method: 'GET',
  host: 'h',
  path: '/',
  header: () => undefined,
  cookie: () => undefined,
  query: () => undefined,
};

describe('RoutingState', () => {
  it('swaps a whole new snapshot in on membership change', () => {
    const { state, seen } = setup();
    const before = state.snapshot;
    state.setMembership(7, [backend('b', 2), backend('a', 1)]);
    expect(state.snapshot).not.toBe(before);
    expect(state.snapshot.version).toBe(7);
    expect(state.snapshot.backends.map((b) => b.id)).toEqual(['a', 'b']);
    expect(Object.isFrozen(state.snapshot)).toBe(true);
    expect(before.backends).toEqual([]);
    expect(seen).toEqual([7]);
  });

  it('switches policy on config change and keeps the members', () => {
    const { state } = setup();
    state.setMembership(3, [backend('a', 1), backend('b', 2)]);
    state.setConfig({ ...DEFAULT_CLUSTER_CONFIG, policy: 'consistent-hash', hash: { kind: 'ip' } });
    expect(state.snapshot.policy.name).toBe('consistent-hash');
    expect(state.snapshot.version).toBe(3);
    const first = state.snapshot.policy.pick(facts)?.id;
    expect(state.snapshot.policy.pick(facts)?.id).toBe(first);
  });

  it('keeps the previous snapshot when the new config cannot be honoured', () => {
    const { state } = setup();
    state.setMembership(3, [backend('a', 1)]);
    const good = state.snapshot;
    // A hash policy with no hash source: the builder refuses it.
    state.setConfig({ ...DEFAULT_CLUSTER_CONFIG, policy: 'maglev' });
    expect(state.snapshot).toBe(good);
    expect(state.config.policy).toBe('round-robin');
  });
});
