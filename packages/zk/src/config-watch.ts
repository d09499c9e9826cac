// ConfigWatcher: `/ringleader/<cluster>/config` → the validated ClusterConfig in force.
//
// getData with a stable watcher (exists with the same watcher while the znode is missing);
// every event re-arms by reading again. What each read does is config-watch-logic.ts:
// invalid → keep the last good config and report (path, code, field); missing → the
// caller's fallback; 'config' fires only when the effective config changes. Read errors
// (connection loss, timeouts, a suspended session) keep the config in force and retry with
// back-off, at once when the session reconnects; a new session re-arms the watch.
import { EventEmitter } from 'node:events';
import { type ClusterConfig, decodeClusterConfig } from '@ringleader/core';
import {
  applyConfigRead,
  type ConfigRead,
  type ConfigRejection,
  type ConfigSnapshot,
  type DecodeConfig,
} from './config-watch-logic.js';
import { hasCode, zkError } from './errors.js';
import { type Logger, silentLogger } from './logger.js';
import { clusterPaths } from './paths.js';
import type { NewSession, SessionStateChange, ZkSession } from './session.js';

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

export type ConfigWatcherState = 'idle' | 'running' | 'closed';

export class ConfigWatcher extends EventEmitter<ConfigWatcherEvents> {
  readonly path: string;
  readonly #session: ZkSession;
  readonly #fallback: ClusterConfig;
  readonly #decode: DecodeConfig;
  readonly #log: Logger;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  #state: ConfigWatcherState = 'idle';
  #gen = -1;
  #current: ConfigSnapshot | undefined;
  /** mzxid of the last rejected payload, so one bad write is reported once. */
  #rejectedAt = -1;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs: number;

  readonly #onEvent = (): void => this.#read();
  readonly #onSession = (s: NewSession): void => {
    if (this.#state !== 'running' || s.generation === this.#gen) return;
    this.#gen = s.generation;
    this.#read();
  };
  readonly #onState = (c: SessionStateChange): void => {
    if (c.to === 'connected' && this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#read();
    }
  };

  constructor(opts: ConfigWatcherOptions) {
    super();
    this.path = clusterPaths(opts.cluster).config;
    this.#session = opts.session;
    this.#fallback = opts.fallback;
    this.#decode = opts.decode ?? ((data, path) => decodeClusterConfig(data, path));
    this.#log = (opts.logger ?? silentLogger).child({ component: 'config-watch' });
    this.#retryMinMs = opts.retryMinMs ?? 100;
    this.#retryMaxMs = Math.max(this.#retryMinMs, opts.retryMaxMs ?? 2000);
    this.#retryDelayMs = this.#retryMinMs;
  }

  /** The config in force; undefined until the first read answered. */
  get current(): ConfigSnapshot | undefined {
    return this.#current;
  }

  start(): this {
    if (this.#state !== 'idle') return this;
    this.#state = 'running';
    this.#gen = this.#session.generation;
    this.#session.on('session', this.#onSession);
    this.#session.on('state', this.#onState);
    this.#read();
    return this;
  }

  /** Resolves with the first config in force (at once if there is one). */
  ready(timeoutMs = 10_000): Promise<ConfigSnapshot> {
    if (this.#current !== undefined) return Promise.resolve(this.#current);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('config', onConfig);
        reject(zkError('RL_ZK_TIMEOUT', `no config read from ${this.path} after ${timeoutMs} ms`));
      }, timeoutMs);
      const onConfig = (c: ConfigSnapshot) => {
        clearTimeout(timer);
        resolve(c);
      };
      this.once('config', onConfig);
    });
  }

  close(): void {
    this.#state = 'closed';
    this.#session.off('session', this.#onSession);
    this.#session.off('state', this.#onState);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #read(): void {
    if (this.#state !== 'running') return;
    this.#session.getData(this.path, this.#onEvent).then(
      ({ data, stat }) => this.#apply({ kind: 'data', data, mzxid: stat.mzxid }),
      (err: unknown) => {
        if (this.#state !== 'running') return;
        if (!hasCode(err, 'RL_ZK_NO_NODE')) {
          this.#failed(err);
          return;
        }
        // Missing: watch for its creation. exists() with the same watcher function.
        this.#session.exists(this.path, this.#onEvent).then(
          (stat) => {
            if (stat === null) this.#apply({ kind: 'missing' });
            else this.#read(); // created meanwhile
          },
          (e: unknown) => this.#failed(e),
        );
      },
    );
  }

  #apply(read: ConfigRead): void {
    if (this.#state !== 'running') return;
    this.#retryDelayMs = this.#retryMinMs;
    const step = applyConfigRead(this.#current, read, this.#fallback, this.#decode, this.path);
    this.#current = step.next;
    try {
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
    } catch (err) {
      this.#log.error({ err }, 'config listener threw');
    }
  }

  #failed(err: unknown): void {
    if (this.#state !== 'running' || hasCode(err, 'RL_ZK_CLOSED') || this.#retryTimer !== undefined) return;
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#retryMaxMs, delay * 2);
    this.#log.debug({ path: this.path, code: (err as { code?: unknown }).code, delay }, 'config read failed');
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#read();
    }, delay);
    this.#retryTimer.unref();
  }
}
