// The `stats/<nodeId>` payload (active-active): one node's local load figures.
//
//   { "node": "lb-1", "at": 1700000000123,
//     "backends": { "web-1": { "ewmaMs": 12.34, "inFlight": 3, "requests": 41.2 }, ... } }
//
// `at` is the publisher's wall clock (ms); `requests` is the decayed request count the
// core LoadTracker publishes (its blend weight). Numbers are rounded to 0.01 to keep the
// payload small (~60 bytes per backend). Pure: unit-tested without ZooKeeper.
import type { BackendLoadSummary, LoadSummary } from '@ringleader/core';

/** Larger payloads are refused on both sides (ZooKeeper's own limit is 1 MiB). */
export const MAX_STATS_BYTES = 256 * 1024;

export interface PeerStats {
  readonly nodeId: string;
  /** Publisher's wall clock when it wrote the figures (epoch ms). */
  readonly at: number;
  readonly summary: LoadSummary;
}

const round = (n: number) => Math.round(n * 100) / 100;

export function encodeStats(nodeId: string, at: number, summary: LoadSummary): string {
  const backends: Record<string, BackendLoadSummary> = {};
  for (const id of Object.keys(summary.backends)) {
    const s = summary.backends[id];
    if (s === undefined) continue;
    backends[id] = {
      ewmaMs: s.ewmaMs === null ? null : round(s.ewmaMs),
      inFlight: s.inFlight,
      requests: round(s.requests),
    };
  }
  return JSON.stringify({ node: nodeId, at: Math.round(at), backends });
}

const okNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Decodes a peer's payload. The znode name is the node id (the payload's `node` is
 * informative). Malformed per-backend entries are dropped; a payload that is not a JSON
 * object with `at` and `backends` is an error (message returned).
 */
export function decodeStats(
  nodeId: string,
  data: Buffer,
): { ok: true; value: PeerStats } | { ok: false; error: string } {
  if (data.length > MAX_STATS_BYTES) return { ok: false, error: `payload is over ${MAX_STATS_BYTES} bytes` };
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, error: 'payload is not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, error: 'payload is not an object' };
  const { at, backends } = v as { at?: unknown; backends?: unknown };
  if (!okNumber(at)) return { ok: false, error: '`at` must be a time in ms' };
  if (typeof backends !== 'object' || backends === null || Array.isArray(backends)) {
    return { ok: false, error: '`backends` must be an object' };
  }
  const entries: Array<[string, BackendLoadSummary]> = [];
  for (const [id, s] of Object.entries(backends as Record<string, unknown>)) {
    if (typeof s !== 'object' || s === null) continue;
    const { ewmaMs, inFlight, requests } = s as Record<string, unknown>;
    if ((ewmaMs !== null && !okNumber(ewmaMs)) || !okNumber(inFlight) || !okNumber(requests)) continue;
    entries.push([id, Object.freeze({ ewmaMs, inFlight, requests })]);
  }
  // fromEntries defines own properties: a peer's `"__proto__"` key cannot swap the prototype.
  const out: Record<string, BackendLoadSummary> = Object.fromEntries(entries);
  return {
    ok: true,
    value: Object.freeze({ nodeId, at, summary: Object.freeze({ backends: Object.freeze(out) }) }),
  };
}

/** Peers whose figures are at most `maxAgeMs` old at wall time `now` (for LoadTracker.blend). */
export function freshSummaries(peers: Iterable<PeerStats>, now: number, maxAgeMs: number): LoadSummary[] {
  const out: LoadSummary[] = [];
  for (const p of peers) if (now - p.at <= maxAgeMs) out.push(p.summary);
  return out;
}
