// least-connections: power of two choices on in-flight count per unit of weight.
//
// Two distinct eligible backends are drawn at random (ctx.random) and the one with
// the lower inFlight/weight wins (ties: the first drawn). Comparing two random
// candidates instead of scanning for the global minimum is what keeps several LB
// nodes, each with a slightly stale view, from all herding onto the same "least
// loaded" backend (Mitzenmacher 2001: max load drops from log n/log log n to
// log log n), and it is O(1) per pick.
//
// Eligible = active, weight > 0 (filtered at build), health.isUp, not excluded
// (checked per pick). When random draws keep hitting ineligible backends (many
// down), the pick falls back to an O(n) scan of the eligible ones.

import type { Backend, HealthView, LoadView, Policy, PolicyContext, RequestFacts } from '../types.js';

/** Random draws tried per candidate before the O(n) fallback. */
const DRAWS = 4;

function usable(b: Backend, health: HealthView, exclude: ReadonlySet<string> | undefined): boolean {
  return health.isUp(b.id) && (exclude === undefined || !exclude.has(b.id));
}

/** Two distinct indices of [0, n), n ≥ 2, from two draws. */
function drawOther(random: () => number, n: number, a: number): number {
  const j = Math.floor(random() * (n - 1)) % (n - 1);
  return j >= a ? j + 1 : j;
}

/**
 * Power of two choices over `members`: `better(a, b)` says whether a should be
 * preferred to b. Deterministic for a given random sequence. O(1) unless most
 * members are ineligible.
 */
export function pickTwo(
  members: readonly Backend[],
  health: HealthView,
  random: () => number,
  exclude: ReadonlySet<string> | undefined,
  better: (a: Backend, b: Backend) => boolean,
): Backend | undefined {
  const n = members.length;
  if (n === 0) return undefined;
  if (n === 1) return usable(members[0]!, health, exclude) ? members[0] : undefined;
  let a = -1;
  for (let k = 0; k < DRAWS && a < 0; k++) {
    const i = Math.floor(random() * n) % n;
    if (usable(members[i]!, health, exclude)) a = i;
  }
  let b = -1;
  if (a >= 0) {
    for (let k = 0; k < DRAWS && b < 0; k++) {
      const j = drawOther(random, n, a);
      if (usable(members[j]!, health, exclude)) b = j;
    }
  }
  if (b < 0) {
    // Slow path: the draws kept hitting ineligible members. Choose among the eligible ones.
    const eligible = members.filter((m) => usable(m, health, exclude));
    if (eligible.length <= 1) return eligible[0];
    const x = Math.floor(random() * eligible.length) % eligible.length;
    const ex = eligible[x]!;
    const ey = eligible[drawOther(random, eligible.length, x)]!;
    return better(ey, ex) ? ey : ex;
  }
  const ma = members[a]!;
  const mb = members[b]!;
  return better(mb, ma) ? mb : ma;
}

class LeastConnections implements Policy {
  readonly name = 'least-connections' as const;
  private readonly members: readonly Backend[];
  private readonly ctx: PolicyContext;
  private readonly better: (a: Backend, b: Backend) => boolean;

  constructor(backends: readonly Backend[], ctx: PolicyContext) {
    this.members = backends.filter((b) => b.state === 'active' && b.weight > 0);
    this.ctx = ctx;
    const load: LoadView = ctx.load;
    // a strictly better than b: inFlight(a)/w(a) < inFlight(b)/w(b), cross-multiplied (exact).
    this.better = (a, b) => load.inFlight(a.id) * b.weight < load.inFlight(b.id) * a.weight;
  }

  pick(_req: RequestFacts, exclude?: ReadonlySet<string>): Backend | undefined {
    return pickTwo(this.members, this.ctx.health, this.ctx.random, exclude, this.better);
  }
}

export function leastConnections(backends: readonly Backend[], ctx: PolicyContext): Policy {
  return new LeastConnections(backends, ctx);
}
