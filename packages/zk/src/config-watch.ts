// ConfigWatcher: `/ringleader/<cluster>/config` → the validated ClusterConfig in force.
//
// The znode is followed by a DataWatch (re-armed reads, retries, new sessions). What each
// read does is config-watch-logic.ts: invalid → keep the last good config and report (path,
// code, field); missing → the caller's fallback; 'config' fires only when the effective
// config changes.
import { EventEmitter } from 'node:events';
import { type ClusterConfig, decodeClusterConfig } from '@ringleader/core';
import {
  applyConfigRead,
  type ConfigRead,
  type ConfigRejection,
  type ConfigSnapshot,
  type DecodeConfig,
} from './config-watch-logic.js';
import { DataWatch } from './data-watch.js';
import { firstValue } from './first-value.js';
import { type Logger, silentLogger } from './logger.js';
import { clusterPaths } from './paths.js';
import type { ZkSession } from './session.js';

export type { ConfigRejection, ConfigSnapshot, ConfigSource } from './config-watch-logic.js';

export interface ConfigWatcherOptions {
  readonly session: ZkSession;
  readonly cluster?: string;
  /** In force while the znode is missing, or until a first valid payload is read. */
  readonly fallback: ClusterConfig;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: Logger;
  /** Default: the core codec's decodeClusterConfig. */
  readonly decode?: DecodeConfig;
}

export interface ConfigWatcherEvents {
  config: [ConfigSnapshot];
  rejected: [ConfigRejection];
}

export class ConfigWatcher extends EventEmitter<ConfigWatcherEvents> {
  readonly path: string;
  readonly #fallback: ClusterConfig;
  readonly #decode: DecodeConfig;
  readonly #log: Logger;
  readonly #watch: DataWatch;
  #current: ConfigSnapshot | undefined;
  /** mzxid of the last rejected payload, so one bad write is reported once. */
  #rejectedAt = -1;

  constructor(opts: ConfigWatcherOptions) {
    super();
    this.path = clusterPaths(opts.cluster).config;
    this.#fallback = opts.fallback;
    this.#decode = opts.decode ?? ((data, path) => decodeClusterConfig(data, path));
    this.#log = (opts.logger ?? silentLogger).child({ component: 'config-watch' });
    this.#watch = new DataWatch({
      session: opts.session,
      path: this.path,
      logger: this.#log,
      onRead: (read) =>
        this.#apply(read.kind === 'data' ? { kind: 'data', data: read.data, mzxid: read.stat.mzxid } : read),
      ...(opts.retryMinMs === undefined ? {} : { retryMinMs: opts.retryMinMs }),
      ...(opts.retryMaxMs === undefined ? {} : { retryMaxMs: opts.retryMaxMs }),
    });
  }

  /** The config in force; undefined until the first read answered. */
  get current(): ConfigSnapshot | undefined {
    return this.#current;
  }

  start(): this {
    this.#watch.start();
    return this;
  }

  /** Resolves with the first config in force (at once if there is one). */
  ready(timeoutMs = 10_000): Promise<ConfigSnapshot> {
    return firstValue(this, 'config', this.#current, timeoutMs, `no config read from ${this.path}`);
  }

  close(): void {
    this.#watch.close();
  }

  #apply(read: ConfigRead): void {
    const step = applyConfigRead(this.#current, read, this.#fallback, this.#decode, this.path);
    this.#current = step.next;
    if (step.rejection !== undefined && step.rejection.version !== this.#rejectedAt) {
      this.#rejectedAt = step.rejection.version;
      const { path, code, field, message } = step.rejection;
      this.#log.warn({ path, code, field }, `config rejected, keeping the last good one: ${message}`);
      this.emit('rejected', step.rejection);
    }
    if (step.changed) {
      this.#log.info({ source: step.next.source, version: step.next.version }, 'cluster config changed');
      this.emit('config', step.next);
    }
  }
}
