// The next ring from the previous one: only the points of members that were added, removed
// or re-counted (a weight change, or the cap's scale crossing an integer) are hashed; every
// other point is copied in bulk, owner included. Pure.
//
// Why: a full build hashes every point (at 10 000 backends × 160 vnodes, capped to ~1M
// points, that is ~1M xxh32 calls plus a radix sort, ~180 ms on this machine, on every node,
// per membership change), while one added backend brings only its vnodes × weight points.
//
// How: owners are stable slots (ring.ts), so a kept member's points keep their owner entry
// and need no rewriting. The removed members' points are re-hashed (their count from the
// previous pointCounts), sorted, and found in prev.points by binary search inside their
// bucket; the new members' points are hashed, sorted, and their insertion positions in
// prev found the same way. One merge then writes the new arrays: the runs of prev between
// those positions are bulk copies (TypedArray.set, a memcpy), the new points go between,
// the removed ones are skipped. The bucket index is adjusted in one pass over the buckets
// (while its bit count stays the same: always near the cap). Cost for k changed points
// over P: O(k log(P / 2^bits)) searches, O(n) work on the member lists, O(2^bits) for the
// buckets, and a memcpy of the 8-byte (point, owner) pairs. Measured at 10 000 backends × 160
// vnodes (capped to ~1M points), one backend added or removed: median ~1.5–2 ms for the
// whole policy update, ~0.9 ms of it allocating and filling the two 4 MB arrays, against
// ~6–8 ms for the previous merge (which rewrote every owner index) and ~180 ms for a full
// build; the GC of those arrays comes on top, every few changes. It is not O(k log P): the new
// ring is a fresh pair of arrays, because the previous snapshot's ring stays in use by
// requests already routed on it (the atomic swap), so the copy stays.
//
// The result equals buildRing(next) in everything a pick sees: points and buckets byte-
// identical, and the same member (bySlot[owners[i]]) at every position, equal points ordered
// by member id as buildRing's stable sort orders them; only the slot numbering may differ.
// A property test checks exactly that.

import type { Backend } from '../types.js';
import {
  bucketBits,
  bucketIndex,
  buildRing,
  checkRingInput,
  hashVnodes,
  MAX_RING_POINTS,
  pointCounts,
  type Ring,
  radixSortPairs,
} from './ring.js';

/** Above this share of points to hash (removed + new), a full build is about as cheap as the merge. */
const REBUILD_SHARE = 0.25;

/**
 * Runs shorter than this are copied by a loop: a subarray view plus set() costs more than a
 * few element copies.
 */
const SHORT_RUN = 32;

/**
 * The ring over `next`, given `prev` = buildRing or updateRing over prev.members with the same
 * vnodes and maxPoints. Both member lists are filtered to weight > 0 and sorted by id
 * (hashMembers). Falls back to buildRing when most points would change anyway, when the slot
 * table has become mostly holes, or when `prev` does not match its members.
 */
export function updateRing(
  prev: Ring,
  next: readonly Backend[],
  vnodes: number,
  maxPoints = MAX_RING_POINTS,
): Ring {
  checkRingInput(next, vnodes);
  const rebuild = () => buildRing(next, vnodes, maxPoints);
  const before = prev.members;
  const prevBySlot = prev.bySlot;
  const prevSlotOf = prev.slotOf;
  const pc = pointCounts(before, vnodes, maxPoints);
  const nc = pointCounts(next, vnodes, maxPoints);
  let prevTotal = 0;
  for (const c of pc) prevTotal += c;
  if (prevTotal !== prev.points.length || prevSlotOf.length !== before.length) return rebuild();
  let total = 0;
  for (const c of nc) total += c;

  // Kept members keep their slot (and take the new Backend object); removed and re-counted
  // members' points go; added and re-counted members' points come. An unchanged backend is
  // the same object in both lists (the membership assembler keeps it), so most steps are an
  // identity check, not a string comparison.
  const slotOf = new Uint32Array(next.length);
  const bySlot: (Backend | undefined)[] = new Array(prevBySlot.length).fill(undefined);
  const gone: number[] = []; // indexes into `before`
  const fresh: number[] = []; // indexes into `next`, ascending (= id order)
  let gonePoints = 0;
  let freshPoints = 0;
  for (let i = 0, j = 0; i < before.length || j < next.length; ) {
    const a = before[i];
    const b = next[j];
    if (a !== undefined && b !== undefined && (a === b || a.id === b.id)) {
      if (pc[i] === nc[j]) {
        const s = prevSlotOf[i]!;
        if (prevBySlot[s] !== a || bySlot[s] !== undefined) return rebuild();
        slotOf[j] = s;
        bySlot[s] = b;
      } else {
        gone.push(i);
        gonePoints += pc[i]!;
        fresh.push(j);
        freshPoints += nc[j]!;
      }
      i++;
      j++;
    } else if (b === undefined || (a !== undefined && a.id < b.id)) {
      gone.push(i);
      gonePoints += pc[i++]!;
    } else {
      fresh.push(j);
      freshPoints += nc[j++]!;
    }
  }
  if (gonePoints + freshPoints > REBUILD_SHARE * total) return rebuild();
  // New members take the lowest free slots, then slots past the end.
  let s = 0;
  for (const j of fresh) {
    while (s < bySlot.length && bySlot[s] !== undefined) s++;
    bySlot[s] = next[j];
    slotOf[j] = s++;
  }
  while (bySlot.length > 0 && bySlot[bySlot.length - 1] === undefined) bySlot.pop();
  // Holes are reused first, so they pile up only while the membership shrinks; compact then
  // (amortised: at least n/2 removals since the last build).
  if (bySlot.length > 2 * next.length + 16) return rebuild();

  if (gonePoints === 0 && freshPoints === 0) {
    // Same points: rings are never mutated, so the new one shares the arrays.
    const { points, owners, buckets, shift } = prev;
    return { points, owners, buckets, shift, members: next, slotOf, bySlot };
  }

  // Removed points, sorted. Generated in member (= id) order and sorted stably, so equal
  // points come in prev's order.
  const gp0 = new Uint32Array(gonePoints);
  const go0 = new Uint32Array(gonePoints);
  let k = 0;
  for (const i of gone) k = hashVnodes(before[i]!.id, pc[i]!, prevSlotOf[i]!, gp0, go0, k);
  const removed = radixSortPairs(gp0, go0);
  const del = removedPositions(prev, removed.points, removed.owners);
  if (del === undefined) return rebuild(); // prev does not hold them

  // New points, sorted (stable: equal points stay in id order, as in buildRing).
  const fp0 = new Uint32Array(freshPoints);
  const fo0 = new Uint32Array(freshPoints);
  k = 0;
  for (const j of fresh) k = hashVnodes(next[j]!.id, nc[j]!, slotOf[j]!, fp0, fo0, k);
  const { points: fp, owners: fo } = radixSortPairs(fp0, fo0);
  const ins = insertPositions(prev, fp, fo, bySlot);
  if (ins === undefined) return rebuild();

  const merged = merge(prev, del, fp, fo, ins, total);
  if (merged === undefined) return rebuild(); // only a `prev` that is not the ring of its members
  const { points, owners } = merged;
  if (bucketBits(total) !== 32 - prev.shift) {
    const { buckets, shift } = bucketIndex(points);
    return { points, owners, buckets, shift, members: next, slotOf, bySlot };
  }
  const buckets = movedBuckets(prev, del, fp, total);
  return { points, owners, buckets, shift: prev.shift, members: next, slotOf, bySlot };
}

/**
 * The positions in prev of the sorted removed (point, owner) pairs, ascending: binary search
 * for the point inside its bucket, then a scan over equal points for the owner. Each search
 * starts past the last match, so a member holding one point twice loses both. Undefined when
 * prev lacks one.
 */
function removedPositions(prev: Ring, gp: Uint32Array, go: Uint32Array): Uint32Array | undefined {
  const { points: op, owners: oo } = prev;
  const del = new Uint32Array(gp.length);
  let last = 0; // first prev index still free to match
  for (let r = 0; r < gp.length; r++) {
    const p = gp[r]!;
    let lo = firstAtOrAbove(prev, p, last);
    const owner = go[r]!;
    while (lo < op.length && op[lo] === p && oo[lo] !== owner) lo++;
    if (lo === op.length || op[lo] !== p) return undefined;
    del[r] = lo;
    last = lo + 1;
  }
  return del;
}

/**
 * For each sorted new (point, slot) pair, the index of the first prev entry sorting after it:
 * a larger point, or an equal one of a larger id (`<` as byId, never localeCompare), which is
 * buildRing's order. prev is compared whole, removed entries included: it is sorted in that
 * order, and where a new point lands among entries that go does not matter. Non-decreasing,
 * so each search starts at the last. Undefined when a prev owner names no member.
 */
function insertPositions(
  prev: Ring,
  fp: Uint32Array,
  fo: Uint32Array,
  bySlot: readonly (Backend | undefined)[],
): Uint32Array | undefined {
  const { points: op, owners: oo, bySlot: prevBySlot } = prev;
  const ins = new Uint32Array(fp.length);
  let last = 0;
  for (let f = 0; f < fp.length; f++) {
    const p = fp[f]!;
    let lo = firstAtOrAbove(prev, p, last);
    // Equal points (xxh32 ties: a handful per million) are in id order: step past smaller ids.
    if (lo < op.length && op[lo] === p) {
      const id = bySlot[fo[f]!]?.id;
      if (id === undefined) return undefined;
      for (; lo < op.length && op[lo] === p; lo++) {
        const m = prevBySlot[oo[lo]!];
        if (m === undefined) return undefined;
        if (!(m.id < id)) break;
      }
    }
    ins[f] = lo;
    last = lo;
  }
  return ins;
}

/**
 * The first index at or after `from` whose point is >= p: ringIndex's search (the bucket of
 * p's top bits, then a binary search inside it), bounded below by `from`.
 */
function firstAtOrAbove(prev: Ring, p: number, from: number): number {
  const { points: op, buckets: ob, shift } = prev;
  const b = p >>> shift;
  let lo = Math.max(ob[b]!, from);
  let hi = Math.max(ob[b + 1]!, lo);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (op[mid]! < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The new arrays: prev's runs between the removed and insertion positions, bulk copied, the
 * new pairs between them, the removed ones skipped. Undefined if the count comes out wrong.
 */
function merge(
  prev: Ring,
  del: Uint32Array,
  fp: Uint32Array,
  fo: Uint32Array,
  ins: Uint32Array,
  total: number,
): { points: Uint32Array; owners: Uint32Array } | undefined {
  const { points: op, owners: oo } = prev;
  if (op.length - del.length + fp.length !== total) return undefined;
  const points = new Uint32Array(total);
  const owners = new Uint32Array(total);
  let from = 0;
  let out = 0;
  for (let f = 0, r = 0; f < fp.length || r < del.length; ) {
    if (f < fp.length && (r === del.length || ins[f]! <= del[r]!)) {
      const to = ins[f]!;
      out = copyRun(op, oo, from, to, points, owners, out);
      from = to;
      points[out] = fp[f]!;
      owners[out++] = fo[f++]!;
    } else {
      const to = del[r++]!;
      out = copyRun(op, oo, from, to, points, owners, out);
      from = to + 1;
    }
  }
  out = copyRun(op, oo, from, op.length, points, owners, out);
  return out === total ? { points, owners } : undefined;
}

/**
 * prev's bucket index (same bit count) for the merged ring: buckets[b], the first point >=
 * b << shift, moves back by the removed points below that bound and on by the new ones.
 * One pass over the buckets with two moving pointers. O(2^bits + k).
 */
function movedBuckets(prev: Ring, del: Uint32Array, fp: Uint32Array, total: number): Uint32Array {
  const ob = prev.buckets;
  const step = 2 ** prev.shift;
  const count = ob.length - 1;
  const buckets = new Uint32Array(count + 1);
  for (let b = 0, r = 0, f = 0; b < count; b++) {
    const old = ob[b]!;
    while (r < del.length && del[r]! < old) r++;
    const low = b * step;
    while (f < fp.length && fp[f]! < low) f++;
    buckets[b] = old - r + f;
  }
  buckets[count] = total;
  return buckets;
}

/** Copies (point, owner) pairs [from, to) of the source arrays to `out`; returns the next out. */
function copyRun(
  srcPoints: Uint32Array,
  srcOwners: Uint32Array,
  from: number,
  to: number,
  points: Uint32Array,
  owners: Uint32Array,
  out: number,
): number {
  const n = to - from;
  if (n >= SHORT_RUN) {
    points.set(srcPoints.subarray(from, to), out);
    owners.set(srcOwners.subarray(from, to), out);
  } else {
    for (let x = 0; x < n; x++) {
      points[out + x] = srcPoints[from + x]!;
      owners[out + x] = srcOwners[from + x]!;
    }
  }
  return out + n;
}
