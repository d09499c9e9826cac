// Routing state: membership + cluster config → one immutable RoutingSnapshot, swapped in as a
// single reference. Health and load outlive snapshots (keyed by backend id); a rebuild keeps
// them. A config the policy builder cannot honour is logged and the previous snapshot stays.
import {
  type Backend,
  buildSnapshot,
  type ClusterConfig,
  DEFAULT_CLUSTER_CONFIG,
  diffBackends,
  type HealthTable,
  type LoadTracker,
  type PolicyContext,
  type RoutingSnapshot,
} from '@ringleader/core';
import type { Logger } from 'pino';
import type { NodeConfig } from '../config/schema.js';
import type { HealthChecker } from './health/checker.js';

/** The figures a routing state keeps: the version in force, and a departed backend's series dropped. */
export interface RoutingMetrics {
  readonly snapshotVersion: { set(version: number): void };
  forget(id: string): void;
}

export interface RoutingStateOptions {
  readonly fallback: ClusterConfig;
  readonly load: LoadTracker;
  readonly health: HealthTable;
  readonly checker: HealthChecker;
  readonly metrics: RoutingMetrics;
  readonly logger: Logger;
  readonly random?: () => number;
  /** Told of every new snapshot after it is in force (pools, dashboard). */
  readonly onSnapshot?: (snap: RoutingSnapshot) => void;
}

/** The cluster config a node uses while the `config` znode is absent: its file's routing section. */
export function fallbackClusterConfig(node: NodeConfig): ClusterConfig {
  return {
    ...DEFAULT_CLUSTER_CONFIG,
    policy: node.routing.policy,
    ...(node.routing.hash ? { hash: node.routing.hash } : {}),
    retries: node.retries,
  };
}

export class RoutingState {
  readonly #opts: RoutingStateOptions;
  readonly #ctx: PolicyContext;
  #config: ClusterConfig;
  #backends: readonly Backend[] = [];
  #version = 0;
  #snapshot: RoutingSnapshot;
  #rebuilds = 0;

  constructor(opts: RoutingStateOptions) {
    this.#opts = opts;
    this.#ctx = { load: opts.load, health: opts.health, random: opts.random ?? Math.random };
    this.#config = opts.fallback;
    this.#snapshot = buildSnapshot(0, [], this.#config, this.#ctx);
    this.#applyConfigSideEffects(this.#config);
  }

  /** The snapshot in force: read once per request. */
  get snapshot(): RoutingSnapshot {
    return this.#snapshot;
  }
  get config(): ClusterConfig {
    return this.#config;
  }
  get rebuilds(): number {
    return this.#rebuilds;
  }

  setMembership(version: number, backends: readonly Backend[]): void {
    const before = this.#snapshot.backends;
    if (this.#rebuild(version, backends, this.#config)) {
      // Both id-sorted: one merge walk, not two Sets of every id per change.
      const diff = diffBackends(before, this.#snapshot.backends);
      for (const b of diff.removed) this.#opts.metrics.forget(b.id);
      if (diff.added.length > 0 || diff.removed.length > 0 || diff.changed.length > 0)
        this.#opts.checker.applyChanges(diff);
    }
  }

  setConfig(config: ClusterConfig): void {
    if (this.#rebuild(this.#version, this.#backends, config)) this.#applyConfigSideEffects(config);
  }

  #rebuild(version: number, backends: readonly Backend[], config: ClusterConfig): boolean {
    let next: RoutingSnapshot;
    try {
      // From the snapshot in force: the ring is updated, not rebuilt (same bytes, see core).
      next = buildSnapshot(version, backends, config, this.#ctx, this.#snapshot);
    } catch (err) {
      this.#opts.logger.error(
        { err, policy: config.policy, version, code: (err as { code?: string }).code },
        'could not build a routing snapshot; keeping the previous one',
      );
      return false;
    }
    this.#config = config;
    this.#backends = backends;
    this.#version = version;
    this.#snapshot = next;
    this.#rebuilds++;
    this.#opts.metrics.snapshotVersion.set(version);
    this.#opts.onSnapshot?.(next);
    this.#opts.logger.info(
      { version, backends: backends.length, policy: config.policy },
      'routing snapshot swapped in',
    );
    return true;
  }

  #applyConfigSideEffects(config: ClusterConfig): void {
    this.#opts.health.configure({ healthCheck: config.healthCheck, outlier: config.outlier });
    this.#opts.checker.configure(config.healthCheck);
    this.#opts.load.setDecayMs(config.lrt.decayMs);
  }
}
