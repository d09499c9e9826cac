// The TCP plane's contract: what a listener is built from and what it reports.
import type { RoutingSnapshot, ServiceDefinition } from '@ringleader/core';
import type { Logger } from 'pino';
import type { GateDecision, LoadFeed, PassiveHealthFeed, Seam, TcpPlaneMetrics } from '../../seam.js';

export interface TcpListenerOptions {
  readonly nodeId: string;
  readonly service: ServiceDefinition;
  /** This service's snapshot, and the node's gate and permits. */
  readonly seam: Seam;
  /** Where a forwarding standby relays this service's connections (the leader's service host + this service's port); undefined: close. */
  readonly forwardTarget: (
    gate: Extract<GateDecision, { kind: 'forward' }>,
  ) => { host: string; port: number } | undefined;
  /** In-flight connections for least-connections; the connect time as the response-time sample. */
  readonly load: LoadFeed;
  /** Connect failures (and successes) for passive ejection. */
  readonly health: PassiveHealthFeed;
  readonly metrics: TcpPlaneMetrics;
  readonly logger?: Logger;
  /** One line per connection: client, backend, bytes each way, duration, cause. */
  readonly accessLog?: Logger;
  /** Monotonic ms (default performance.now). */
  readonly now?: () => number;
}

export interface TcpListenerStats {
  /** Accepted client sockets not yet closed (admitting, connecting or relaying). */
  open: number;
  /** Accepted since start. */
  total: number;
  /** Open relays (to a backend or the leader). */
  relaying: number;
  /** Closed before reaching a backend (not leader, no backend, connects failed, queue timeout, ...). */
  refused: number;
  forwarded: number;
  /** Connections that waited on a `hold` gate (counted per wait). */
  held: number;
  /** Connections that waited for a backend slot. */
  queued: number;
  retries: number;
  connectFailures: number;
  /** Relays closed because the permit became void. */
  fenced: number;
  /** Relays closed at the drain deadline of a removed or draining backend. */
  drained: number;
  idleClosed: number;
  badProxyHeaders: number;
  bytesIn: number;
  bytesOut: number;
}

export interface TcpListener {
  listen(addr: { host: string; port: number }): Promise<{ host: string; port: number }>;
  /** New settings for new connections (same port). */
  update(service: ServiceDefinition): void;
  /** Removed or draining backends: no new connections; open ones are closed after drainTimeoutMs. */
  onSnapshot(snap: RoutingSnapshot): void;
  stopAccepting(): void;
  /** Stops accepting, waits for open connections up to graceMs, then destroys the rest. */
  close(graceMs: number): Promise<void>;
  readonly stats: Readonly<TcpListenerStats>;
}
