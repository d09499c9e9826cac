// hash: the teaching baseline. The key's xxh32 modulo the total weight selects a
// member (HAProxy's "map-based" hashing: member i owns a run of weight_i slots
// in id order). Cheap and exact in its shares, but the mapping depends on the
// member COUNT: going from 10 to 11 backends re-maps ~90% of keys (a key stays
// only if h mod 10 and h mod 11 land in the same member), which empties every
// cache behind the balancer. consistent-hash and maglev exist to avoid that.
//
// Ineligible member (draining, down, excluded): the next index in id order,
// wrapping, so retries are deterministic. Pick: O(log n) over prefix sums.

import { requestHash } from '../hash/key.js';
import type { Backend, HashSource, Policy, PolicyContext, RequestFacts } from '../types.js';
import { hashMembers, isEligible } from './members.js';

export interface ModHashPolicy extends Policy {
  readonly name: 'hash';
  /** Pick for an already computed 32-bit key hash. */
  pickHash(hash: number, exclude?: ReadonlySet<string>): Backend | undefined;
  /** The member `hash` maps to, ignoring health and state. */
  owner(hash: number): Backend | undefined;
}

class ModuloPolicy implements ModHashPolicy {
  readonly name = 'hash' as const;
  private readonly members: readonly Backend[];
  /** ends[i] = weight of members 0..i; member i owns slots [ends[i-1], ends[i]). */
  private readonly ends: Float64Array;
  private readonly totalWeight: number;
  private readonly ctx: PolicyContext;
  private readonly source: HashSource;

  constructor(backends: readonly Backend[], ctx: PolicyContext, source: HashSource) {
    this.members = hashMembers(backends);
    this.ends = new Float64Array(this.members.length);
    let sum = 0;
    for (let i = 0; i < this.members.length; i++) {
      sum += this.members[i]!.weight;
      this.ends[i] = sum;
    }
    this.totalWeight = sum;
    this.ctx = ctx;
    this.source = source;
  }

  pick(req: RequestFacts, exclude?: ReadonlySet<string>): Backend | undefined {
    return this.pickHash(requestHash(this.source, req, this.ctx.random), exclude);
  }

  pickHash(hash: number, exclude?: ReadonlySet<string>): Backend | undefined {
    const n = this.members.length;
    if (n === 0) return undefined;
    const start = this.index(hash);
    for (let j = 0, i = start; j < n; j++, i = i + 1 === n ? 0 : i + 1) {
      const b = this.members[i]!;
      if (isEligible(b, this.ctx, exclude)) return b;
    }
    return undefined;
  }

  owner(hash: number): Backend | undefined {
    return this.members.length === 0 ? undefined : this.members[this.index(hash)];
  }

  /** First member whose run ends past the slot. O(log n). */
  private index(hash: number): number {
    const slot = hash % this.totalWeight;
    const ends = this.ends;
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ends[mid]! <= slot) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Builds the modulo hash policy over `backends` (any order; weight 0 ones are left out). */
export function modHash(backends: readonly Backend[], ctx: PolicyContext, source: HashSource): ModHashPolicy {
  return new ModuloPolicy(backends, ctx, source);
}
