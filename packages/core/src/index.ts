export { type BackendFields, backendFields } from './backend-fields.js';
export { configFingerprint, stableStringify } from './canonical.js';
export {
  type BackendInput,
  checkBackendId,
  decodeBackend,
  encodeBackend,
  MAX_META_DEPTH,
  MAX_PAYLOAD_BYTES,
  MAX_WEIGHT,
  type PayloadData,
  readJsonPayload,
  validateBackend,
} from './codec/backend.js';
export {
  CONFIG_BOUNDS,
  clusterConfigToJson,
  DEFAULT_CLUSTER_CONFIG,
  decodeClusterConfig,
  encodeClusterConfig,
  formatHashSource,
  HASH_POLICIES,
  isPrime,
  POLICY_NAMES,
  parseHashSource,
  validateClusterConfig,
} from './codec/config.js';
export {
  encodeProxyV1,
  encodeProxyV2,
  PROXY_V2_SIGNATURE,
  type ProxyAddresses,
  type ProxyTlv,
} from './codec/proxy-protocol.js';
export {
  DEFAULT_PROXY_MAX_BYTES,
  PROXY_V1_MAX_LENGTH,
  type ProxyHeader,
  ProxyHeaderParser,
  type ProxyParse,
} from './codec/proxy-protocol-parse.js';
export {
  decodeService,
  encodeService,
  SERVICE_BOUNDS,
  SERVICE_CHECK_KINDS,
  SERVICE_DEFAULTS,
  SERVICE_PROTOCOLS,
  serviceToJson,
  validateService,
} from './codec/service.js';
export * from './errors.js';
export { connectionFacts, type IncomingLike, LazyRequestFacts, requestFacts } from './facts.js';
export * from './hash/index.js';
export {
  BackendHealth,
  type BackendHealthSummary,
  type CheckState,
  type HealthEvent,
  type HealthSettings,
  type HealthState,
  HealthTable,
} from './health.js';
export { type BackendLoadSummary, type LoadOptions, type LoadSummary, LoadTracker } from './load.js';
export {
  BACKEND_ID,
  CLUSTER_NAME,
  DEFAULT_SERVICE,
  DEFAULT_ZK_PORT,
  MAX_BACKEND_ID_LENGTH,
  MAX_NAME_LENGTH,
  type NameRule,
  NODE_ID,
  SERVICE_NAME,
  ZK_CONNECT,
} from './names.js';
export {
  type ConsistentHashOptions,
  type ConsistentHashPolicy,
  consistentHash,
  type RingPoint,
} from './policies/consistent-hash.js';
export { type ModHashPolicy, modHash } from './policies/hash.js';
export { buildPolicy } from './policies/index.js';
export {
  type HashPicker,
  KEY_SHARE_PROBES,
  keyShares,
  movedShare,
  probeOwners,
} from './policies/key-share.js';
export { leastConnections, pickTwo } from './policies/least-connections.js';
export { leastResponseTime, PROBE_MAX_IN_FLIGHT } from './policies/least-response-time.js';
export { type MaglevOptions, type MaglevPolicy, maglev } from './policies/maglev.js';
export { DEFAULT_MAGLEV_TABLE_SIZE, maglevTableSize } from './policies/maglev-table.js';
export { type BackendDiff, diffBackends } from './policies/members.js';
export { MAX_RING_POINTS } from './policies/ring.js';
export { roundRobin } from './policies/round-robin.js';
export {
  PRECOMPUTE_MAX_CYCLE,
  SmoothScheduler,
  smoothDeviationBound,
  smoothSequence,
  type WeightedRoundRobinOptions,
  weightedRoundRobin,
} from './policies/weighted-round-robin.js';
export * from './redis/index.js';
export { err, ok, type Result, unwrap } from './result.js';
export { buildSnapshot } from './snapshot.js';
export * from './types.js';
