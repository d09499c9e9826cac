// The checker's scheduling as seen from outside: when probes start, how many run at once, and
// which backends a node checks itself under shared checking.
import { HealthTable } from '@ringleader/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HealthChecker } from './checker.js';
import type { ProbeResult } from './probe.js';

const cfg = { path: '/healthz', intervalMs: 1000, timeoutMs: 500, expectStatus: [200, 399] as const };
const pass: ProbeResult = { passed: true, detail: 'status 200', latencyMs: 1 };
const backends = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `b${i}`, host: 'h', port: i + 1 }));

describe('HealthChecker scheduling (fake clock)', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => vi.useRealTimers());

  async function advance(ms: number) {
    for (let left = ms; left > 0; left -= 5) {
      clock += Math.min(5, left);
      await vi.advanceTimersByTimeAsync(Math.min(5, left));
    }
  }

  function checker(probe: (id: string) => Promise<ProbeResult>, over: { maxConcurrent?: number } = {}) {
    const table = new HealthTable({
      healthCheck: { rise: 2, fall: 3 },
      outlier: { consecutiveFailures: 0, baseEjectionMs: 1000, maxEjectionMs: 1000 },
    });
    let r = 0;
    const c = new HealthChecker({
      table,
      config: cfg,
      now: () => clock,
      // A deterministic spread of jitter draws.
      random: () => {
        r = (r + 0.37) % 1;
        return r;
      },
      probe: (t) => probe(t.id),
      ...over,
    });
    return { c, table };
  }

  it('spreads 2000 backends evenly over the interval: every tenth of it starts 200 ± 25 checks', async () => {
    const starts: number[] = [];
    const { c } = checker(async () => {
      starts.push(clock);
      return pass;
    });
    c.setBackends(backends(2000));
    c.start();
    await advance(4000);
    c.stop();
    // Rounds 2 and 3 (the cold start is spread too, but steady state is what matters).
    const buckets = new Array<number>(20).fill(0);
    for (const t of starts)
      if (t >= 1000 && t < 3000) {
        const i = Math.floor((t - 1000) / 100);
        buckets[i] = (buckets[i] ?? 0) + 1;
      }
    expect(buckets.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3900);
    for (const b of buckets) expect(Math.abs(b - 200)).toBeLessThanOrEqual(25);
  });

  it('checks every backend once per round: no backend checked twice within 0.9 intervals', async () => {
    const last = new Map<string, number>();
    let tooSoon = 0;
    const { c } = checker(async (id) => {
      const prev = last.get(id);
      if (prev !== undefined && clock - prev < 900) tooSoon++;
      last.set(id, clock);
      return pass;
    });
    c.setBackends(backends(500));
    c.start();
    await advance(3500);
    c.stop();
    expect(tooSoon).toBe(0);
    expect(last.size).toBe(500);
  });

  it('never has more than maxConcurrent checks in flight, and catches up when they finish', async () => {
    const pending: Array<() => void> = [];
    let peak = 0;
    let done = 0;
    const { c } = checker(
      (id) =>
        new Promise<ProbeResult>((resolve) => {
          pending.push(() => {
            done++;
            resolve(pass);
          });
          peak = Math.max(peak, c.inFlight);
          void id;
        }),
      { maxConcurrent: 8 },
    );
    c.setBackends(backends(100));
    c.start();
    await advance(1000);
    expect(c.inFlight).toBe(8);
    expect(pending).toHaveLength(8);
    // Release everything as it arrives: the waiting checks run in due order.
    for (let i = 0; i < 40 && done < 100; i++) {
      for (const p of pending.splice(0)) p();
      await advance(5);
    }
    expect(done).toBeGreaterThanOrEqual(100);
    expect(peak).toBeLessThanOrEqual(8);
    c.stop();
  });

  it('checks only its active backends and adopts peers’ states for the others', async () => {
    const seen = new Set<string>();
    const { c, table } = checker(async (id) => {
      seen.add(id);
      return pass;
    });
    c.setBackends(backends(10));
    c.setActive((id) => Number(id.slice(1)) % 2 === 0);
    c.start();
    await advance(1500);
    expect([...seen].sort()).toEqual(['b0', 'b2', 'b4', 'b6', 'b8']);
    expect(c.checking).toHaveLength(5);
    // A peer's verdict moves a backend this node does not check; its own checks win for the others.
    expect(c.adopt('b1', 'down', 'peers: down')).toMatchObject({ id: 'b1', to: 'down' });
    expect(table.isUp('b1')).toBe(false);
    expect(c.adopt('b0', 'down', 'peers: down')).toBeUndefined();
    expect(table.isUp('b0')).toBe(true);
    // Back to checking everything (N = 1): the rest are checked within their first window.
    c.setActive(undefined);
    await advance(150);
    expect(seen.size).toBe(10);
    c.stop();
  });
});
