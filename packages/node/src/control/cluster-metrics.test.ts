import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type ClusterMetricsView, LeaderChangeClock, registerClusterMetrics } from './cluster-metrics.js';
import { createMetrics } from './metrics.js';
import type { RoleEvent } from './role/controller.js';

function fakeView(over: { serving?: boolean; source?: string; rejected?: number } = {}) {
  const listeners: Array<(e: RoleEvent) => void> = [];
  const view = {
    roles: {
      isServing: () => over.serving ?? true,
      onEvent: (fn: (e: RoleEvent) => void) => {
        listeners.push(fn);
        return () => undefined;
      },
    },
    membership: {
      current: { rejected: Array.from({ length: over.rejected ?? 0 }, (_, i) => ({ id: `b${i}` })) },
    },
    configWatch: { current: over.source === undefined ? undefined : { source: over.source } },
    services: {
      status: () => [
        { rejected: { code: 'RL_X' }, membershipRejected: [{}, {}] },
        { rejected: undefined, membershipRejected: [] },
      ],
    },
  } as unknown as ClusterMetricsView;
  const leader = (id: string | null, epoch: number | null) => {
    for (const fn of listeners) fn({ at: '', kind: 'leader', detail: { id, epoch } });
  };
  return { view, leader };
}

describe('cluster metrics', () => {
  it('reports serving, config validity and rejected znodes by kind at scrape time', async () => {
    const registry = new Registry();
    const { view } = fakeView({ serving: false, source: 'last-good', rejected: 3 });
    registerClusterMetrics(registry, view);
    const text = await registry.metrics();
    expect(text).toContain('ringleader_serving 0');
    expect(text).toContain('ringleader_config_valid 0');
    expect(text).toContain('ringleader_rejected_znodes{kind="backend"} 3');
    expect(text).toContain('ringleader_rejected_znodes{kind="config"} 1');
    expect(text).toContain('ringleader_rejected_znodes{kind="service"} 1');
    expect(text).toContain('ringleader_rejected_znodes{kind="service_backend"} 2');
    // No leader event yet: the age is absent rather than a made-up number.
    expect(text).not.toMatch(/^ringleader_leader_change_age_seconds /m);
  });

  it('a valid or absent config znode counts as valid', async () => {
    for (const source of ['znode', 'fallback', undefined]) {
      const registry = new Registry();
      registerClusterMetrics(registry, fakeView(source === undefined ? {} : { source }).view);
      expect(await registry.metrics()).toContain('ringleader_config_valid 1');
    }
  });

  it('measures the age of the last leader change from the role events', async () => {
    let now = 10_000;
    const registry = new Registry();
    const { view, leader } = fakeView();
    registerClusterMetrics(registry, view, () => now);
    leader('lb-1', 3);
    now += 2_500;
    leader('lb-1', 3); // the same leader again is no change
    expect(await registry.metrics()).toContain('ringleader_leader_change_age_seconds 2.5');
    leader(null, null);
    now += 1_000;
    expect(await registry.metrics()).toContain('ringleader_leader_change_age_seconds 1');
  });

  it('the clock treats a new epoch of the same node as a change', () => {
    const c = new LeaderChangeClock();
    expect(c.ageSeconds(0)).toBeUndefined();
    expect(c.observe('lb-1', 1, 0)).toBe(true);
    expect(c.observe('lb-1', 1, 5)).toBe(false);
    expect(c.observe('lb-1', 2, 7)).toBe(true);
    expect(c.ageSeconds(1_007)).toBe(1);
  });

  it('no gauge of the default registry ends in _total (promtool check metrics)', async () => {
    const m = createMetrics();
    const json = await m.registry.getMetricsAsJSON();
    const bad = json
      .filter((x) => String(x.type) !== 'counter' && x.name.endsWith('_total'))
      .map((x) => x.name);
    expect(bad).toEqual([]);
    expect(json.map((x) => x.name)).toContain('ringleader_process_nodejs_active_handles');
  });
});
