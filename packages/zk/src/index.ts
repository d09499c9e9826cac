export * from './admin/admin.js';
export { mergePatch, planBackendUpdate, planConfigUpdate } from './admin/admin-logic.js';
export * from './admin/admin-status.js';
export * from './config/config-watch.js';
export {
  applyConfigRead,
  type ConfigRead,
  type ConfigStep,
  type DecodeConfig,
  decodeLastGood,
  encodeLastGood,
  shouldPublishLastGood,
} from './config/config-watch-logic.js';
export * from './data-watch.js';
export * from './election/election.js';
export * from './election/election-logic.js';
export * from './election/leader-watch.js';
export * from './election/registry.js';
export * from './errors.js';
export * from './health/health.js';
export * from './logger.js';
export * from './membership/membership.js';
export { lowerBound as idLowerBound } from './membership/membership-assemble.js';
export { type CacheState, ChildrenCache, type ChildrenCacheOptions } from './membership/membership-cache.js';
export {
  Coalescer,
  type CoalescerOptions,
  type CoalesceState,
  type Timers,
} from './membership/membership-coalesce.js';
export * from './membership/membership-snapshot.js';
export * from './paths.js';
export * from './security/acl.js';
export * from './security/noauth.js';
export * from './security/types.js';
export * from './services/services.js';
export * from './session/session.js';
export * from './session/session-machine.js';
export * from './stat.js';
export * from './stats/stats.js';
export { MAX_STATS_BYTES } from './stats/stats-logic.js';
