// @ringleader/node: the LB process. This index exports the data plane, health checks and
// metrics; the role controller, config loading and the entry point export from their modules.

export { ConfigError, ENV_KEYS, loadNodeConfig, parseConfigText } from './config/load.js';
export { type ListenAddress, type NodeConfig, parseListen, validateNodeConfig } from './config/schema.js';
export { CheckAssignment } from './control/health/assignment.js';
export {
  type CheckSettings,
  DEFAULT_MAX_CONCURRENT_CHECKS,
  HealthChecker,
  type HealthCheckerOptions,
} from './control/health/checker.js';
export { type ProbeResult, type ProbeSettings, type ProbeTarget, probe } from './control/health/probe.js';
export {
  type BackendMetrics,
  createMetrics,
  DURATION_BUCKETS,
  type HealthStateLabel,
  LEADER_LABEL,
  type LimitReason,
  type MetricsOptions,
  NO_BACKEND_LABEL,
  type NodeMetrics,
  type UpstreamErrorKind,
} from './control/metrics.js';
export { buildStatus, type StatusDocument } from './control/status.js';
export { createTcpMetrics } from './control/tcp-metrics.js';
export {
  type CertificateInfo,
  CertificateReloader,
  checkTlsMaterial,
  loadTls,
  type ReloadResult,
  readTlsFiles,
  type TlsFiles,
} from './control/tls.js';
export { errorBody, NODE_ERRORS, type NodeErrorCode, nodeError } from './errors.js';
export { type NodeAddresses, RINGLEADER_VERSION, RingleaderNode, type StartOptions } from './node.js';
export { createDataPlane } from './plane/http/server.js';
export { forwardedFor, parseTrustedProxies, type TrustedProxies } from './plane/http/trust.js';
export {
  createTcpListener,
  type TcpListener,
  type TcpListenerOptions,
  type TcpListenerStats,
} from './plane/tcp/index.js';
export type {
  DataPlane,
  DataPlaneLimits,
  DataPlaneOptions,
  DataPlaneStats,
  DataPlaneTimeouts,
} from './plane/types.js';
export { type RunOptions, runNode } from './process.js';
export { NODE_V8_DEFAULTS, nodeOptionsWithDefaults } from './runtime-flags.js';
export type {
  GateDecision,
  LoadFeed,
  PassiveHealthFeed,
  PlaneMetrics,
  Seam,
  ServingPermit,
  TcpCloseCause,
  TcpConnectFailureKind,
  TcpPlaneMetrics,
  TcpRefusalReason,
} from './seam.js';
