import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxh32 } from '../hash/xxh32.js';
import { backend } from '../testing/fakes.js';
import { hashMembers } from './members.js';
import { buildRing, MAX_RING_POINTS, pointCounts, ringFrom, ringIndex } from './ring.js';

describe('buildRing', () => {
  it('places point j of member id at xxh32(id + "#" + j), sorted ascending', () => {
    const members = hashMembers([backend('b'), backend('a', { weight: 2 }), backend('ünï')]);
    const ring = buildRing(members, 40);
    expect(ring.points.length).toBe(40 * 4);
    for (let i = 1; i < ring.points.length; i++)
      expect(ring.points[i]!).toBeGreaterThanOrEqual(ring.points[i - 1]!);
    members.forEach((m, idx) => {
      const mine = ring.points.filter((_, i) => ring.owners[i] === idx);
      const expected = Array.from({ length: 40 * m.weight }, (_, j) => xxh32(`${m.id}#${j}`)).sort(
        (x, y) => x - y,
      );
      expect(Array.from(mine)).toEqual(expected);
    });
  });

  it('is byte-identical whatever order the members arrived in (property)', () => {
    const member = fc.record({
      id: fc.string({ minLength: 1, maxLength: 12 }),
      weight: fc.integer({ min: 0, max: 5 }),
      state: fc.constantFrom('active' as const, 'draining' as const),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(member, { selector: (m) => m.id, minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.nat(),
        (specs, vnodes, seed) => {
          const list = specs.map((s) => backend(s.id, { weight: s.weight, state: s.state }));
          const shuffled = [...list].sort((x, y) => xxh32(x.id, seed) - xxh32(y.id, seed));
          const a = buildRing(hashMembers(list), vnodes);
          const b = buildRing(hashMembers(shuffled), vnodes);
          expect(Buffer.from(a.points.buffer).equals(Buffer.from(b.points.buffer))).toBe(true);
          expect(Buffer.from(a.owners.buffer).equals(Buffer.from(b.owners.buffer))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects vnodes = %s', (vnodes) => {
    expect(() => buildRing([backend('a')], vnodes)).toThrow(
      expect.objectContaining({ code: 'RL_BAD_CONFIG' }),
    );
  });
});

describe('pointCounts', () => {
  it('gives vnodes × weight while under the cap', () => {
    const counts = pointCounts([backend('a'), backend('b', { weight: 3 })], 160);
    expect(Array.from(counts)).toEqual([160, 480]);
  });

  it('scales every member down proportionally past the cap, keeping at least one point', () => {
    // 1100 × weight 1000 + 1 = 1_100_001 weight units: 160× that is far past the cap.
    const heavy = Array.from({ length: 1100 }, (_, i) => backend(`h${i}`, { weight: 1000 }));
    const counts = pointCounts([...heavy, backend('light')], 160);
    const total = counts.reduce((s, c) => s + c, 0);
    expect(total).toBeLessThanOrEqual(MAX_RING_POINTS);
    expect(total).toBeGreaterThan(MAX_RING_POINTS * 0.99);
    expect(counts[0]).toBe(Math.floor((160_000 * MAX_RING_POINTS) / (160 * 1_100_001)));
    expect(counts[1100]).toBe(1);
  });
});

describe('ringIndex', () => {
  const small = ringFrom(Uint32Array.from([10, 20, 20, 30, 0x80000000, 0xfffffff0]), new Uint32Array(6), [
    backend('a'),
  ]);
  it.each([
    [0, 0],
    [10, 0],
    [11, 1],
    [20, 1],
    [21, 3],
    [30, 3],
    [31, 4],
    [0x80000000, 4],
    [0x80000001, 5],
    [0xfffffff0, 5],
    [0xfffffff1, 0],
    [0xffffffff, 0],
  ])('hash %i → index %i (first point >= hash, wrapping)', (hash, index) => {
    expect(ringIndex(small, hash)).toBe(index);
  });

  it('agrees with a linear scan on a large ring (property)', () => {
    const ring = buildRing(hashMembers(Array.from({ length: 50 }, (_, i) => backend(`n${i}`))), 160);
    const linear = (h: number) => {
      const i = ring.points.findIndex((p) => p >= h);
      return Math.max(i, 0);
    };
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (h) => {
        expect(ringIndex(ring, h)).toBe(linear(h));
      }),
      { numRuns: 2000 },
    );
    for (const p of ring.points.subarray(0, 500)) expect(ringIndex(ring, p)).toBe(linear(p));
  });
});
