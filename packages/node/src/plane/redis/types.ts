// The Redis plane's contract: what a listener is built from and what it reports.
import type { ServiceDefinition } from '@ringleader/core';
import type { Logger } from 'pino';
import type {
  GateDecision,
  PassiveHealthFeed,
  RedisPlaneMetrics,
  Seam,
  ServiceListener,
} from '../../seam.js';
import type { LinkAuth } from './link.js';

export interface RedisListenerOptions {
  readonly nodeId: string;
  readonly service: ServiceDefinition;
  /** This service's snapshot (its ring), and the node's gate and permits. */
  readonly seam: Seam;
  /** Where a forwarding standby relays this service's connections; undefined: refuse. */
  readonly forwardTarget: (
    gate: Extract<GateDecision, { kind: 'forward' }>,
  ) => { host: string; port: number } | undefined;
  /** Connect failures and command timeouts, for passive ejection. */
  readonly health: PassiveHealthFeed;
  readonly metrics: RedisPlaneMetrics;
  /** AUTH sent on every backend link (from the node's config, never from ZooKeeper). */
  readonly auth?: LinkAuth | undefined;
  /** Commands one client may have in flight before the proxy stops reading it (default 1024). */
  readonly maxPipeline?: number;
  readonly logger?: Logger;
  readonly now?: () => number;
}

export interface RedisListenerStats {
  /** Client connections open now, and accepted since start. */
  open: number;
  total: number;
  commands: number;
  /** Commands answered with an error by the proxy (refused, no backend, backend down, timeout, fenced, protocol). */
  errors: number;
  protocolErrors: number;
  /** Connections refused at admission (not the leader, ...) or relayed to the leader. */
  refused: number;
  forwarded: number;
  /** Sessions closed because the serving permit lapsed. */
  fenced: number;
  /** Backend links open (shared by every client). */
  links: number;
  /** Each backend's estimated share of the key space (0..1), from the snapshot in force. */
  ring: Record<string, number>;
  /** The share of the key space the last ring change moved to another backend. */
  lastMoved: number;
}

export interface RedisListener extends ServiceListener {
  readonly stats: Readonly<RedisListenerStats>;
}
