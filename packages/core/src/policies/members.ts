// Membership and eligibility shared by the hash policies (hash, consistent-hash,
// maglev). Hash policies place EVERY backend with weight > 0, whatever its health
// or draining state, so that two nodes with different local health views still
// build identical structures; health and exclusions are applied at pick time.

import type { Backend, PolicyContext } from '../types.js';

/**
 * Orders by id in UTF-16 code-unit order. Never localeCompare: collation depends
 * on the ICU data and locale of the process, and every node must agree.
 */
export function byId(a: Backend, b: Backend): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** What changed between two id-sorted member lists. */
export interface BackendDiff {
  /** In `next` only. */
  readonly added: Backend[];
  /** In `prev` only. */
  readonly removed: Backend[];
  /** In both with a different object (any field may differ): [before, after]. */
  readonly changed: Array<readonly [Backend, Backend]>;
}

/**
 * The difference of two lists sorted by id (snapshots' lists are), in one merge walk:
 * O(n) comparisons, and an unchanged backend is the same frozen object in both (the
 * membership assembler keeps it), so most steps are one identity check. Replaces building
 * two Sets of every id per change (measured: most of setMembership's cost at 10 000).
 */
export function diffBackends(prev: readonly Backend[], next: readonly Backend[]): BackendDiff {
  const added: Backend[] = [];
  const removed: Backend[] = [];
  const changed: Array<readonly [Backend, Backend]> = [];
  let i = 0;
  let j = 0;
  while (i < prev.length || j < next.length) {
    const a = prev[i];
    const b = next[j];
    if (a !== undefined && a === b) {
      i++;
      j++;
    } else if (b === undefined || (a !== undefined && a.id < b.id)) {
      removed.push(a as Backend);
      i++;
    } else if (a === undefined || b.id < a.id) {
      added.push(b);
      j++;
    } else {
      changed.push([a, b]);
      i++;
      j++;
    }
  }
  return { added, removed, changed };
}

/** The backends a hash structure is built over: weight > 0, sorted by id. O(n log n). */
export function hashMembers(backends: readonly Backend[]): Backend[] {
  return backends.filter((b) => b.weight > 0).sort(byId);
}

/** The one eligibility rule every policy applies to a pick. */
export function isEligible(
  b: Backend,
  ctx: PolicyContext,
  exclude: ReadonlySet<string> | undefined,
): boolean {
  return b.state === 'active' && b.weight > 0 && ctx.health.isUp(b.id) && exclude?.has(b.id) !== true;
}

/**
 * Marks members seen during one walk without clearing an array per pick: a
 * member is seen iff its stamp equals the current generation. O(1) per begin().
 * One instance per policy; picks are synchronous, so walks never interleave.
 */
export class VisitStamps {
  private readonly stamps: Uint32Array;
  private generation = 0;

  constructor(size: number) {
    this.stamps = new Uint32Array(size);
  }

  begin(): void {
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      // Wrapped after 2^32 walks: old stamps could collide, so start clean.
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  /** Marks `i` seen; false when it already was during this walk. */
  visit(i: number): boolean {
    if (this.stamps[i] === this.generation) return false;
    this.stamps[i] = this.generation;
    return true;
  }
}

/**
 * From `start` onwards (wrapping) over an owner table such as the ring's or the maglev
 * table: the first eligible member, each distinct member tried once. `byOwner` maps an
 * owner entry to its member (the ring's slots, the maglev table's member indexes);
 * `distinctCount` is how many distinct members the table names, so the walk stops once
 * all were tried. Only the fallback after an ineligible first owner walks, so the common
 * pick never comes here.
 */
export function firstEligibleOwner(
  owners: Uint32Array,
  start: number,
  byOwner: readonly (Backend | undefined)[],
  distinctCount: number,
  stamps: VisitStamps,
  ctx: PolicyContext,
  exclude: ReadonlySet<string> | undefined,
): Backend | undefined {
  const len = owners.length;
  stamps.begin();
  let distinct = 0;
  for (let j = 0, i = start; j < len; j++, i = i + 1 === len ? 0 : i + 1) {
    const o = owners[i]!;
    if (!stamps.visit(o)) continue;
    const b = byOwner[o]!;
    if (isEligible(b, ctx, exclude)) return b;
    if (++distinct === distinctCount) break;
  }
  return undefined;
}
