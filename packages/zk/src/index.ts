export * from './acl.js';
export * from './admin.js';
export { mergePatch, planBackendUpdate, planConfigUpdate } from './admin-logic.js';
export * from './admin-status.js';
export * from './config-watch.js';
export {
  applyConfigRead,
  type ConfigRead,
  type ConfigStep,
  type DecodeConfig,
  decodeLastGood,
  encodeLastGood,
  shouldPublishLastGood,
} from './config-watch-logic.js';
export * from './data-watch.js';
export * from './election.js';
export * from './election-logic.js';
export * from './errors.js';
export * from './leader-watch.js';
export * from './logger.js';
export * from './membership.js';
export { type CacheState, ChildrenCache, type ChildrenCacheOptions } from './membership-cache.js';
export { Coalescer, type CoalescerOptions, type CoalesceState, type Timers } from './membership-coalesce.js';
export * from './membership-snapshot.js';
export * from './noauth.js';
export * from './paths.js';
export * from './registry.js';
export * from './session.js';
export * from './session-machine.js';
export * from './stat.js';
export * from './stats.js';
export { MAX_STATS_BYTES } from './stats-logic.js';
