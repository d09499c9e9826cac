// The `health/<nodeId>` payload (shared health checking): what one node's own active checks
// concluded about the backends it checks, after its rise/fall.
//
//   { "node": "lb-1", "at": 1700000000123, "up": ["web-1", "web-7"], "down": ["web-3"] }
//
// Backends it checks but has no verdict on yet are in neither list (readers treat them as
// unknown, not as up). `at` is the publisher's wall clock (ms), informative. Ids are plain
// JSON strings (~12 bytes each), so 10 000 checked backends are ~120 KB, far under
// ZooKeeper's 1 MiB. Pure: unit-tested without ZooKeeper.
import { BACKEND_ID } from '@ringleader/core';

/** Larger payloads are refused on both sides (ZooKeeper's own limit is 1 MiB). */
export const MAX_HEALTH_BYTES = 960 * 1024;

export type Verdict = 'up' | 'down';

export interface PeerHealth {
  readonly nodeId: string;
  /** Publisher's wall clock when it wrote the verdicts (epoch ms). */
  readonly at: number;
  readonly verdicts: ReadonlyMap<string, Verdict>;
}

export type HealthDecode = { ok: true; value: PeerHealth } | { ok: false; error: string };

/** Serialises one node's verdicts; `visit` walks them (no intermediate map). */
export function encodeHealth(
  nodeId: string,
  at: number,
  each: (visit: (id: string, verdict: Verdict) => void) => void,
): string {
  const up: string[] = [];
  const down: string[] = [];
  each((id, v) => (v === 'up' ? up : down).push(id));
  return JSON.stringify({ node: nodeId, at: Math.round(at), up, down });
}

/**
 * Decodes a peer's payload. The znode name is the node id. Ids that break the backend-id rule
 * are dropped (they cannot name a backend); an id in both lists counts as down. A payload
 * that is not an object with `at`, `up` and `down` is an error (message returned).
 */
export function decodeHealth(nodeId: string, data: Buffer): HealthDecode {
  if (data.length > MAX_HEALTH_BYTES)
    return { ok: false, error: `payload is over ${MAX_HEALTH_BYTES} bytes` };
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, error: 'payload is not JSON' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, error: 'payload is not an object' };
  const { at, up, down } = v as { at?: unknown; up?: unknown; down?: unknown };
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0)
    return { ok: false, error: '`at` must be a time in ms' };
  if (!Array.isArray(up)) return { ok: false, error: '`up` must be an array of backend ids' };
  if (!Array.isArray(down)) return { ok: false, error: '`down` must be an array of backend ids' };
  const verdicts = new Map<string, Verdict>();
  const add = (list: unknown[], verdict: Verdict) => {
    for (const id of list)
      if (typeof id === 'string' && BACKEND_ID.problem(id) === undefined) verdicts.set(id, verdict);
  };
  add(up, 'up');
  add(down, 'down');
  return { ok: true, value: Object.freeze({ nodeId, at, verdicts }) };
}
