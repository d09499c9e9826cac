// Canonical JSON (object keys sorted at every depth) and the routing-config fingerprint built
// on it: two nodes whose fingerprints match route every key alike from the same membership.

import { xxh32 } from './hash/xxh32.js';
import type { ClusterConfig } from './types.js';

/** JSON with object keys sorted at every depth, so equal values give equal text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}

/**
 * 8 hex digits naming a cluster config: nodes publish it in /status and `ringleader status`
 * and the dashboard compare it (with the snapshot version) to say "agreed", instead of
 * inferring agreement from the snapshot version alone.
 */
export function configFingerprint(config: ClusterConfig): string {
  return (xxh32(stableStringify(config), 0x52_4c) >>> 0).toString(16).padStart(8, '0');
}
