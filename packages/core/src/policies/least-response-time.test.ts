import { describe, expect, it } from 'vitest';
import { LoadTracker } from '../load.js';
import { backend, backends, context, downSet, FakeLoad, fakeFacts, seededRandom } from '../testing/fakes.js';
import type { Backend, Policy, PolicyContext } from '../types.js';
import { leastConnections } from './least-connections.js';
import { leastResponseTime, PROBE_MAX_IN_FLIGHT } from './least-response-time.js';

const req = fakeFacts();

/**
 * A discrete-event simulation: one request every `gapMs`, each backend answering
 * after a fixed latency, the tracker fed exactly as the data plane feeds it.
 * `onPick` sees the time and the pick before the request starts.
 */
function simulate(opts: {
  policy: Policy;
  load: LoadTracker;
  latency: (id: string) => number;
  requests: number;
  gapMs: number;
  startMs?: number;
  onPick?: (now: number, b: Backend) => void;
}): Map<string, number> {
  const counts = new Map<string, number>();
  const ends: { at: number; id: string; latency: number }[] = [];
  let now = opts.startMs ?? 0;
  for (let k = 0; k < opts.requests; k++, now += opts.gapMs) {
    ends.sort((a, b) => a.at - b.at);
    while (ends.length > 0 && ends[0]!.at <= now) {
      const e = ends.shift()!;
      opts.load.onEnd(e.id, e.latency, e.at);
    }
    const b = opts.policy.pick(req);
    if (b === undefined) continue;
    opts.onPick?.(now, b);
    counts.set(b.id, (counts.get(b.id) ?? 0) + 1);
    opts.load.onStart(b.id);
    const latency = opts.latency(b.id);
    ends.push({ at: now + latency, id: b.id, latency });
  }
  return counts;
}

function lrtContext(load: LoadTracker, seed = 1): PolicyContext {
  return context({ load, random: seededRandom(seed) });
}

describe('least-response-time', () => {
  it('sends a slow backend less traffic than a fast one', () => {
    const load = new LoadTracker({ decayMs: 1000 });
    const members = [backend('fast'), backend('slow')];
    const counts = simulate({
      policy: leastResponseTime(members, lrtContext(load)),
      load,
      latency: (id) => (id === 'fast' ? 10 : 50),
      requests: 10_000,
      gapMs: 2,
    });
    const fast = counts.get('fast') ?? 0;
    const slow = counts.get('slow') ?? 0;
    expect(fast + slow).toBe(10_000);
    expect(slow).toBeGreaterThan(0);
    expect(fast).toBeGreaterThan(3 * slow);
  });

  it('probes a new backend without flooding it, then gives it a share by its speed', () => {
    const load = new LoadTracker({ decayMs: 1000 });
    const old = backends(3, 'old-');
    const latency = (id: string) => (id === 'new' ? 40 : 10);
    // Warm up: the old backends have figures.
    simulate({ policy: leastResponseTime(old, lrtContext(load)), load, latency, requests: 2000, gapMs: 1 });
    // A new snapshot with a new (and slower) backend, same tracker.
    const policy = leastResponseTime([...old, backend('new')], lrtContext(load, 2));
    let maxInFlightUnsampled = 0;
    let firstPick = -1;
    const counts = simulate({
      policy,
      load,
      latency,
      requests: 3000,
      gapMs: 1,
      startMs: 2000,
      onPick: (now, b) => {
        if (b.id !== 'new') return;
        if (firstPick < 0) firstPick = now;
        if (load.ewmaMs('new') === undefined)
          maxInFlightUnsampled = Math.max(maxInFlightUnsampled, load.inFlight('new') + 1);
      },
    });
    expect(firstPick).toBeGreaterThanOrEqual(2000);
    expect(firstPick).toBeLessThan(2100); // probed promptly
    expect(maxInFlightUnsampled).toBeLessThanOrEqual(PROBE_MAX_IN_FLIGHT); // not flooded before it answers
    const share = (counts.get('new') ?? 0) / 3000;
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.25); // less than an equal quarter: it is slower
  });

  it('at cold start (no figures anywhere) spreads like least-connections and still answers when all are capped', () => {
    const load = new LoadTracker();
    const members = backends(4);
    const p = leastResponseTime(members, lrtContext(load));
    for (let k = 0; k < 400; k++) load.onStart(p.pick(req)!.id);
    const inFlight = members.map((b) => load.inFlight(b.id));
    expect(inFlight.reduce((a, b) => a + b)).toBe(400);
    expect(Math.max(...inFlight) - Math.min(...inFlight)).toBeLessThanOrEqual(3);
    // Two backends with one request each, two with many: the idle-most one wins.
    const q = leastResponseTime([backend('x'), backend('y')], lrtContext(load));
    load.onStart('x');
    for (let k = 0; k < 5; k++) load.onStart('y');
    expect(q.pick(req)?.id).toBe('x');
  });

  it('is deterministic for a seeded random source', () => {
    const run = (seed: number) => {
      const load = new LoadTracker({ decayMs: 500 });
      const counts = simulate({
        policy: leastResponseTime(backends(6), lrtContext(load, seed)),
        load,
        latency: (id) => 5 + Number(id.slice(-1)) * 3,
        requests: 2000,
        gapMs: 1,
      });
      return [...counts.entries()].sort();
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });

  it('divides cost by weight and skips ineligible backends', () => {
    const load = new LoadTracker();
    load.onEnd('a', 10, 0);
    load.onEnd('b', 10, 0);
    load.onStart('a');
    // a: 10 × 2 / 4 = 5 beats b: 10 × 1 / 1 = 10
    const p = leastResponseTime([backend('a', { weight: 4 }), backend('b')], lrtContext(load));
    expect(p.pick(req)?.id).toBe('a');
    expect(p.pick(req, new Set(['a']))?.id).toBe('b');
    const q = leastResponseTime(
      [backend('a'), backend('b', { state: 'draining' })],
      context({ load, health: downSet('a') }),
    );
    expect(q.pick(req)).toBeUndefined();
  });
});

describe('least-connections', () => {
  it('prefers the backend with fewer requests in flight', () => {
    const load = new FakeLoad();
    load.add('a', 5);
    const p = leastConnections([backend('a'), backend('b')], context({ load }));
    for (let k = 0; k < 20; k++) expect(p.pick(req)?.id).toBe('b');
  });

  it('is weight-aware: in-flight per unit of weight', () => {
    const load = new FakeLoad();
    load.add('a', 3); // 3 / 3 = 1
    load.add('b', 2); // 2 / 1 = 2
    const p = leastConnections([backend('a', { weight: 3 }), backend('b')], context({ load }));
    expect(p.pick(req)?.id).toBe('a');
  });

  it('balances in-flight across many backends when requests pile up', () => {
    const load = new FakeLoad();
    const members = backends(10);
    const p = leastConnections(members, context({ load, random: seededRandom(3) }));
    for (let k = 0; k < 1000; k++) load.add(p.pick(req)!.id, 1);
    const counts = members.map((b) => load.inFlight(b.id));
    // Power of two choices keeps the spread tight (a random pick would spread ±30).
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(4);
  });

  it('finds the only eligible backend among many down ones, deterministically', () => {
    const members = backends(50);
    const up = 'backend-37';
    const health = { isUp: (id: string) => id === up };
    const p = leastConnections(members, context({ health, random: seededRandom(5) }));
    for (let k = 0; k < 10; k++) expect(p.pick(req)?.id).toBe(up);
    expect(p.pick(req, new Set([up]))).toBeUndefined();
    const seq = (seed: number) => {
      const q = leastConnections(members, context({ random: seededRandom(seed) }));
      return Array.from({ length: 50 }, () => q.pick(req)?.id);
    };
    expect(seq(4)).toEqual(seq(4));
  });
});
