// The seam between the node's two rooms. control/ holds the ZooKeeper session, the election and
// role, routing state, health, the admin API, the dashboard and the metrics registry; plane/
// serves listeners. The plane knows the control room only through what is declared here:
//
//   control → plane   Seam: the routing snapshot in force and the admission gate (with the
//                      serving permit), read once per request or connection, never awaited;
//   plane → control   PlaneReports: load, passive health and metric figures it produces.
//
// Everything that crosses is plain data or can be rebuilt from plain data: a snapshot is
// core's buildSnapshot over (version, backends, config), all structured-cloneable, and pure,
// so a worker thread that rebuilds it routes every key exactly as the control room does; a
// gate and a permit are plain objects; permitValid compares an epoch and a lease deadline.
// Neither room imports the other; node.ts, the composition root, joins them.
import type { Backend, ClusterConfig, RoutingSnapshot, ServiceDefinition } from '@ringleader/core';

/**
 * What a request (or a TCP connection, or a Redis command stream) is proxied under: the fencing
 * token stamped on it, taken once at admission and carried to every write. Plain data, so it can
 * cross to a worker thread. A request that has none is never sent.
 */
export interface ServingPermit {
  /** Stamped as `x-ringleader-epoch`: the admitting leader's election sequence (active-active: the node's own). */
  readonly epoch: number;
  /** Monotonic ms until which the lease held at admission (+Infinity where serving is not lease-bound). */
  readonly leaseDeadline: number;
}

/**
 * What the node does with a request right now: decided by the role controller on role changes
 * (control/role/gate.ts, decideGate), read once per request. `serve` carries the request's
 * permit; `forward` the epoch of the leader forwarded to (the hop carries it; the leader
 * re-stamps under its own permit); `hold` waits (at most `maxWaitMs` from arrival) for the next
 * gate and is then decided by that one; still `hold` → 503.
 */
export type GateDecision =
  | { readonly kind: 'serve'; readonly permit: ServingPermit }
  | {
      readonly kind: 'reject';
      readonly reason?: string;
      readonly leaderProxyUrl?: string;
      readonly retryAfterS: number;
    }
  | { readonly kind: 'forward'; readonly leaderProxyUrl: string; readonly epoch: number }
  | { readonly kind: 'hold'; readonly reason: string; readonly maxWaitMs: number };

/** What the plane reads from the control room. */
export interface Seam {
  /** The immutable routing snapshot in force (swapped whole); read once per request. */
  snapshot(): RoutingSnapshot;
  /** Admission in force; `serve` hands out the request's permit. */
  gate(): GateDecision;
  /**
   * Asked again right before each admitted request is written to its backend: false voids the
   * permit and the request is admitted again (held, forwarded or refused). A resignation, or a
   * process freeze between admission and the write, must not let a deposed leader send it.
   */
  permitValid(permit: Pick<ServingPermit, 'epoch'>): boolean;
  /**
   * Asked of every open long-lived connection (a TCP relay, a Redis stream) on each chunk from
   * its client and on a periodic tick: false closes it. Holds while permitValid holds and, for
   * this node's own last epoch, through a graceful hand-over (the drain deadline closes those
   * connections); never past the lease. Absent: permitValid is asked instead.
   */
  relayValid?(permit: ServingPermit): boolean;
  /**
   * Resolves when the gate next changes, or after `ms`. Needed for `hold` gates; without it a
   * `hold` is answered like a `reject` at once.
   */
  waitForGateChange?(ms: number): Promise<void>;
}

// ------------------------------------------------------------------ plane → control

/** Why a request was refused by a limit or timed out (bounded label values). */
export type LimitReason =
  | 'header_size'
  | 'header_count'
  | 'body_size'
  | 'client_timeout'
  | 'headers_timeout'
  | 'total_timeout'
  | 'bad_request'
  /** A connection over limits.maxConnectionsPerIp, destroyed on accept. */
  | 'connections_per_ip';

/** What went wrong talking to a backend (bounded label values). */
export type UpstreamErrorKind =
  | 'connect'
  | 'connect_timeout'
  | 'reset'
  | 'headers_timeout'
  | 'total_timeout'
  | 'body_limit'
  | 'client_abort'
  | 'other'
  | 'status_5xx';

/** Label used for requests that reached no backend (rejected, no eligible backend). */
export const NO_BACKEND_LABEL = '_none';
/** Label used for requests a standby forwarded to the leader. */
export const LEADER_LABEL = '_leader';

/**
 * The clock of the load and health feeds, in ms: monotonic (what core's LoadTracker and
 * HealthTable callers must use on both sides of the seam).
 */
export const monotonicNow = (): number => performance.now();

/** In-flight counts and response times for least-* policies (core's LoadTracker fits). */
export interface LoadFeed {
  onStart(id: string): void;
  /** A negative latency ends the request without a sample (failed attempts). */
  onEnd(id: string, latencyMs: number, now: number): void;
}

/**
 * Passive health: the outcome of each real request (ok = neither a connect failure, reset,
 * header timeout nor 5xx), for ejection after consecutive failures. control/health/checker.ts
 * (over core's HealthTable) takes it, so ejections also become events and metrics.
 * `isUp` (optional) lets a 503 say why no backend was eligible.
 */
export interface PassiveHealthFeed {
  recordOutcome(id: string, ok: boolean, now: number): unknown;
  isUp?(id: string): boolean;
}

/** The per-backend figures the plane produces (control/metrics.ts turns them into series). */
export interface PlaneBackendFigures {
  /** Counts one finished request with HTTP status `code`. */
  request(code: number): void;
  /** Request duration in seconds. */
  readonly duration: { observe(seconds: number): void };
  readonly inFlight: { inc(): void; dec(): void };
  upstreamError(kind: UpstreamErrorKind): void;
}

/** The figures the plane reports; NodeMetrics (control/metrics.ts) is one. */
export interface PlaneMetrics {
  readonly retries: { inc(): void };
  /** Cached per-backend accumulators (ids, or NO_BACKEND_LABEL / LEADER_LABEL). */
  backend(id: string): PlaneBackendFigures;
  limit(reason: LimitReason): void;
  /** Drops every series of a backend that left the cluster. */
  forget(id: string): void;
}

/** Live counters of one data plane (for /status and tests). */
export interface DataPlaneStats {
  requests: number;
  inFlight: number;
  retries: number;
  noBackend: number;
  rejected: number;
  forwarded: number;
  /** Times a request waited on a `hold` gate. */
  held: number;
  /** Admitted requests whose permit was void at the write (re-admitted, nothing sent). */
  voidedPermits: number;
  upstreamErrors: number;
  limitRejections: number;
  tunnels: number;
  /** Open upstream pools (one per backend origin, plus the leader's while forwarding). */
  readonly pools: number;
}

/** Every counter of a data plane at zero (a fresh plane; a worker not heard from yet). */
export const ZERO_PLANE_STATS: Readonly<DataPlaneStats> = Object.freeze({
  requests: 0,
  inFlight: 0,
  retries: 0,
  noBackend: 0,
  rejected: 0,
  forwarded: 0,
  held: 0,
  voidedPermits: 0,
  upstreamErrors: 0,
  limitRejections: 0,
  tunnels: 0,
  pools: 0,
});

// ------------------------------------------------------------------ service listeners

/**
 * One listener of a service (`services/<name>`): a TCP relay, an HTTP plane, later a Redis
 * proxy. Built by node.ts from what the control room hands over (the service's seam and
 * feeds), driven by control/services/: opened, updated, told of snapshots, drained.
 */
export interface ServiceListener {
  /** Binds; rejects with the bind error (EADDRINUSE, EACCES, ...) for the control room to report. */
  listen(addr: { host: string; port: number }): Promise<{ host: string; port: number }>;
  /** Settings of the same listener (protocol and port unchanged), for new connections. */
  update(definition: ServiceDefinition): void;
  /** A new snapshot is in force: backends gone or draining get no new connections. */
  onSnapshot(snap: RoutingSnapshot): void;
  stopAccepting(): void;
  /** Stops accepting, lets open connections finish for up to `graceMs`, then closes the rest. */
  close(graceMs: number): Promise<void>;
  /** Live counters (open and total connections, bytes, refusals, ...), for /status. */
  readonly stats: Readonly<object>;
}

/** What a listener is built from; `seam.snapshot()` is the service's own snapshot. */
export interface ServiceListenerInput {
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly seam: Seam;
  readonly load: LoadFeed;
  readonly health: PassiveHealthFeed;
}

// ------------------------------------------------------------------ the TCP plane (plane/tcp)

/** Why a relayed TCP connection ended (bounded label values of `cause`). */
export type TcpCloseCause =
  /** Both sides finished (FIN each way). */
  | 'done'
  | 'client_reset'
  | 'backend_reset'
  | 'idle'
  | 'max_duration'
  /** relayValid/permitValid turned false while relaying. */
  | 'fenced'
  /** The backend left the snapshot or was draining, and drainTimeoutMs ran out. */
  | 'drain'
  /** The listener closed and its grace ran out. */
  | 'shutdown'
  | 'error';

/** Why a client connection was closed before it reached a backend (bounded). */
export type TcpRefusalReason =
  | 'not_leader'
  | 'no_backend'
  | 'connect_failed'
  | 'queue_timeout'
  | 'fenced'
  | 'forward_failed'
  | 'bad_proxy_header'
  | 'proxy_header_timeout'
  | 'client_gone';

/** What went wrong connecting to a backend (bounded). */
export type TcpConnectFailureKind = 'refused' | 'timeout' | 'unreachable' | 'other';

/**
 * The figures one service's TCP listener reports (control/metrics.ts `serviceMetrics(name)`);
 * `backend` takes the service's member ids, or LEADER_LABEL for connections forwarded.
 */
export interface TcpPlaneMetrics {
  opened(backend: string): void;
  closed(backend: string, cause: TcpCloseCause, durationS: number): void;
  /** `in`: client → backend; `out`: backend → client. */
  bytes(backend: string, direction: 'in' | 'out', n: number): void;
  connectFailure(backend: string, kind: TcpConnectFailureKind): void;
  retry(): void;
  refused(reason: TcpRefusalReason): void;
}

// ------------------------------------------------------------------ the Redis plane (plane/redis)

/**
 * Why a Redis command was answered with an error by the proxy itself, or failed at a backend
 * (bounded label values of `kind`): `protocol` (the client's bytes were not RESP), `refused`
 * (unsupported or cross-backend command), `no_backend`, `backend_down` (connect failed, link
 * broken), `timeout` (no answer within timeouts.commandMs), `fenced` (the permit lapsed),
 * `reply_error` (the backend answered with a RESP error: counted, not the proxy's fault).
 */
export type RedisErrorKind =
  | 'protocol'
  | 'refused'
  | 'no_backend'
  | 'backend_down'
  | 'timeout'
  | 'fenced'
  | 'reply_error';

/** The figures one service's Redis listener reports (control/redis-metrics.ts). */
export interface RedisPlaneMetrics {
  /** A command (or one part of a split one) answered by `backend` after `seconds`. */
  command(backend: string, seconds: number): void;
  error(backend: string, kind: RedisErrorKind): void;
  /** After a snapshot: each backend's share of the key space and the share the change moved. */
  ring(shares: ReadonlyMap<string, number>, moved: number): void;
  /** Open client connections and backend links, sampled at each tick. */
  connections(clients: number, links: number): void;
}
// ------------------------------------------------------------------ the seam as messages

/**
 * What a snapshot is rebuilt from: core's `buildSnapshot(version, backends, config, ctx)` over
 * these three is pure and deterministic, so a worker thread that receives this (structured
 * clone) routes every key exactly as the control room does. `ctx` (load, health, random) is
 * each thread's own.
 */
export interface RoutingInput {
  readonly version: number;
  readonly backends: readonly Backend[];
  readonly config: ClusterConfig;
}

/**
 * The `{ snapshot, permit }` seam in message form, control room → a data-plane worker. Each is
 * numbered (`seq`, per worker channel, increasing) so the worker's acknowledgement names what it
 * has in force. The permit itself does not travel here: its epoch and lease deadline live in a
 * shared lease cell (workers/lease-cell.ts) that a worker reads per request, so a paused or
 * blocked main thread cannot leave a worker serving on a lapsed lease.
 */
export type SeamMessage =
  | { readonly t: 'routing'; readonly seq: number; readonly input: RoutingInput }
  /** The gate in force; a `serve` gate is honoured only while the lease cell grants its epoch. */
  | { readonly t: 'gate'; readonly seq: number; readonly gate: GateDecision }
  /** Backends not routable right now (health checks, passive ejection), as of health `version`. */
  | {
      readonly t: 'health';
      readonly seq: number;
      readonly version: number;
      readonly down: readonly string[];
    };
