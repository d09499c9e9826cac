// round-robin: strict cyclic order over the eligible backends.
//
// Eligible = state 'active', weight > 0, health.isUp(id), not in `exclude` (the
// one rule of members.ts). Draining and weight-0 members are dropped once at
// build; health and exclusions are checked per pick, and an ineligible member is
// skipped by advancing, so the others keep their cyclic order and a backend that
// comes back resumes its place in the cycle.
//
// The cursor starts at a random member (ctx.random), so after a membership change
// the nodes of a cluster do not all send their next request to the same backend.
// With a shared ticket (ctx.ticket: the data-plane workers of one node) the position comes from
// it instead, so every thread walks one cycle.
// Pick: O(1) when the next member is eligible, O(n) worst case (all skipped).

import type { Backend, HealthView, Policy, PolicyContext, RequestFacts } from '../types.js';

class RoundRobin implements Policy {
  readonly name = 'round-robin' as const;
  private readonly members: readonly Backend[];
  private readonly health: HealthView;
  private next: number;
  private readonly ticket: (() => number) | undefined;

  constructor(backends: readonly Backend[], ctx: PolicyContext) {
    this.members = backends.filter((b) => b.state === 'active' && b.weight > 0);
    this.health = ctx.health;
    this.ticket = ctx.ticket;
    this.next =
      this.members.length > 0 ? Math.floor(ctx.random() * this.members.length) % this.members.length : 0;
  }

  pick(_req: RequestFacts, exclude?: ReadonlySet<string>): Backend | undefined {
    const members = this.members;
    const n = members.length;
    if (n === 0) return undefined;
    let i = this.ticket === undefined ? this.next : this.ticket() % n;
    for (let k = 0; k < n; k++) {
      const b = members[i]!;
      if (++i === n) i = 0;
      if (this.health.isUp(b.id) && (exclude === undefined || !exclude.has(b.id))) {
        this.next = i;
        return b;
      }
    }
    return undefined;
  }
}

export function roundRobin(backends: readonly Backend[], ctx: PolicyContext): Policy {
  return new RoundRobin(backends, ctx);
}
