import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeLoadSummaries } from './load-merge.js';

describe('mergeLoadSummaries', () => {
  it('addsInFlightAndRequestsAndWeighsTheEwmaByRequests', () => {
    const m = mergeLoadSummaries([
      {
        backends: {
          a: { ewmaMs: 10, inFlight: 1, requests: 1 },
          b: { ewmaMs: null, inFlight: 2, requests: 0 },
        },
      },
      { backends: { a: { ewmaMs: 40, inFlight: 2, requests: 3 } } },
    ]);
    expect(m.backends.a).toEqual({ ewmaMs: 32.5, inFlight: 3, requests: 4 });
    expect(m.backends.b).toEqual({ ewmaMs: null, inFlight: 2, requests: 0 });
  });

  it('takesAPlainMeanWhenNoWorkerHasARequestWeight', () => {
    const m = mergeLoadSummaries([
      { backends: { a: { ewmaMs: 10, inFlight: 0, requests: 0 } } },
      { backends: { a: { ewmaMs: 30, inFlight: 0, requests: 0 } } },
    ]);
    expect(m.backends.a?.ewmaMs).toBe(20);
  });

  it('theMergedEwmaLiesBetweenTheWorkersFigures', () => {
    const summary = fc.record({
      ewmaMs: fc.option(fc.double({ min: 0, max: 1e4, noNaN: true }), { nil: null }),
      inFlight: fc.nat(100),
      requests: fc.double({ min: 0, max: 1e4, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(summary, { minLength: 1, maxLength: 8 }), (list) => {
        const m = mergeLoadSummaries(list.map((a) => ({ backends: { a } }))).backends.a!;
        const figures = list.map((s) => s.ewmaMs).filter((e): e is number => e !== null);
        expect(m.inFlight).toBe(list.reduce((n, s) => n + s.inFlight, 0));
        if (figures.length === 0) return m.ewmaMs === null;
        const e = m.ewmaMs!;
        return e >= Math.min(...figures) - 1e-6 && e <= Math.max(...figures) + 1e-6;
      }),
    );
  });
});
