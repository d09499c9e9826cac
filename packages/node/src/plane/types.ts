// The data plane's contract with the rest of the node: what it is given, what it returns.
import type { RoutingSnapshot } from '@ringleader/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { NodeMetrics } from '../control/metrics.js';

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
 * What the proxy port does with a request right now (decided by the role controller on role
 * changes, read once per request). `serve` carries the request's permit; `forward` the epoch of
 * the leader forwarded to (the hop carries it; the leader re-stamps under its own permit).
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
  /**
   * A hand-over is in progress: the request waits (at most `maxWaitMs` from its arrival, via
   * `waitForGateChange`) and is then decided by the gate in force; still `hold` → 503.
   */
  | { readonly kind: 'hold'; readonly reason: string; readonly maxWaitMs: number };

/** In-flight counts and response times for least-* policies (core's LoadTracker fits). */
export interface LoadFeed {
  onStart(id: string): void;
  /** A negative latency ends the request without a sample (failed attempts). */
  onEnd(id: string, latencyMs: number, now: number): void;
}

/**
 * Passive health: the outcome of each real request (ok = neither a connect failure, reset,
 * header timeout nor 5xx), for ejection after consecutive failures. core's HealthTable fits;
 * health/monitor.ts wraps it so ejections also become events and metrics.
 * `isUp` (optional) lets a 503 say why no backend was eligible.
 */
export interface PassiveHealthFeed {
  recordOutcome(id: string, ok: boolean, now: number): unknown;
  isUp?(id: string): boolean;
}

export interface DataPlaneTimeouts {
  /** TCP connect to a backend, per attempt; a timeout counts as a connect failure (retried). */
  readonly connectMs: number;
  /** From sending the request to the backend's response headers, per attempt (504). */
  readonly headersMs: number;
  /** Client keep-alive idle, and the longest silence while streaming a response body. */
  readonly idleMs: number;
  /**
   * Total: the client must deliver its whole request within this (408), and response headers
   * must arrive within this from the request's arrival, retries included (504).
   */
  readonly requestMs: number;
}

export interface DataPlaneLimits {
  /** Request line + headers, bytes (431, enforced by Node's parser). */
  readonly maxHeaderBytes: number;
  /** Request body bytes; 0 = no limit (413). */
  readonly maxBodyBytes: number;
  /** Header fields per request (431); default 100. */
  readonly maxHeaderCount?: number;
  /** Open connections per client IP (conn-limit.ts); more are destroyed on accept. Default 256; 0: no cap. */
  readonly maxConnectionsPerIp?: number;
}

export interface DataPlaneOptions {
  readonly nodeId: string;
  /** The current immutable routing snapshot; read once per request. */
  getSnapshot(): RoutingSnapshot;
  /** Admission: read once per request; `serve` hands out the request's permit. */
  gate(): GateDecision;
  /**
   * Asked again right before each admitted request is written to its backend (see pools.ts):
   * false voids the permit and the request is admitted again (held, forwarded or refused). The
   * gate is read when a request arrives; a resignation, or a process freeze between that read
   * and the write, must not let a deposed leader send it.
   */
  permitValid(permit: Pick<ServingPermit, 'epoch'>): boolean;
  /**
   * Resolves when the gate next changes, or after `ms`. Needed for `hold` gates; without it a
   * `hold` is answered like a `reject` at once.
   */
  waitForGateChange?(ms: number): Promise<void>;
  readonly load: LoadFeed;
  readonly health: PassiveHealthFeed;
  /** Other backends a failed connect may move to. */
  readonly retries: number;
  readonly exposeBackendHeader: boolean;
  /** IPs/CIDRs whose x-forwarded-for is extended instead of replaced. */
  readonly trustedProxies: readonly string[];
  readonly timeouts: DataPlaneTimeouts;
  readonly limits: DataPlaneLimits;
  /** HTTPS termination on the proxy port. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  readonly logger?: Logger;
  /** Opt-in access log: one line per finished request, written through a buffered destination. */
  readonly accessLog?: Logger;
  readonly metrics?: NodeMetrics;
  /** Sockets per backend (default 1024); more concurrent requests queue in the pool. */
  readonly maxConnectionsPerBackend?: number;
  /**
   * Clock for the load and health feeds, in ms (default performance.now: monotonic, and what
   * LoadTracker/HealthTable callers elsewhere must use too).
   */
  readonly now?: () => number;
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

export interface DataPlane {
  readonly app: FastifyInstance;
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(addr: { host: string; port: number }): Promise<{ host: string; port: number; url: string }>;
  /**
   * First step of a graceful stop: closes the listener (new connections are refused, so clients
   * go to another node) while accepted connections stay; from now on every response asks its
   * client to close the connection. Idempotent.
   */
  stopAccepting(): void;
  /**
   * Stops accepting, lets in-flight requests and tunnels finish for up to `graceMs`, then cuts
   * what is left and closes the upstream pools.
   */
  close(graceMs: number): Promise<void>;
  /** Eagerly reconciles upstream pools with a new snapshot (requests also detect swaps). */
  onSnapshot(snap: RoutingSnapshot): void;
  readonly stats: Readonly<DataPlaneStats>;
}
