// Load figures of a node whose data plane runs in several workers, as one summary: what the
// node publishes to its active-active peers, what /status shows, and what each worker blends
// in from its siblings (so least-response-time sees the whole node's latency, while in-flight
// counts stay each worker's own, like Envoy's per-worker load balancers).
import type { BackendLoadSummary, LoadSummary } from '@ringleader/core';

/**
 * In-flight and request counts add up; the EWMA is the request-weighted mean of the workers
 * that have one (a plain mean when none has a request weight).
 */
export function mergeLoadSummaries(list: readonly LoadSummary[]): LoadSummary {
  // Running means (each step moves the mean toward the new figure by a share in [0, 1]), so the
  // result stays between the workers' figures even when a decayed request weight is too small
  // for ewma × weight to be represented (it would underflow to 0 in a sum of products).
  const acc = new Map<
    string,
    { inFlight: number; requests: number; w: number; wMean: number; n: number; mean: number }
  >();
  for (const s of list) {
    for (const [id, b] of Object.entries(s.backends)) {
      let a = acc.get(id);
      if (a === undefined) {
        a = { inFlight: 0, requests: 0, w: 0, wMean: 0, n: 0, mean: 0 };
        acc.set(id, a);
      }
      a.inFlight += b.inFlight;
      a.requests += b.requests;
      if (b.ewmaMs !== null) {
        a.n++;
        a.mean += (b.ewmaMs - a.mean) / a.n;
        if (b.requests > 0) {
          a.w += b.requests;
          a.wMean += (b.requests / a.w) * (b.ewmaMs - a.wMean);
        }
      }
    }
  }
  const backends: Record<string, BackendLoadSummary> = {};
  for (const [id, a] of acc) {
    const ewmaMs = a.n === 0 ? null : a.w > 0 ? a.wMean : a.mean;
    backends[id] = { ewmaMs, inFlight: a.inFlight, requests: a.requests };
  }
  return { backends };
}
