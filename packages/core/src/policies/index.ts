// The policy factory: one switch from the validated config to a built policy.
// Called once per routing snapshot (heavy build, cheap swap), never per request.

import { coreError } from '../errors.js';
import type { Backend, ClusterConfig, HashSource, Policy, PolicyContext } from '../types.js';
import { consistentHash } from './consistent-hash.js';
import { modHash } from './hash.js';
import { leastConnections } from './least-connections.js';
import { leastResponseTime } from './least-response-time.js';
import { maglev } from './maglev.js';
import { roundRobin } from './round-robin.js';
import { weightedRoundRobin } from './weighted-round-robin.js';

function hashSource(config: ClusterConfig): HashSource {
  if (config.hash === undefined) {
    throw coreError('RL_BAD_HASH_SOURCE', `policy ${config.policy} needs a hash source`, { field: 'hash' });
  }
  return config.hash;
}

/**
 * Builds the policy `config.policy` names over `backends`. Throws a
 * RingleaderError (RL_UNKNOWN_POLICY, RL_BAD_HASH_SOURCE, RL_BAD_CONFIG) when the
 * config cannot be honoured; the caller keeps its last good snapshot then.
 * `prev`: the policy being replaced; a policy that can update its structure from it
 * (the ring) does, with the same result as a fresh build.
 */
export function buildPolicy(
  config: ClusterConfig,
  backends: readonly Backend[],
  ctx: PolicyContext,
  prev?: Policy,
): Policy {
  const policy = config.policy;
  switch (policy) {
    case 'round-robin':
      return roundRobin(backends, ctx);
    case 'weighted-round-robin':
      return weightedRoundRobin(backends, ctx);
    case 'least-response-time':
      return leastResponseTime(backends, ctx);
    case 'least-connections':
      return leastConnections(backends, ctx);
    case 'hash':
      return modHash(backends, ctx, hashSource(config));
    case 'consistent-hash':
      return consistentHash(
        backends,
        ctx,
        {
          source: hashSource(config),
          vnodes: config.ring.vnodes,
          loadFactor: config.ring.loadFactor,
        },
        prev,
      );
    case 'maglev':
      return maglev(backends, ctx, { source: hashSource(config), tableSize: config.maglev.tableSize });
    default: {
      const unknown: never = policy;
      throw coreError('RL_UNKNOWN_POLICY', String(unknown), { field: 'policy' });
    }
  }
}
