// The routing snapshot: everything a request sees, built whole and then swapped
// in as one reference (Envoy's thread_aware_lb: heavy build, cheap swap). The
// member list is sorted by id and frozen, the policy built once over it; nothing
// mutates a snapshot afterwards, so a request that read the old reference keeps
// a consistent view while the next one sees the new.
//
// Build: O(n log n) plus the policy's own build (a ring is O(P), maglev O(M log M)).
// Given the snapshot it replaces, the policy may update from it instead (the ring does:
// ring-update.ts); the new snapshot is still a new object and the old one is untouched.

import { buildPolicy } from './policies/index.js';
import { byId } from './policies/members.js';
import type { Backend, ClusterConfig, PolicyContext, RoutingSnapshot } from './types.js';

/**
 * Builds the snapshot for membership `version`. Throws what buildPolicy throws
 * (a config it cannot honour); the caller then keeps serving the previous one.
 */
export function buildSnapshot(
  version: number,
  backends: readonly Backend[],
  config: ClusterConfig,
  ctx: PolicyContext,
  prev?: RoutingSnapshot,
): RoutingSnapshot {
  const sorted = Object.freeze([...backends].sort(byId));
  const policy = buildPolicy(config, sorted, ctx, prev?.policy);
  return Object.freeze({ version, backends: sorted, policy });
}
