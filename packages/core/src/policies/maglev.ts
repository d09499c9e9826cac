// maglev: the request key's xxh32 indexes a prime-sized lookup table (see
// maglev-table.ts). O(1) picks and a near-perfect spread (each backend's share
// within ~1% of its weight), at the price of moving somewhat more than the ideal
// 1/n of keys on a membership change, and of a table rebuilt per change.
//
// Ineligible owner (draining, down, excluded): the following slots are walked
// to the next DISTINCT eligible owner. Slot owners are pseudo-random, so a
// failed backend's keys spread over the others by weight, deterministically on
// every node. (Unlike the ring, where the walk lands where removal would, a
// rebuilt table may place a removed backend's keys elsewhere.)

import { requestHash } from '../hash/key.js';
import type { Backend, HashSource, Policy, PolicyContext, RequestFacts } from '../types.js';
import { buildMaglevTable, maglevTableSize } from './maglev-table.js';
import { firstEligibleOwner, hashMembers, isEligible, VisitStamps } from './members.js';

export interface MaglevOptions {
  readonly source: HashSource;
  /** Floor of the table size (default 65537); the size used is a prime >= max(floor, 100 × backends). */
  readonly tableSize?: number;
}

export interface MaglevPolicy extends Policy {
  readonly name: 'maglev';
  /** Number of slots M (a prime). */
  readonly tableSize: number;
  /** Pick for an already computed 32-bit key hash. */
  pickHash(hash: number, exclude?: ReadonlySet<string>): Backend | undefined;
  /** The backend owning `hash`'s slot, ignoring health and state. */
  owner(hash: number): Backend | undefined;
}

class MaglevTablePolicy implements MaglevPolicy {
  readonly name = 'maglev' as const;
  readonly tableSize: number;
  private readonly members: readonly Backend[];
  private readonly table: Uint32Array;
  private readonly ctx: PolicyContext;
  private readonly source: HashSource;
  private readonly stamps: VisitStamps;

  constructor(backends: readonly Backend[], ctx: PolicyContext, opts: MaglevOptions) {
    this.members = hashMembers(backends);
    const size = maglevTableSize(this.members.length, opts.tableSize);
    this.table = buildMaglevTable(this.members, size);
    this.tableSize = size;
    this.ctx = ctx;
    this.source = opts.source;
    this.stamps = new VisitStamps(this.members.length);
  }

  pick(req: RequestFacts, exclude?: ReadonlySet<string>): Backend | undefined {
    return this.pickHash(requestHash(this.source, req, this.ctx.random), exclude);
  }

  pickHash(hash: number, exclude?: ReadonlySet<string>): Backend | undefined {
    if (this.table.length === 0) return undefined;
    const slot = hash % this.tableSize;
    const first = this.members[this.table[slot]!]!;
    return isEligible(first, this.ctx, exclude)
      ? first
      : firstEligibleOwner(
          this.table,
          slot,
          this.members,
          this.members.length,
          this.stamps,
          this.ctx,
          exclude,
        );
  }

  owner(hash: number): Backend | undefined {
    if (this.table.length === 0) return undefined;
    return this.members[this.table[hash % this.tableSize]!];
  }
}

/** Builds a maglev policy over `backends` (any order; weight 0 ones are left out). */
export function maglev(backends: readonly Backend[], ctx: PolicyContext, opts: MaglevOptions): MaglevPolicy {
  return new MaglevTablePolicy(backends, ctx, opts);
}
