// consistent-hash: the request key's xxh32 is looked up on a ring of virtual
// nodes (see ring.ts); adding or removing a backend moves only ~1/n of keys, all
// of them to or from that backend. The policy for caches and sticky sessions.
//
// Ineligible owner (draining, down, excluded): walk clockwise to the next
// DISTINCT backend. A retry with the failed backend excluded therefore lands
// where that key would go if the backend were removed from the ring, and every
// node makes the same choice.
//
// Bounded loads (Mirrokni, Thorup, Zadimoghaddam 2016, "Consistent Hashing with
// Bounded Loads"): with loadFactor c >= 1, a backend takes a new request only if
// inFlight + 1 <= ceil(c × (T + 1) × w / W), T = total in-flight, w its weight,
// W the total weight of eligible backends (equal weights: c × the average);
// otherwise the walk moves on. With c >= 1 some eligible backend always fits.
//
// Pick: O(1) bucket + O(log 16) search, then the walk; the walk is O(1) expected while most backends
// are eligible, bounded by P steps. Bounded loads add an O(1) capacity check per
// visited backend; the exact eligible weight W (O(n)) is computed only when a
// backend fails the cheaper check against the weight of all active members, and
// is cached while the health view's version() stays the same.

import { coreError } from '../errors.js';
import { requestHash } from '../hash/key.js';
import type { Backend, HashSource, Policy, PolicyContext, RequestFacts } from '../types.js';
import { firstEligibleOwner, hashMembers, isEligible, VisitStamps } from './members.js';
import { buildRing, type Ring, ringIndex } from './ring.js';
import { updateRing } from './ring-update.js';

export interface ConsistentHashOptions {
  readonly source: HashSource;
  /** Ring points per unit of weight (weight 1 → vnodes points). */
  readonly vnodes: number;
  /** Enables bounded loads; must be >= 1 (1.25 is the usual choice). */
  readonly loadFactor?: number;
}

/** A sampled ring position for the dashboard. */
export interface RingPoint {
  readonly point: number;
  readonly backendId: string;
}

export interface ConsistentHashPolicy extends Policy {
  readonly name: 'consistent-hash';
  /** Number of points on the ring. */
  readonly pointCount: number;
  /** Pick for an already computed 32-bit key hash. */
  pickHash(hash: number, exclude?: ReadonlySet<string>): Backend | undefined;
  /** The backend owning `hash` on the ring, ignoring health, state and load. */
  owner(hash: number): Backend | undefined;
  /** At most `max` points, evenly sampled in ring order. */
  ringPoints(max?: number): RingPoint[];
}

class RingPolicy implements ConsistentHashPolicy {
  readonly name = 'consistent-hash' as const;
  readonly pointCount: number;
  private readonly members: readonly Backend[];
  private readonly ring: Ring;
  private readonly vnodes: number;
  private readonly points: Uint32Array;
  /** Owner slot of each point; the member is bySlot[slot] (ring.ts). */
  private readonly owners: Uint32Array;
  private readonly bySlot: readonly (Backend | undefined)[];
  private readonly ctx: PolicyContext;
  private readonly source: HashSource;
  private readonly loadFactor: number | undefined;
  /** Total weight of active members, an upper bound of the eligible weight. */
  private readonly activeWeight: number;
  private readonly stamps: VisitStamps;
  /** Eligible weight cached by health version (see eligibleWeight). */
  private cachedWeight = 0;
  private cachedVersion = Number.NaN;

  constructor(
    backends: readonly Backend[],
    ctx: PolicyContext,
    opts: ConsistentHashOptions,
    prev: Policy | undefined,
  ) {
    const c = opts.loadFactor;
    if (c !== undefined && !(Number.isFinite(c) && c >= 1)) {
      throw coreError('RL_BAD_CONFIG', `ring.loadFactor must be a number >= 1, got ${c}`, {
        field: 'ring.loadFactor',
      });
    }
    this.members = hashMembers(backends);
    // The previous snapshot's ring, when it has the same vnodes, is updated instead of rebuilt
    // (ring-update.ts: the same points and owners as a build, without hashing unchanged
    // members' points or rewriting their owner entries). Everything else here is O(n).
    const ring =
      prev instanceof RingPolicy && prev.vnodes === opts.vnodes
        ? updateRing(prev.ring, this.members, opts.vnodes)
        : buildRing(this.members, opts.vnodes);
    this.vnodes = opts.vnodes;
    this.ring = ring;
    this.points = ring.points;
    this.owners = ring.owners;
    this.bySlot = ring.bySlot;
    this.pointCount = ring.points.length;
    this.ctx = ctx;
    this.source = opts.source;
    this.loadFactor = c;
    let active = 0;
    for (const m of this.members) if (m.state === 'active') active += m.weight;
    this.activeWeight = active;
    this.stamps = new VisitStamps(ring.bySlot.length);
  }

  pick(req: RequestFacts, exclude?: ReadonlySet<string>): Backend | undefined {
    return this.pickHash(requestHash(this.source, req, this.ctx.random), exclude);
  }

  pickHash(hash: number, exclude?: ReadonlySet<string>): Backend | undefined {
    if (this.pointCount === 0) return undefined;
    const start = ringIndex(this.ring, hash);
    if (this.loadFactor !== undefined) return this.walkBounded(start, this.loadFactor, exclude);
    const first = this.bySlot[this.owners[start]!]!;
    return isEligible(first, this.ctx, exclude)
      ? first
      : firstEligibleOwner(
          this.owners,
          start,
          this.bySlot,
          this.members.length,
          this.stamps,
          this.ctx,
          exclude,
        );
  }

  owner(hash: number): Backend | undefined {
    if (this.pointCount === 0) return undefined;
    return this.bySlot[this.owners[ringIndex(this.ring, hash)]!];
  }

  ringPoints(max = 512): RingPoint[] {
    const out: RingPoint[] = [];
    if (max < 1) return out;
    const step = Math.max(1, Math.ceil(this.pointCount / max));
    for (let i = 0; i < this.pointCount; i += step) {
      out.push({ point: this.points[i]!, backendId: this.bySlot[this.owners[i]!]!.id });
    }
    return out;
  }

  /**
   * The walk of firstEligibleOwner, also skipping backends at capacity. If every
   * eligible backend is at capacity (possible only when `exclude` removes capacity)
   * the least loaded one relative to its weight is returned: a request is never
   * refused for balance alone.
   */
  private walkBounded(
    start: number,
    c: number,
    exclude: ReadonlySet<string> | undefined,
  ): Backend | undefined {
    const { owners, bySlot, members, stamps, ctx } = this;
    const load = ctx.load;
    const len = owners.length;
    const base = c * (this.totalInFlight() + 1);
    let eligibleWeight = 0;
    let best: Backend | undefined;
    let bestRatio = Number.POSITIVE_INFINITY;
    stamps.begin();
    let distinct = 0;
    for (let j = 0, i = start; j < len; j++, i = i + 1 === len ? 0 : i + 1) {
      const o = owners[i]!;
      if (!stamps.visit(o)) continue;
      const b = bySlot[o]!;
      if (isEligible(b, ctx, exclude)) {
        const next = load.inFlight(b.id) + 1;
        if (next <= Math.ceil((base * b.weight) / this.activeWeight)) return b;
        if (eligibleWeight === 0) eligibleWeight = this.eligibleWeight();
        if (next <= Math.ceil((base * b.weight) / eligibleWeight)) return b;
        const ratio = next / b.weight;
        if (ratio < bestRatio) {
          best = b;
          bestRatio = ratio;
        }
      }
      if (++distinct === members.length) break;
    }
    return best;
  }

  private totalInFlight(): number {
    const load = this.ctx.load;
    if (load.totalInFlight !== undefined) return load.totalInFlight();
    let total = 0;
    for (const m of this.members) total += load.inFlight(m.id);
    return total;
  }

  /**
   * Weight of members that may take requests now (active and up). O(n), or O(1)
   * while the health view reports the same version as at the last computation.
   */
  private eligibleWeight(): number {
    const health = this.ctx.health;
    const version = health.version?.();
    if (version !== undefined && version === this.cachedVersion) return this.cachedWeight;
    let w = 0;
    for (const m of this.members) if (m.state === 'active' && health.isUp(m.id)) w += m.weight;
    if (version !== undefined) {
      this.cachedVersion = version;
      this.cachedWeight = w;
    }
    return w;
  }
}

/**
 * Builds a consistent-hash policy over `backends` (any order; weight 0 ones are left out).
 * `prev`: the policy of the snapshot this one replaces; its ring is reused when it is one.
 */
export function consistentHash(
  backends: readonly Backend[],
  ctx: PolicyContext,
  opts: ConsistentHashOptions,
  prev?: Policy,
): ConsistentHashPolicy {
  return new RingPolicy(backends, ctx, opts, prev);
}
