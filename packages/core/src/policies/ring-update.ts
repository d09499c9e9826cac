// The next ring from the previous one: only the points of members that were added, removed
// or re-counted (a weight change, or the cap's scale crossing an integer) are hashed or
// dropped; every other point is copied with its owner index remapped. Pure.
//
// Why: a full build hashes every point (at 10 000 backends that is ~1M xxh32 calls plus a
// radix sort, hundreds of ms on this machine, on every node, per membership change), while
// one added backend brings only vnodes × weight new points. The update is one merge pass
// over typed arrays, O(P + k log P) for k new points and no hashing of unchanged members
// (tens of times cheaper than the build it replaces; figures in docs/benchmarks.md, Scale).
// It is not O(vnodes · log n): the new ring is a fresh pair of arrays, because the previous
// snapshot's ring stays in use by requests already routed on it (the atomic swap).
//
// The result is byte-identical to buildRing(next): points sorted ascending, equal points
// ordered by owner index (= id order), which is what buildRing's stable radix sort over
// points generated in owner order gives. A property test checks exactly that.

import type { Backend } from '../types.js';
import {
  buildRing,
  checkRingInput,
  hashVnodes,
  MAX_RING_POINTS,
  pointCounts,
  type Ring,
  radixSortPairs,
  ringFrom,
} from './ring.js';

/** Above this share of new points a full build is cheaper than the merge. */
const REBUILD_SHARE = 0.25;

/**
 * The ring over `next`, given `prev` = buildRing(prevMembers, vnodes, maxPoints). Both member
 * lists are filtered to weight > 0 and sorted by id (hashMembers). Falls back to buildRing
 * when most points would change anyway.
 */
export function updateRing(
  prev: Ring,
  prevMembers: readonly Backend[],
  next: readonly Backend[],
  vnodes: number,
  maxPoints = MAX_RING_POINTS,
): Ring {
  checkRingInput(next, vnodes);
  const pc = pointCounts(prevMembers, vnodes, maxPoints);
  const nc = pointCounts(next, vnodes, maxPoints);
  let total = 0;
  for (const c of nc) total += c;
  // remap[i]: the new index of previous member i when its points all stay, else -1.
  const remap = new Int32Array(prevMembers.length).fill(-1);
  const fresh: number[] = [];
  let freshPoints = 0;
  for (let i = 0, j = 0; i < prevMembers.length || j < next.length; ) {
    const a = prevMembers[i];
    const b = next[j];
    if (b === undefined || (a !== undefined && a.id < b.id))
      i++; // removed: its points go
    else if (a === undefined || b.id < a.id) {
      fresh.push(j);
      freshPoints += nc[j]!;
      j++;
    } else {
      if (pc[i] === nc[j]) remap[i] = j;
      else {
        fresh.push(j);
        freshPoints += nc[j]!;
      }
      i++;
      j++;
    }
  }
  if (freshPoints > REBUILD_SHARE * total) return buildRing(next, vnodes, maxPoints);

  const unsortedPoints = new Uint32Array(freshPoints);
  const unsortedOwners = new Uint32Array(freshPoints);
  let k = 0;
  for (const j of fresh) k = hashVnodes(next[j]!.id, nc[j]!, j, unsortedPoints, unsortedOwners, k);
  // Stable: equal points stay in owner order, as in buildRing.
  const { points: fp, owners: fo } = radixSortPairs(unsortedPoints, unsortedOwners);

  // Kept points with their owners remapped (a tight loop: V8 runs it at a few ns a point),
  // then the new points spliced in by binary search and bulk copies of the runs between.
  const kept = total - freshPoints;
  const op = prev.points;
  const oo = prev.owners;
  let keptPoints: Uint32Array;
  let keptOwners: Uint32Array;
  let out = 0;
  if (kept === op.length) {
    // Nothing dropped: the points are the old ones, only the owner indexes move.
    keptPoints = op;
    keptOwners = new Uint32Array(kept);
    for (let x = 0; x < kept; x++) keptOwners[x] = remap[oo[x]!]!;
    out = kept;
  } else {
    keptPoints = new Uint32Array(kept);
    keptOwners = new Uint32Array(kept);
    for (let x = 0; x < op.length; x++) {
      const o = remap[oo[x]!]!;
      if (o < 0) continue;
      keptPoints[out] = op[x]!;
      keptOwners[out++] = o;
    }
  }
  if (out !== kept) return buildRing(next, vnodes, maxPoints); // see below
  if (freshPoints === 0) {
    // Rings are never mutated, so the new one may share the old points (and their buckets).
    if (keptPoints === op)
      return { points: op, owners: keptOwners, buckets: prev.buckets, shift: prev.shift };
    return ringFrom(keptPoints, keptOwners);
  }
  const points = new Uint32Array(total);
  const owners = new Uint32Array(total);
  let from = 0; // next kept index to copy
  out = 0;
  for (let f = 0; f < freshPoints; f++) {
    const p = fp[f]!;
    const o = fo[f]!;
    // First kept index whose (point, owner) sorts after (p, o).
    let lo = from;
    let hi = kept;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const q = keptPoints[mid]!;
      if (q < p || (q === p && keptOwners[mid]! < o)) lo = mid + 1;
      else hi = mid;
    }
    points.set(keptPoints.subarray(from, lo), out);
    owners.set(keptOwners.subarray(from, lo), out);
    out += lo - from;
    from = lo;
    points[out] = p;
    owners[out++] = o;
  }
  points.set(keptPoints.subarray(from), out);
  owners.set(keptOwners.subarray(from), out);
  out += kept - from;
  // Only a `prev` that is not the ring of prevMembers could leave a gap: build instead.
  if (out !== total) return buildRing(next, vnodes, maxPoints);
  return ringFrom(points, owners);
}
