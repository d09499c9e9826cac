// least-response-time: peak-EWMA cost with power of two choices (Finagle's
// "P2C + PeakEWMA" balancer).
//
//   cost(b) = latency(b) × (inFlight(b) + 1) / weight(b)
//
// latency is the LoadTracker's peak-sensitive EWMA (decay τ = config lrt.decayMs):
// a backend that slows down is avoided at once, one that recovers is trusted again
// over ~τ. Multiplying by in-flight + 1 makes a fast backend that is already busy
// look as expensive as a slower idle one, so load spreads before queues build.
// Two random eligible candidates are compared (see least-connections.ts for why
// not the global minimum: every LB node would herd onto the same backend).
//
// Probing, not flooding: a backend without a fresh figure (new, recovered after
// the data plane's load.forget(id), or idle for > 3τ) is costed at the slowest
// current figure among the members (pessimistic: it must earn its place), and it
// may hold at most PROBE_MAX_IN_FLIGHT requests until its first response gives it
// a figure. So it is tried at once, but cannot absorb a burst. If nobody has a
// figure yet (cold start), every backend costs 1 × (inFlight + 1): least
// connections, with the same in-flight cap, until samples arrive.
//
// Pick: O(1), plus one O(n) scan for the pessimistic figure in the picks whose
// candidates include a backend without a figure.

import type { Backend, LoadView, Policy, PolicyContext, RequestFacts } from '../types.js';
import { pickTwo } from './least-connections.js';

/** Requests a backend without a latency figure may hold at once. */
export const PROBE_MAX_IN_FLIGHT = 2;
/** Floor on the latency figure, so in-flight still counts for a sub-microsecond backend. */
const MIN_LATENCY_MS = 0.01;

class LeastResponseTime implements Policy {
  readonly name = 'least-response-time' as const;
  private readonly members: readonly Backend[];
  private readonly ctx: PolicyContext;
  private readonly load: LoadView;
  /** Pessimistic latency for backends without a figure; computed at most once per pick (-1 = not yet). */
  private probeLatency = -1;
  private readonly better: (a: Backend, b: Backend) => boolean;

  constructor(backends: readonly Backend[], ctx: PolicyContext) {
    this.members = backends.filter((b) => b.state === 'active' && b.weight > 0);
    this.ctx = ctx;
    this.load = ctx.load;
    this.better = (a, b) => {
      const ca = this.cost(a);
      const cb = this.cost(b);
      if (ca === Number.POSITIVE_INFINITY && cb === Number.POSITIVE_INFINITY) {
        return this.load.inFlight(a.id) < this.load.inFlight(b.id);
      }
      return ca < cb;
    };
  }

  /** The cost above; +Infinity for a backend without a figure already holding PROBE_MAX_IN_FLIGHT. */
  cost(b: Backend): number {
    const inFlight = this.load.inFlight(b.id);
    let latency = this.load.ewmaMs(b.id);
    if (latency === undefined) {
      if (inFlight >= PROBE_MAX_IN_FLIGHT) return Number.POSITIVE_INFINITY;
      latency = this.pessimistic();
    }
    if (latency < MIN_LATENCY_MS) latency = MIN_LATENCY_MS;
    return (latency * (inFlight + 1)) / b.weight;
  }

  private pessimistic(): number {
    if (this.probeLatency < 0) {
      let max = 0;
      for (const m of this.members) {
        const e = this.load.ewmaMs(m.id);
        if (e !== undefined && e > max) max = e;
      }
      this.probeLatency = max > 0 ? max : 1;
    }
    return this.probeLatency;
  }

  pick(_req: RequestFacts, exclude?: ReadonlySet<string>): Backend | undefined {
    this.probeLatency = -1;
    return pickTwo(this.members, this.ctx.health, this.ctx.random, exclude, this.better);
  }
}

export function leastResponseTime(backends: readonly Backend[], ctx: PolicyContext): Policy {
  return new LeastResponseTime(backends, ctx);
}
