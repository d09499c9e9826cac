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
  const acc = new Map<
    string,
    { inFlight: number; requests: number; wSum: number; w: number; sum: number; n: number }
  >();
  for (const s of list) {
    for (const [id, b] of Object.entries(s.backends)) {
      let a = acc.get(id);
      if (a === undefined) {
        a = { inFlight: 0, requests: 0, wSum: 0, w: 0, sum: 0, n: 0 };
        acc.set(id, a);
      }
      a.inFlight += b.inFlight;
      a.requests += b.requests;
      if (b.ewmaMs !== null) {
        a.wSum += b.ewmaMs * b.requests;
        a.w += b.requests;
        a.sum += b.ewmaMs;
        a.n++;
      }
    }
  }
  const backends: Record<string, BackendLoadSummary> = {};
  for (const [id, a] of acc) {
    const ewmaMs = a.n === 0 ? null : a.w > 0 ? a.wSum / a.w : a.sum / a.n;
    backends[id] = { ewmaMs, inFlight: a.inFlight, requests: a.requests };
  }
  return { backends };
}
