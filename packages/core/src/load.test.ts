import { describe, expect, it } from 'vitest';
import { LoadTracker } from './load.js';

describe('LoadTracker', () => {
  it('counts in-flight requests per backend and in total', () => {
    const t = new LoadTracker();
    t.onStart('a');
    t.onStart('a');
    t.onStart('b');
    expect([t.inFlight('a'), t.inFlight('b'), t.inFlight('c'), t.totalInFlight()]).toEqual([2, 1, 0, 3]);
    t.onEnd('a', 5, 0);
    t.onEnd('c', 5, 0); // an end without a start never goes negative
    expect([t.inFlight('a'), t.inFlight('c'), t.totalInFlight()]).toEqual([1, 0, 2]);
  });

  it('has no figure before the first sample; the first sample is taken as is', () => {
    const t = new LoadTracker({ decayMs: 1000 });
    expect(t.ewmaMs('a')).toBeUndefined();
    t.onEnd('a', 42, 100);
    expect(t.ewmaMs('a')).toBe(42);
  });

  it('takes a higher sample at once (peak) and blends a lower one by elapsed time', () => {
    const tau = 1000;
    const t = new LoadTracker({ decayMs: tau });
    t.onEnd('a', 10, 0);
    t.onEnd('a', 100, 1); // peak
    expect(t.ewmaMs('a')).toBe(100);
    t.onEnd('a', 10, 1 + tau); // one τ later: old figure keeps weight e^-1
    const w = Math.exp(-1);
    expect(t.ewmaMs('a')).toBeCloseTo(100 * w + 10 * (1 - w), 9);
    // Decay is by time, not by sample count: 100 samples at the same instant move nothing.
    const before = t.ewmaMs('a')!;
    for (let i = 0; i < 100; i++) t.onEnd('a', 1, 1 + tau);
    expect(t.ewmaMs('a')).toBeCloseTo(before, 9);
  });

  it('forgets a figure older than 3τ, so the backend is probed again', () => {
    const t = new LoadTracker({ decayMs: 1000 });
    t.onEnd('a', 50, 0);
    t.onEnd('b', 5, 2999);
    expect(t.ewmaMs('a')).toBe(50);
    t.onEnd('b', 5, 3001);
    expect(t.ewmaMs('a')).toBeUndefined();
    t.onEnd('a', 7, 3002); // a stale figure is replaced, not blended
    expect(t.ewmaMs('a')).toBe(7);
    t.advance(10_000);
    expect(t.ewmaMs('a')).toBeUndefined();
  });

  it('forget(id) drops figures but keeps in-flight counts balanced', () => {
    const t = new LoadTracker();
    t.onEnd('a', 30, 0);
    t.onStart('a');
    t.forget('a');
    expect([t.ewmaMs('a'), t.inFlight('a')]).toEqual([undefined, 1]);
    t.onEnd('a', -1, 1); // negative latency: ends the request, records nothing
    expect([t.ewmaMs('a'), t.inFlight('a'), t.totalInFlight()]).toEqual([undefined, 0, 0]);
  });

  it('snapshot publishes local figures with decayed request counts', () => {
    const t = new LoadTracker({ decayMs: 1000 });
    for (let i = 0; i < 10; i++) t.onEnd('a', 20, 0);
    t.onStart('b');
    const s = t.snapshot(1000);
    expect(s.backends.a?.ewmaMs).toBe(20);
    expect(s.backends.a?.requests).toBeCloseTo(10 * Math.exp(-1), 9);
    expect(s.backends.b).toEqual({ ewmaMs: null, inFlight: 1, requests: 0 });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('blend folds peers in, weighted by their request counts; published figures stay local', () => {
    const t = new LoadTracker({ decayMs: 1000 });
    t.onEnd('a', 10, 0); // local: 10 ms over 1 request
    t.blend([
      {
        backends: {
          a: { ewmaMs: 40, inFlight: 3, requests: 2 },
          c: { ewmaMs: 80, inFlight: 0, requests: 5 },
        },
      },
      { backends: { a: { ewmaMs: 100, inFlight: 0, requests: 1 } } },
    ]);
    expect(t.ewmaMs('a')).toBeCloseTo((10 * 1 + 40 * 2 + 100 * 1) / 4, 9);
    expect(t.ewmaMs('c')).toBe(80); // only peers know it: their figure
    expect(t.localEwmaMs('a')).toBe(10);
    expect(t.inFlight('a')).toBe(0); // in-flight is never blended
    expect(t.snapshot(0).backends.a?.ewmaMs).toBe(10);
    expect(t.snapshot(0).backends.c).toBeUndefined();
    // The next blend replaces the previous one; garbage entries are ignored.
    t.blend([{ backends: { a: { ewmaMs: Number.NaN, inFlight: 0, requests: 1 }, c: null as never } }]);
    expect([t.ewmaMs('a'), t.ewmaMs('c')]).toEqual([10, undefined]);
    t.blend([null as never, { backends: 'x' as never }]);
    expect(t.ewmaMs('a')).toBe(10);
  });
});
