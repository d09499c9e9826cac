import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backend, backends, context, downSet, fakeFacts, seededRandom } from '../testing/fakes.js';
import { roundRobin } from './round-robin.js';

const req = fakeFacts();

function ids(policy: ReturnType<typeof roundRobin>, count: number, exclude?: ReadonlySet<string>): string[] {
  return Array.from({ length: count }, () => policy.pick(req, exclude)?.id ?? '-');
}

describe('round-robin', () => {
  it('is exactly fair and strictly cyclic: k·n picks give each backend k, in a fixed order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer(),
        (n, k, seed) => {
          const members = backends(n);
          const picks = ids(roundRobin(members, context({ random: seededRandom(seed) })), k * n);
          const counts = new Map<string, number>();
          for (const id of picks) counts.set(id, (counts.get(id) ?? 0) + 1);
          expect([...counts.values()].every((c) => c === k) && counts.size === n).toBe(true);
          // cyclic: pick i + n repeats pick i, and one cycle visits members in their order
          for (let i = n; i < picks.length; i++) expect(picks[i]).toBe(picks[i - n]);
          const start = members.findIndex((b) => b.id === picks[0]);
          expect(picks.slice(0, n)).toEqual(members.map((_, i) => members[(start + i) % n]!.id));
        },
      ),
    );
  });

  it('starts at a random member (seeded: deterministic)', () => {
    const first = (seed: number) =>
      roundRobin(backends(8), context({ random: seededRandom(seed) })).pick(req)?.id;
    expect(first(7)).toBe(first(7));
    expect(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(first)).size).toBeGreaterThan(1);
  });

  it('skips draining, weight 0, down and excluded backends, keeping the others in order', () => {
    const members = [
      backend('a'),
      backend('b', { state: 'draining' }),
      backend('c', { weight: 0 }),
      backend('d'),
      backend('e'),
    ];
    const p = roundRobin(members, context({ health: downSet('e'), random: () => 0 }));
    expect(ids(p, 4)).toEqual(['a', 'd', 'a', 'd']);
    expect(ids(p, 2, new Set(['d']))).toEqual(['a', 'a']);
    expect(ids(p, 1, new Set(['a', 'd']))).toEqual(['-']);
  });

  it('resumes a recovered backend at its place in the cycle', () => {
    const down = new Set<string>();
    const p = roundRobin(
      backends(3, 'b'),
      context({ health: { isUp: (id) => !down.has(id) }, random: () => 0 }),
    );
    expect(ids(p, 3)).toEqual(['b0', 'b1', 'b2']);
    down.add('b1');
    expect(ids(p, 3)).toEqual(['b0', 'b2', 'b0']);
    down.clear();
    expect(ids(p, 3)).toEqual(['b1', 'b2', 'b0']);
  });

  it('returns undefined with no members or none eligible', () => {
    expect(roundRobin([], context()).pick(req)).toBeUndefined();
    expect(roundRobin(backends(3), context({ health: { isUp: () => false } })).pick(req)).toBeUndefined();
  });
});

describe('round-robin with a shared ticket (several threads, one cycle)', () => {
  it('two policy objects drawing from one counter walk one cycle between them', () => {
    let t = 0;
    const members = [backend('a'), backend('b'), backend('c')];
    const ctx = context({ ticket: () => t++ });
    const p1 = roundRobin(members, ctx);
    const p2 = roundRobin(members, ctx);
    const picks = [p1, p2, p2, p1, p2, p1].map((p) => p.pick(req)!.id);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('skips a down member from the ticket position and still ends on an eligible one', () => {
    let t = 0;
    const members = [backend('a'), backend('b'), backend('c')];
    const p = roundRobin(members, context({ health: downSet('b'), ticket: () => t++ }));
    expect(ids(p, 4)).toEqual(['a', 'c', 'c', 'a']);
  });
});
