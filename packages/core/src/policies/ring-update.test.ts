import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xxh32 } from '../hash/xxh32.js';
import { backend, context } from '../testing/fakes.js';
import type { Backend } from '../types.js';
import { consistentHash } from './consistent-hash.js';
import { hashMembers } from './members.js';
import { buildRing, type Ring } from './ring.js';
import { updateRing } from './ring-update.js';

const bytes = (a: Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const ownerIds = (r: Ring) => Array.from(r.owners, (s) => r.bySlot[s]?.id);

/**
 * What a pick sees of `updated` equals a fresh build over `members`: points, buckets and shift
 * byte-identical, and the same member id at every position (slot numbers may differ). Plus the
 * slot tables' own invariants.
 */
function expectAsFresh(updated: Ring, members: readonly Backend[], vnodes: number, maxPoints?: number) {
  const fresh = buildRing(members, vnodes, maxPoints);
  expect(bytes(updated.points).equals(bytes(fresh.points))).toBe(true);
  expect(bytes(updated.buckets).equals(bytes(fresh.buckets))).toBe(true);
  expect(updated.shift).toBe(fresh.shift);
  expect(ownerIds(updated)).toEqual(ownerIds(fresh));
  expect(updated.members).toBe(members);
  expect(updated.slotOf.length).toBe(members.length);
  for (let i = 0; i < members.length; i++) expect(updated.bySlot[updated.slotOf[i]!]).toBe(members[i]);
  expect(updated.bySlot.filter((m) => m !== undefined).length).toBe(members.length);
}

// Pairs of ids whose point 0 collide (xxh32(`${x}#0`) === xxh32(`${y}#0`)), found by search:
// with vnodes 1 every pair is a tie on the ring, to be ordered by id.
const TIES: ReadonlyArray<readonly [string, string]> = [
  ['t1562', 't73340'],
  ['t31616', 't128533'],
  ['t71811', 't190015'],
];
// One id whose own points 636 and 1282 collide: a member holding the same point twice.
const SELF_TIE = { id: 's428', i: 636, j: 1282 };

const spec = fc.record({
  id: fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `b${i}`), 'ünï', 'a#1', ...TIES.flat()),
  weight: fc.integer({ min: 0, max: 4 }),
});
const members = fc
  .uniqueArray(spec, { selector: (s) => s.id, maxLength: 40 })
  .map((xs) => hashMembers(xs.map((s) => backend(s.id, { weight: s.weight }))));

describe('updateRing', () => {
  it('theCollidingIdsCollide', () => {
    for (const [x, y] of TIES) expect(xxh32(`${x}#0`)).toBe(xxh32(`${y}#0`));
    expect(xxh32(`${SELF_TIE.id}#${SELF_TIE.i}`)).toBe(xxh32(`${SELF_TIE.id}#${SELF_TIE.j}`));
  });

  it('anIncrementallyUpdatedRingPicksAsAFreshlyBuiltOne (any memberships, capped or not, from an updated ring too)', () => {
    fc.assert(
      fc.property(
        members,
        members,
        members,
        fc.integer({ min: 1, max: 20 }),
        fc.constantFrom(1 << 20, 64, 200),
        (origin, before, after, vnodes, maxPoints) => {
          // prev itself an update, so its slots need not be the member indexes.
          const prev = updateRing(buildRing(origin, vnodes, maxPoints), before, vnodes, maxPoints);
          expectAsFresh(prev, before, vnodes, maxPoints);
          expectAsFresh(updateRing(prev, after, vnodes, maxPoints), after, vnodes, maxPoints);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('equalsAFreshBuildAfterALongChainOfSmallChangesOnTheMergePath', () => {
    // One add, remove, re-weight, or removal of the first or last id at a time: the path that
    // merges instead of rebuilding. The colliding ids make ties; the cap makes re-counts.
    const ids = [...Array.from({ length: 60 }, (_, i) => `m${i}`), ...TIES.flat()];
    const step = fc.oneof(
      fc.record({ id: fc.constantFrom(...ids), weight: fc.integer({ min: 0, max: 3 }) }),
      fc.constantFrom('first' as const, 'last' as const),
    );
    let merged = 0;
    let steps = 0;
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(1 << 20, 1 << 20, 400),
        (changes, vnodes, maxPoints) => {
          const byId = new Map<string, Backend>();
          for (const id of ids.slice(0, 40)) byId.set(id, backend(id));
          for (const [x] of TIES) byId.set(x, backend(x));
          let list = hashMembers([...byId.values()]);
          let ring = buildRing(list, vnodes, maxPoints);
          for (const s of changes) {
            if (s === 'first' || s === 'last') {
              const edge = s === 'first' ? list[0] : list[list.length - 1];
              if (edge !== undefined) byId.delete(edge.id);
            } else if (s.weight === 0) byId.delete(s.id);
            else byId.set(s.id, backend(s.id, { weight: s.weight }));
            list = hashMembers([...byId.values()]);
            ring = updateRing(ring, list, vnodes, maxPoints);
            expectAsFresh(ring, list, vnodes, maxPoints);
            steps++;
            // A build's slot table is its member list; an update makes its own.
            if (ring.bySlot !== list) merged++;
          }
        },
      ),
      { numRuns: 100 },
    );
    expect(merged).toBeGreaterThan(steps / 2);
  });

  it('ordersTiedPointsByIdWhateverTheSlots', () => {
    for (const [x, y] of TIES) {
      const [lo, hi] = x < y ? [x, y] : [y, x];
      const p = xxh32(`${lo}#0`);
      const tie = (r: Ring) => {
        const at = r.points.indexOf(p);
        expect(r.points[at + 1]).toBe(p);
        return [r.bySlot[r.owners[at]!]!.id, r.bySlot[r.owners[at + 1]!]!.id];
      };
      const f = (...ids: string[]) => hashMembers(ids.map((id) => backend(id)));
      const others = Array.from({ length: 30 }, (_, i) => `o${i}`);
      // hi takes a low slot, lo is appended after it: slot order opposite to id order.
      let ring = buildRing(f(hi, ...others), 1);
      ring = updateRing(ring, f(lo, hi, ...others), 1);
      expect(ring.slotOf[ring.members.findIndex((m) => m.id === lo)]).toBeGreaterThan(
        ring.slotOf[ring.members.findIndex((m) => m.id === hi)]!,
      );
      expect(tie(ring)).toEqual([lo, hi]);
      expectAsFresh(ring, ring.members, 1);
      // Removing either side of the tie, re-weighting either, adding either back.
      for (const gone of [lo, hi]) {
        const rest = f(...[lo, hi].filter((id) => id !== gone), ...others);
        const without = updateRing(ring, rest, 1);
        expectAsFresh(without, rest, 1);
        const back = f(lo, hi, ...others);
        expectAsFresh(updateRing(without, back, 1), back, 1);
        const heavier = hashMembers([
          backend(gone, { weight: 2 }),
          ...[lo, hi, ...others].filter((id) => id !== gone).map((id) => backend(id)),
        ]);
        const reweighted = updateRing(ring, heavier, 1);
        expectAsFresh(reweighted, heavier, 1);
        expect(tie(reweighted)).toEqual([lo, hi]);
      }
    }
  });

  it('removesAndAddsAMemberHoldingTheSamePointTwice', () => {
    const vnodes = SELF_TIE.j + 1;
    const p = xxh32(`${SELF_TIE.id}#${SELF_TIE.i}`);
    const others = hashMembers(Array.from({ length: 8 }, (_, i) => backend(`o${i}`)));
    const withIt = hashMembers([...others, backend(SELF_TIE.id)]);
    const ring = buildRing(withIt, vnodes);
    expect(ring.points.filter((q) => q === p).length).toBe(2);
    const removed = updateRing(ring, others, vnodes);
    expect(removed.bySlot).not.toBe(others); // the merge path, not a rebuild
    expectAsFresh(removed, others, vnodes);
    expect(removed.points.includes(p)).toBe(false);
    const added = updateRing(removed, withIt, vnodes);
    expect(added.bySlot).not.toBe(withIt);
    expectAsFresh(added, withIt, vnodes);
  });

  it('movesTheBucketBoundsRightForAPointExactlyOnABound', () => {
    // xxh32('e313791#64') = 0x50000000 = 40 << 25, the lower bound of bucket 40 at 7 bits (shift
    // 25): 1500 and 1600 points both index 7 bits, so the buckets are updated, not rebuilt.
    const bound = 0x50000000;
    expect(xxh32('e313791#64')).toBe(bound);
    const others = hashMembers(Array.from({ length: 15 }, (_, i) => backend(`o${i}`)));
    const withIt = hashMembers([...others, backend('e313791')]);
    const ring = buildRing(others, 100);
    expect(ring.shift).toBe(25);
    const added = updateRing(ring, withIt, 100);
    expect(added.bySlot).not.toBe(withIt);
    expectAsFresh(added, withIt, 100);
    expect(added.points[added.buckets[bound >>> 25]!]).toBe(bound);
    const removed = updateRing(added, others, 100);
    expect(removed.bySlot).not.toBe(others);
    expectAsFresh(removed, others, 100);
  });

  it('reusesTheLowestFreeSlotsAndSharesTheArraysWhenNoPointMoves', () => {
    const list = hashMembers(Array.from({ length: 40 }, (_, i) => backend(`n${String(i).padStart(2, '0')}`)));
    const ring = buildRing(list, 20);
    const fewer = list.filter((m) => m.id !== 'n02' && m.id !== 'n05');
    const r1 = updateRing(ring, fewer, 20);
    expect(r1.bySlot[2]).toBeUndefined();
    expect(r1.bySlot[5]).toBeUndefined();
    expectAsFresh(r1, fewer, 20);
    const more = hashMembers([...fewer, backend('x'), backend('y'), backend('z')]);
    const r2 = updateRing(r1, more, 20);
    expect(['x', 'y', 'z'].map((id) => r2.slotOf[more.findIndex((m) => m.id === id)])).toEqual([2, 5, 40]);
    expectAsFresh(r2, more, 20);
    // Only a state change: same points, so the same arrays, and the new Backend objects.
    const draining = more.map((m) => (m.id === 'x' ? backend('x', { state: 'draining' }) : m));
    const r3 = updateRing(r2, draining, 20);
    expect(r3.points).toBe(r2.points);
    expect(r3.owners).toBe(r2.owners);
    expect(r3.bySlot[2]).toBe(draining.find((m) => m.id === 'x'));
  });

  it('fallsBackToABuildWhenPrevIsNotTheRingOfItsMembersAtTheseVnodes', () => {
    const list = hashMembers(Array.from({ length: 10 }, (_, i) => backend(`n${i}`)));
    const next = hashMembers([...list, backend('extra')]);
    expectAsFresh(updateRing(buildRing(list, 10), next, 20), next, 20);
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

  it('walksPastExcludedBackendsAsAFreshPolicyDoesAfterUpdatesThatLeaveFreeSlots', () => {
    const ctx = context();
    const opts = { source: { kind: 'ip' }, vnodes: 40 } as const;
    const loaded = { ...opts, loadFactor: 1.25 };
    const all = Array.from({ length: 30 }, (_, i) => backend(`w${i}`));
    let list = all;
    let policy = consistentHash(list, ctx, opts);
    let bounded = consistentHash(list, ctx, loaded);
    for (const change of [
      (l: Backend[]) => l.filter((m) => m.id !== 'w3'),
      (l: Backend[]) => l.filter((m) => m.id !== 'w17'),
      (l: Backend[]) => [...l, backend('late')],
      (l: Backend[]) => l.filter((m) => m.id !== 'w0'),
    ]) {
      list = change(list);
      policy = consistentHash(list, ctx, opts, policy);
      bounded = consistentHash(list, ctx, loaded, bounded);
    }
    const fresh = consistentHash(list, ctx, opts);
    const freshBounded = consistentHash(list, ctx, loaded);
    const exclude = new Set(['w1', 'w2', 'w4', 'late', 'w20']);
    for (let h = 0; h < 2 ** 32; h += 2 ** 32 / 2048 + 7919) {
      expect(policy.pickHash(h >>> 0, exclude)?.id).toBe(fresh.pickHash(h >>> 0, exclude)?.id);
      expect(bounded.pickHash(h >>> 0, exclude)?.id).toBe(freshBounded.pickHash(h >>> 0, exclude)?.id);
    }
    expect(policy.ringPoints(64)).toEqual(fresh.ringPoints(64));
  });
});
