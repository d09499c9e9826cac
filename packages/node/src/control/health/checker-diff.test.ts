// applyChanges (a membership change as its diff, O(change)) must leave a checker exactly as
// setBackends (the whole list) does: same entries, same table members, same probe targets.
import { type Backend, diffBackends, HealthTable } from '@ringleader/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker } from './checker.js';

const backend = (id: string, over: { port: number }): Backend =>
  ({ id, host: '127.0.0.1', weight: 1, state: 'active', format: 'native', ...over }) as Backend;

const cfg = { path: '/healthz', intervalMs: 1000, timeoutMs: 500, expectStatus: [200, 399] as const };

function checker(clock: { now: number }, probed: string[]) {
  const t = new HealthTable({
    healthCheck: { rise: 1, fall: 1 },
    outlier: { consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 10_000 },
  });
  const c = new HealthChecker({
    table: t,
    config: cfg,
    now: () => clock.now,
    random: () => 0.5,
    probe: async (target) => {
      probed.push(`${target.id}@${target.host}:${target.port}`);
      return { passed: true, detail: 'status 200', latencyMs: 1 };
    },
  });
  return { t, c };
}

// A membership: up to 12 of 16 ids, each at one of two ports (a move is a port change).
const membership = fc
  .uniqueArray(fc.record({ id: fc.integer({ min: 0, max: 15 }), port: fc.constantFrom(1, 2) }), {
    selector: (m) => m.id,
    maxLength: 12,
  })
  .map((ms) =>
    ms
      .map((m) => backend(`b${String(m.id).padStart(2, '0')}`, { port: m.port }))
      .sort((a, b) => (a.id < b.id ? -1 : 1)),
  );

describe('HealthChecker.applyChanges', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('leavesTheCheckerAsSetBackendsDoesForAnySequenceOfMemberships', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(membership, { minLength: 1, maxLength: 6 }), async (steps) => {
        const clock = { now: 0 };
        const fullProbes: string[] = [];
        const diffProbes: string[] = [];
        const full = checker(clock, fullProbes);
        const diff = checker(clock, diffProbes);
        full.c.start();
        diff.c.start();
        let prev: readonly Backend[] = [];
        const addedSeen: string[][] = [];
        diff.c.onBackends((added) => addedSeen.push([...added]));
        for (const next of steps) {
          full.c.setBackends(next);
          diff.c.applyChanges(diffBackends(prev, next));
          prev = next;
          expect([...diff.c.backendIds].sort()).toEqual([...full.c.backendIds].sort());
          for (const b of next) expect(diff.t.has(b.id)).toBe(full.t.has(b.id));
          // One interval and a half, the checker's clock moving with the fake timers.
          for (let i = 0; i < 30; i++) {
            clock.now += 50;
            await vi.advanceTimersByTimeAsync(50);
          }
          // The same targets (how often each is probed depends on its place in the spread).
          const targets = (xs: string[]) => [...new Set(xs.splice(0))].sort();
          expect(targets(diffProbes)).toEqual(targets(fullProbes));
        }
        // Every id the diff path reported as added is one the checker now or once knew.
        for (const ids of addedSeen) for (const id of ids) expect(id).toMatch(/^b\d\d$/);
        full.c.stop();
        diff.c.stop();
      }),
      { numRuns: 25 },
    );
  });

  it('forgetsARemovedBackendsTableStateAndKeepsAMovedOnes', () => {
    const clock = { now: 0 };
    const { t, c } = checker(clock, []);
    const a = backend('a', { port: 1 });
    const b = backend('b', { port: 1 });
    c.applyChanges(diffBackends([], [a, b]));
    t.recordCheck('a', true, 0);
    t.recordCheck('b', true, 0);
    const moved = backend('b', { port: 2 });
    c.applyChanges(diffBackends([a, b], [moved]));
    expect(t.has('a')).toBe(false);
    expect(t.has('b')).toBe(true);
    expect(t.checkState('b')).toBe('up');
  });
});
