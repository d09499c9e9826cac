// The consistent-hash ring (Karger et al. 1997, "ketama" layout): each member
// owns vnodes × weight points, point i of a member at xxh32(`${id}#${i}`). Points
// depend only on ids and weights, and ties are broken by id, so any two nodes
// with the same membership hold the same ring whatever order the updates arrived
// in: byte-identical points and bucket index, and the same member at every point.
//
// Owners are slots, not member indexes: owners[i] names bySlot[owners[i]]. A fresh
// build numbers the slots in id order; an update (ring-update.ts) keeps every kept
// member's slot, so adding or removing one backend never renumbers the other
// members' points (with member indexes, every later member's index shifted and
// every owner entry was rewritten, a pass over all P points per change). So two
// nodes may number the slots differently; only the member behind each point, and
// so every pick, is the same.
//
// Build: O(P) for P points (one xxh32 each, then a radix sort). Lookup: a
// bucket index on the hash's top bits, then a binary search over ~16 points of
// a Uint32Array; no objects on the hot path.

import { coreError } from '../errors.js';
import { xxh32Bytes } from '../hash/xxh32.js';
import type { Backend } from '../types.js';

/**
 * Most points a ring may hold. Beyond it every member's count is scaled down
 * proportionally (so weights still hold, but a membership change then nudges
 * every member's count and moves more keys than the ideal). 2^20 points is
 * 6400 backends at 160 vnodes × weight 1; Envoy's cap is 8M.
 */
export const MAX_RING_POINTS = 1 << 20;

/** Most members a ring holds (owner slots stay far inside a Uint32Array). */
const MAX_MEMBERS = 1 << 24;
const encoder = new TextEncoder();

export interface Ring {
  /** Ring positions, ascending. */
  readonly points: Uint32Array;
  /** owners[i] is the slot of the member owning points[i]: that member is bySlot[owners[i]]. */
  readonly owners: Uint32Array;
  /**
   * Search index: buckets[b] is the first point >= b << shift, for the top
   * (32 - shift) bits of a hash, plus points.length at the end.
   */
  readonly buckets: Uint32Array;
  readonly shift: number;
  /** The member list the ring was built over (weight > 0, sorted by id). */
  readonly members: readonly Backend[];
  /** slotOf[m] is the slot of members[m]. */
  readonly slotOf: Uint32Array;
  /**
   * bySlot[s] is the member holding slot s, undefined for a free slot (a removed member's,
   * not yet reused). A fresh build's slots are the member indexes; no owner names a free slot.
   */
  readonly bySlot: readonly (Backend | undefined)[];
}

/** Aim for this many points per bucket: the final binary search touches ~2 cache lines. */
const POINTS_PER_BUCKET = 16;
const MAX_BUCKET_BITS = 16;

/**
 * Points per member: vnodes × weight, so weight 1 (the default) is `vnodes`
 * points and weight 3 is three times that. Weights are absolute, not relative
 * to the heaviest member (HAProxy does the same): re-weighting one backend then
 * moves only keys to or from that backend. Integer arithmetic throughout, so
 * every machine computes the same counts.
 */
export function pointCounts(
  members: readonly Backend[],
  vnodes: number,
  maxPoints = MAX_RING_POINTS,
): Uint32Array {
  let total = 0;
  for (const m of members) total += vnodes * m.weight;
  const counts = new Uint32Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const want = vnodes * members[i]!.weight;
    counts[i] = total <= maxPoints ? want : Math.max(1, Math.floor((want * maxPoints) / total));
  }
  return counts;
}

/**
 * Builds the ring over `members` (already filtered to weight > 0 and sorted by id).
 * `maxPoints` is MAX_RING_POINTS but for tests of the scaled-down regime.
 */
export function buildRing(members: readonly Backend[], vnodes: number, maxPoints = MAX_RING_POINTS): Ring {
  checkRingInput(members, vnodes);
  const counts = pointCounts(members, vnodes, maxPoints);
  let total = 0;
  for (const c of counts) total += c;
  const points = new Uint32Array(total);
  const owners = new Uint32Array(total);
  let k = 0;
  for (let m = 0; m < members.length; m++) k = hashVnodes(members[m]!.id, counts[m]!, m, points, owners, k);
  // Generated in owner (= id) order; the stable sort keeps that order among
  // equal points, which is the id tie-break.
  const sorted = radixSortPairs(points, owners);
  return ringFrom(sorted.points, sorted.owners, members);
}

/** The errors buildRing and updateRing raise for input they cannot honour. */
export function checkRingInput(members: readonly Backend[], vnodes: number): void {
  if (!Number.isInteger(vnodes) || vnodes < 1) {
    throw coreError('RL_BAD_CONFIG', `ring.vnodes must be an integer >= 1, got ${vnodes}`, {
      field: 'ring.vnodes',
    });
  }
  if (members.length > MAX_MEMBERS) {
    throw coreError('RL_BAD_CONFIG', `a ring holds at most ${MAX_MEMBERS} backends`, { field: 'backends' });
  }
}

/**
 * The ring of a full build: sorted points, their owners as member indexes (slot = member
 * index), and the bucket index. O(P + 2^bits + n).
 */
export function ringFrom(points: Uint32Array, owners: Uint32Array, members: readonly Backend[]): Ring {
  const slotOf = new Uint32Array(members.length);
  for (let m = 0; m < slotOf.length; m++) slotOf[m] = m;
  const { buckets, shift } = bucketIndex(points);
  return { points, owners, buckets, shift, members, slotOf, bySlot: members };
}

/** Bits of the bucket index for a ring of `pointCount` points: ~POINTS_PER_BUCKET points a bucket. */
export function bucketBits(pointCount: number): number {
  const wanted = Math.ceil(Math.log2(Math.max(2, pointCount / POINTS_PER_BUCKET)));
  return Math.min(MAX_BUCKET_BITS, Math.max(1, wanted));
}

/**
 * The bucket index of sorted points. A plain binary search over 160k points cost ~200 ns
 * here (mispredicted branches, cache misses over 640 KB); jumping to the bucket of the
 * hash's top bits first cost ~20–40 ns. O(P + 2^bits).
 */
export function bucketIndex(points: Uint32Array): { buckets: Uint32Array; shift: number } {
  const bits = bucketBits(points.length);
  const shift = 32 - bits;
  const count = 1 << bits;
  const buckets = new Uint32Array(count + 1);
  let p = 0;
  for (let b = 0; b < count; b++) {
    const low = b * 2 ** shift;
    while (p < points.length && points[p]! < low) p++;
    buckets[b] = p;
  }
  buckets[count] = points.length;
  return { buckets, shift };
}

/**
 * Writes the points of one member: xxh32 of the UTF-8 bytes of `${id}#${i}` for
 * i in 0..count-1, without building strings. The bytes of `${id}#` are encoded
 * once and i is kept as ASCII digits incremented in place. Returns the next k.
 */
export function hashVnodes(
  id: string,
  count: number,
  owner: number,
  points: Uint32Array,
  owners: Uint32Array,
  k: number,
): number {
  const head = encoder.encode(`${id}#`);
  const buf = new Uint8Array(head.length + 10);
  buf.set(head);
  const first = head.length;
  let len = first + 1;
  buf[first] = 0x30; // "0"
  for (let i = 0; i < count; i++) {
    points[k] = xxh32Bytes(buf, 0, len);
    owners[k++] = owner;
    // Decimal increment with carry; a carry out of the top digit grows the number by one digit.
    let d = len - 1;
    while (d >= first && buf[d] === 0x39) buf[d--] = 0x30;
    if (d >= first) buf[d]!++;
    else {
      buf[first] = 0x31;
      buf[len++] = 0x30;
    }
  }
  return k;
}

/**
 * Sorts (point, owner) pairs by point with stable LSD radix passes of 11, 11
 * and 10 bits (2048 counters stay in L1 cache): O(P), several times faster here
 * than a comparison sort of packed float64 keys.
 */
export function radixSortPairs(
  points: Uint32Array,
  owners: Uint32Array,
): { points: Uint32Array; owners: Uint32Array } {
  const n = points.length;
  const tmpPoints = new Uint32Array(n);
  const tmpOwners = new Uint32Array(n);
  const counts = new Uint32Array(RADIX);
  scatter(points, owners, tmpPoints, tmpOwners, counts, 0);
  scatter(tmpPoints, tmpOwners, points, owners, counts, 11);
  scatter(points, owners, tmpPoints, tmpOwners, counts, 22);
  return { points: tmpPoints, owners: tmpOwners };
}

const RADIX = 1 << 11;

function scatter(
  fromPoints: Uint32Array,
  fromOwners: Uint32Array,
  toPoints: Uint32Array,
  toOwners: Uint32Array,
  counts: Uint32Array,
  shift: number,
): void {
  const n = fromPoints.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[(fromPoints[i]! >>> shift) & (RADIX - 1)]!++;
  let sum = 0;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b]!;
    counts[b] = sum;
    sum += c;
  }
  for (let i = 0; i < n; i++) {
    const p = fromPoints[i]!;
    const at = counts[(p >>> shift) & (RADIX - 1)]!++;
    toPoints[at] = p;
    toOwners[at] = fromOwners[i]!;
  }
}

/** Index of the first point >= hash, or 0 past the last point (the ring wraps). O(log(P / 2^bits)). */
export function ringIndex(ring: Ring, hash: number): number {
  const { points, buckets } = ring;
  const b = hash >>> ring.shift;
  let lo = buckets[b]!;
  let hi = buckets[b + 1]!;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === points.length ? 0 : lo;
}
