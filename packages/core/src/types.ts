// The shapes every other package depends on. Pure data and interfaces: no I/O here.

export type BackendState = 'active' | 'draining';

/** Which registration format a backend payload came in. */
export type PayloadFormat = 'native' | 'serverset' | 'nerve' | 'curator';

/** One backend as the routing core sees it, after its znode payload was validated. */
export interface Backend {
  /** The znode name under `backends/`; the only input to ring point placement. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Integer 0..1000; 0 gets no new traffic. */
  readonly weight: number;
  readonly state: BackendState;
  readonly zone?: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  readonly format: PayloadFormat;
}

export type PolicyName =
  | 'round-robin'
  | 'weighted-round-robin'
  | 'least-response-time'
  | 'least-connections'
  | 'hash'
  | 'consistent-hash'
  | 'maglev';

/** Where a hash policy takes its key from. */
export type HashSource =
  | { readonly kind: 'ip'; readonly withPort?: boolean }
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string }
  | { readonly kind: 'path' }
  | { readonly kind: 'query'; readonly name: string };

/**
 * What a policy may ask about a request. Implementations parse lazily: a policy
 * that reads nothing makes the request pay nothing.
 */
export interface RequestFacts {
  readonly clientIp: string;
  readonly clientPort: number;
  readonly method: string;
  readonly host: string;
  /** Path without the query string. */
  readonly path: string;
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  query(name: string): string | undefined;
}

/**
 * Live per-backend load figures, fed by the data plane (and, in active-active
 * mode, blended with peers' published summaries). Mutable by design: it outlives
 * snapshots and is keyed by backend id.
 */
export interface LoadView {
  inFlight(id: string): number;
  /** Smoothed response time in milliseconds; undefined while the backend has no samples. */
  ewmaMs(id: string): number | undefined;
  /**
   * Sum of inFlight over every backend, kept as a running total so bounded-load
   * consistent hashing reads it in O(1). When absent, that policy sums inFlight
   * over its members on each pick (O(n)).
   */
  totalInFlight?(): number;
}

/** Whether a backend may receive new requests right now (health checks, passive ejection). */
export interface HealthView {
  isUp(id: string): boolean;
  /**
   * A counter that changes whenever any isUp answer may have changed, so a
   * policy can cache figures derived from health (bounded loads caches the
   * eligible weight by it). When absent, such figures are recomputed per pick.
   */
  version?(): number;
}

/** What a policy is built with besides the member list. */
export interface PolicyContext {
  readonly load: LoadView;
  readonly health: HealthView;
  /** Random source in [0, 1); injectable so tests are deterministic. */
  readonly random: () => number;
  /**
   * A counter shared by every thread that picks from snapshots of this membership (the data-plane
   * workers of one node): each call returns the next integer. Round robin takes its position from
   * it, so several threads keep one cycle, as HAProxy's threads do; absent, each policy object
   * keeps its own cursor.
   */
  readonly ticket?: () => number;
}

/** A policy is a pure object built from a snapshot; rebuilding is cheap, picking is O(1) or O(log n). */
export interface Policy {
  readonly name: PolicyName;
  /**
   * Picks a backend for the request, skipping ids in `exclude` (already tried)
   * and backends the health view reports down. Undefined when none is eligible.
   */
  pick(req: RequestFacts, exclude?: ReadonlySet<string>): Backend | undefined;
}

/** Everything a request sees, swapped as one value. */
export interface RoutingSnapshot {
  /** ZooKeeper version (cversion/mzxid) of the membership it was built from. */
  readonly version: number;
  readonly backends: readonly Backend[];
  readonly policy: Policy;
}

/** Active HTTP health check settings (cluster `config` znode, or the node's file). */
export interface HealthCheckConfig {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive successes that bring a down backend up. */
  readonly rise: number;
  /** Consecutive failures that take an up backend down. */
  readonly fall: number;
  /** Inclusive status range counted as healthy. */
  readonly expectStatus: readonly [min: number, max: number];
}

/** Passive ejection: consecutive connect failures/5xx take a backend out, with back-off. */
export interface OutlierConfig {
  readonly consecutiveFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
}

/** The validated cluster `config` znode. */
export interface ClusterConfig {
  readonly policy: PolicyName;
  /** Required by the hash policies; ignored by the others. */
  readonly hash?: HashSource;
  readonly ring: { readonly vnodes: number; readonly loadFactor?: number };
  readonly maglev: { readonly tableSize?: number };
  /** Least-response-time: EWMA decay time constant in milliseconds. */
  readonly lrt: { readonly decayMs: number };
  readonly healthCheck: HealthCheckConfig;
  readonly outlier: OutlierConfig;
  /** How many other backends a failed connect may be retried on. */
  readonly retries: number;
}

// ---- services (docs/services.md, docs/zookeeper.md "Services") ----------------------------

/** How a service's listener speaks: HTTP (as the default service), raw TCP, or key-aware Redis. */
export type ServiceProtocol = 'http' | 'tcp' | 'redis';

/**
 * What an active check asks a backend of a service:
 * - `tcp`: a connect within the timeout;
 * - `redis`: `PING` answered `+PONG` (and, with `role: "master"`, `role:master` in `INFO replication`);
 * - `postgres`: an SSLRequest answered `S` or `N` (needs no password or database);
 * - `http`: `GET path` answered within `expectStatus`, on `port` when set (an agent such as
 *   Patroni's `GET /primary` on 8008), else on the backend's own port.
 */
export type ServiceCheckKind = 'tcp' | 'redis' | 'postgres' | 'http';

export interface ServiceHealthCheck {
  readonly kind: ServiceCheckKind;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
  /** `http` checks: the path and the healthy status range. */
  readonly path: string;
  readonly expectStatus: readonly [min: number, max: number];
  /** `http` checks: the agent's port (default: the backend's own). */
  readonly port?: number;
  /** `redis` checks: only a primary is healthy. */
  readonly role?: 'master';
}

export interface ServiceTimeouts {
  /** Connect to a backend, per attempt; a timeout counts as a refused connect (retried). */
  readonly connectMs: number;
  /** Silence in both directions after which a connection is closed (default 10 min). */
  readonly idleMs: number;
  /** Longest life of one connection; undefined: no limit. */
  readonly maxDurationMs?: number;
  /** Longest wait for a slot when every eligible backend is at maxConnectionsPerBackend. */
  readonly queueMs: number;
  /** Deadline for a client's PROXY protocol header (acceptProxyProtocol listeners). */
  readonly proxyHeaderMs: number;
  /** A Redis command's longest wait for its answer; past it the command gets -ERR and its backend link is reset. */
  readonly commandMs: number;
}

/** A validated `services/<name>` znode, defaults filled in. Plain, frozen, structured-cloneable. */
export interface ServiceDefinition {
  /** The znode name under `services/` (core's SERVICE_NAME rule). */
  readonly name: string;
  readonly protocol: ServiceProtocol;
  /** The port every node binds on its service host. */
  readonly listen: number;
  /**
   * What buildSnapshot takes: policy, hash, ring, maglev, lrt, outlier, retries, and a
   * healthCheck in the HTTP form (the service check's timing, path and status range), so a
   * service's ring is built exactly as the default service's is.
   */
  readonly routing: ClusterConfig;
  readonly healthCheck: ServiceHealthCheck;
  readonly timeouts: ServiceTimeouts;
  /** Open connections per backend; undefined: no cap. New ones wait up to timeouts.queueMs. */
  readonly maxConnectionsPerBackend?: number;
  /** The PROXY protocol header sent to backends first, carrying the client's address. */
  readonly proxyProtocol?: 'v1' | 'v2';
  /** Whether this listener requires a PROXY v1/v2 header from a trusted front (never guessed). */
  readonly acceptProxyProtocol: boolean;
  /** On stop, hand-over or removal: how long open connections may finish before being closed. */
  readonly drainTimeoutMs: number;
}
