import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backend, context } from '../testing/fakes.js';
import type { Backend } from '../types.js';
import { consistentHash } from './consistent-hash.js';
import { hashMembers } from './members.js';
import { buildRing, type Ring } from './ring.js';
import { updateRing } from './ring-update.js';

const same = (a: Ring, b: Ring) =>
  Buffer.from(a.points.buffer).equals(Buffer.from(b.points.buffer)) &&
  Buffer.from(a.owners.buffer).equals(Buffer.from(b.owners.buffer)) &&
  Buffer.from(a.buckets.buffer).equals(Buffer.from(b.buckets.buffer)) &&
  a.shift === b.shift;

const spec = fc.record({
  id: fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `b${i}`), 'ünï', 'a#1'),
  weight: fc.integer({ min: 0, max: 4 }),
});
const members = fc
  .uniqueArray(spec, { selector: (s) => s.id, maxLength: 40 })
  .map((xs) => hashMembers(xs.map((s) => backend(s.id, { weight: s.weight }))));

describe('updateRing', () => {
  it('anIncrementallyUpdatedRingEqualsAFreshlyBuiltOne (any two memberships, capped or not)', () => {
    fc.assert(
      fc.property(
        members,
        members,
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(1 << 20, 64, 200),
        (before, after, vnodes, maxPoints) => {
          const prev = buildRing(before, vnodes, maxPoints);
          expect(
            same(updateRing(prev, before, after, vnodes, maxPoints), buildRing(after, vnodes, maxPoints)),
          ).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equalsAFreshBuildAfterAChainOfSmallChangesOnTheMergePath', () => {
    // One add, remove or re-weight at a time: the path that merges instead of rebuilding.
    const step = fc.record({ id: fc.integer({ min: 0, max: 59 }), weight: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 12 }),
        (steps, vnodes) => {
          const byId = new Map<string, Backend>();
          for (let i = 0; i < 40; i++) byId.set(`m${i}`, backend(`m${i}`));
          let list = hashMembers([...byId.values()]);
          let ring = buildRing(list, vnodes);
          for (const s of steps) {
            const id = `m${s.id}`;
            if (s.weight === 0) byId.delete(id);
            else byId.set(id, backend(id, { weight: s.weight }));
            const next = hashMembers([...byId.values()]);
            ring = updateRing(ring, list, next, vnodes);
            list = next;
            expect(same(ring, buildRing(list, vnodes))).toBe(true);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('isUsedByTheConsistentHashPolicyGivenThePreviousOneAndPicksAsAFreshOne', () => {
    const ctx = context();
    const opts = { source: { kind: 'ip' }, vnodes: 50 } as const;
    const a = Array.from({ length: 30 }, (_, i) => backend(`s${i}`));
    const b = [...a.slice(1), backend('new')];
    const prev = consistentHash(a, ctx, opts);
    const updated = consistentHash(b, ctx, opts, prev);
    const fresh = consistentHash(b, ctx, opts);
    expect(updated.pointCount).toBe(fresh.pointCount);
    for (let h = 0; h < 2 ** 32; h += 2 ** 32 / 4096 + 7919)
      expect(updated.owner(h >>> 0)?.id).toBe(fresh.owner(h >>> 0)?.id);
  });
});
