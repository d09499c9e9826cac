// What observers of a node (/status, the dashboard, its event feed) may read of it: a narrow
// view, so they depend on the parts they show and not on the node that wires them (node.ts
// implements it; nothing here imports node.ts).
import type { HealthTable, LoadTracker } from '@ringleader/core';
import type { ConfigWatcher, MembershipWatcher, ZkSession } from '@ringleader/zk';
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/schema.js';
import type { DataPlaneStats } from '../seam.js';
import type { HealthChecker } from './health/checker.js';
import type { NodeMetrics } from './metrics.js';
import type { RoleController } from './role/controller.js';
import type { RoutingState } from './routing.js';
import type { ServiceManager } from './services/manager.js';

export interface NodeAddresses {
  readonly proxyUrl: string;
  readonly adminUrl: string;
}

/** One data-plane thread as /status lists it (workers/host.ts; the main thread's with `workers: 1`). */
export interface WorkerStatusRow {
  readonly id: number;
  /** starting | ready | listening | backoff | draining | stopped, or main-thread. */
  readonly state: string;
  readonly threadId: number | null;
  readonly requests: number;
  readonly inFlight: number;
  /** The routing snapshot version it has acknowledged (null before its first). */
  readonly snapshotVersion: number | null;
  readonly restarts: number;
}

export interface NodeView {
  readonly config: NodeConfig;
  readonly log: Logger;
  readonly startedAt: Date;
  /** Known once the node listens. */
  readonly addresses: NodeAddresses | undefined;
  readonly roles: Pick<
    RoleController,
    'role' | 'epoch' | 'leader' | 'facts' | 'gate' | 'isServing' | 'onEvent'
  >;
  /** The dashboard reads the registry and election children through it. */
  readonly session: ZkSession;
  readonly routing: Pick<RoutingState, 'snapshot' | 'config'>;
  readonly membership: Pick<MembershipWatcher, 'current' | 'on' | 'off'>;
  readonly configWatch: Pick<ConfigWatcher, 'current' | 'on' | 'off'>;
  readonly health: Pick<HealthTable, 'state' | 'isUp'>;
  readonly load: Pick<LoadTracker, 'ewmaMs' | 'inFlight' | 'advance'>;
  readonly checker: Pick<HealthChecker, 'onTransition' | 'reason'>;
  readonly metrics: Pick<NodeMetrics, 'registry'>;
  /** The data plane's live counters (summed over its worker threads). */
  readonly traffic: Readonly<DataPlaneStats>;
  /** One row per data-plane thread. */
  workerRows(): readonly WorkerStatusRow[];
  /** The snapshot version every data-plane thread routes with; null while some still differ. */
  planeSnapshotVersion(): number | null;
  /** The services of services/ (the default one is the fields above). */
  readonly services: Pick<ServiceManager, 'status'>;
  /** The host service listeners bind on this node. */
  readonly serviceHost: string;
}
