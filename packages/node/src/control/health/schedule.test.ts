import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DueHeap, firstWindow, nextPhase, nextRound, type Queued, roundOffset } from './schedule.js';

describe('firstWindow', () => {
  it('keeps a quick first check for a few backends and spreads thousands over the interval', () => {
    expect(firstWindow(2000, 0.1, 1)).toBe(200);
    expect(firstWindow(2000, 0.1, 100)).toBe(200);
    expect(firstWindow(2000, 0.1, 1000)).toBe(1000);
    expect(firstWindow(2000, 0.1, 10_000)).toBe(2000);
  });
});

describe('golden-ratio phases', () => {
  it('cover [0, 1) evenly for any count: every tenth holds n/10 ± 3', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 5000 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (n, seed) => {
          const buckets = new Array<number>(10).fill(0);
          let u = seed;
          for (let i = 0; i < n; i++) {
            buckets[Math.floor(u * 10)] = (buckets[Math.floor(u * 10)] ?? 0) + 1;
            u = nextPhase(u);
            expect(u).toBeGreaterThanOrEqual(0);
            expect(u).toBeLessThan(1);
          }
          for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThanOrEqual(3);
        },
      ),
    );
  });
});

describe('nextRound', () => {
  it('is the first later round not due before the check finished', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }), // anchor
        fc.integer({ min: 100, max: 5000 }), // interval
        fc.integer({ min: 0, max: 50 }), // round that ran
        fc.integer({ min: 0, max: 20_000 }), // how long the check took
        fc.double({ min: -0.05, max: 0.05, noNaN: true }), // offset as a fraction of the interval
        (anchor, interval, round, took, off) => {
          const offset = off * interval;
          const finished = anchor + round * interval + took;
          const r = nextRound(anchor, interval, round, finished, offset);
          const due = (k: number) => anchor + k * interval + offset;
          expect(r).toBeGreaterThan(round);
          expect(due(r)).toBeGreaterThanOrEqual(finished);
          if (r > round + 1) expect(due(r - 1)).toBeLessThan(finished);
        },
      ),
    );
  });

  it('keeps consecutive checks within interval ± jitter of each other', () => {
    const interval = 1000;
    const jitter = 0.1;
    let prevDue = 0;
    let round = 0;
    const rnd = fc.sample(fc.double({ min: 0, max: 0.9999, noNaN: true }), 200);
    for (const x of rnd) {
      const offset = roundOffset(interval, jitter, () => x);
      round = nextRound(0, interval, round, prevDue + 3, offset);
      const due = round * interval + offset;
      if (prevDue > 0) {
        expect(due - prevDue).toBeGreaterThanOrEqual(interval * (1 - jitter) - 1e-9);
        expect(due - prevDue).toBeLessThanOrEqual(interval * (1 + jitter) + 1e-9);
      }
      prevDue = due;
    }
  });
});

describe('DueHeap', () => {
  interface Item extends Queued {
    readonly n: number;
  }
  it('pops in due order whatever was pushed, moved and removed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.constantFrom('push', 'remove', 'move')), {
          maxLength: 200,
        }),
        (ops) => {
          const heap = new DueHeap<Item>();
          const items: Item[] = Array.from({ length: 20 }, (_, n) => ({ n, due: 0, heapIndex: -1 }));
          const inside = new Set<Item>();
          ops.forEach(([due, op], i) => {
            const it = items[i % items.length] as Item;
            if (op === 'remove') {
              heap.remove(it);
              inside.delete(it);
            } else {
              it.due = due;
              heap.push(it);
              inside.add(it);
            }
          });
          expect(heap.size).toBe(inside.size);
          const out: number[] = [];
          for (let it = heap.pop(); it !== undefined; it = heap.pop()) {
            expect(it.heapIndex).toBe(-1);
            out.push(it.due);
          }
          expect(out).toEqual([...inside].map((x) => x.due).sort((a, b) => a - b));
        },
      ),
    );
  });
});
