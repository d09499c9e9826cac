// The data plane's contract with the rest of the node: what it is given (the seam and its
// settings), what it returns. What crosses between the rooms is declared in ../seam.ts.
import type { RoutingSnapshot } from '@ringleader/core';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DataPlaneStats, LoadFeed, PassiveHealthFeed, PlaneMetrics, Seam } from '../seam.js';
import type { ConnectionLimiter } from './http/conn-limit.js';
import type { EngineName } from './http/engine.js';

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
  /** The routing snapshot and the admission gate in force, and the write-time permit check. */
  readonly seam: Seam;
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
  readonly metrics: PlaneMetrics;
  /** What sends each attempt upstream (proxy.engine; default undici's dispatch: http/engine.ts). */
  readonly engine?: EngineName;
  /** Sockets per backend (default 1024); more concurrent requests queue in the pool. */
  readonly maxConnectionsPerBackend?: number;
  /**
   * Who counts connections per IP against limits.maxConnectionsPerIp: by default this plane
   * alone; the data-plane workers of one node share a table (conn-limit.ts) so the cap is the
   * node's, not each thread's.
   */
  readonly connectionLimiter?: ConnectionLimiter;
  /**
   * Clock for the load and health feeds, in ms (default performance.now: monotonic, and what
   * LoadTracker/HealthTable callers elsewhere must use too).
   */
  readonly now?: () => number;
}

export type { DataPlaneStats } from '../seam.js';

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
