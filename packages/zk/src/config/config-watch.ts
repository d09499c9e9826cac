// ConfigWatcher: `/ringleader/<cluster>/config` → the validated ClusterConfig in force.
//
// The znode is followed by a DataWatch (re-armed reads, retries, new sessions). What each
// read does is config-watch-logic.ts: invalid → keep the last good config and report (path,
// code, field); missing → the caller's fallback; 'config' fires only when the effective
// config changes.
//
// The last good config outlives the process: every node that reads a valid payload newer than
// the published copy writes it to `config-last-good` (a conditional write, so concurrent nodes
// never move it backwards), and a node that starts while `config` is invalid takes its config
// from there. Without either it reports source 'unknown' and the node does not serve: all
// serving nodes route every key alike, including one that starts into a broken config.
import { EventEmitter } from 'node:events';
import { type ClusterConfig, decodeClusterConfig } from '@ringleader/core';
import { DataWatch } from '../data-watch.js';
import { hasCode } from '../errors.js';
import { firstValue } from '../first-value.js';
import { type Logger, silentLogger } from '../logger.js';
import { clusterPaths } from '../paths.js';
import type { ZkSession } from '../session/session.js';
import {
  applyConfigRead,
  type ConfigRead,
  type ConfigRejection,
  type ConfigSnapshot,
  type DecodeConfig,
  decodeLastGood,
  encodeLastGood,
  type LastGoodConfig,
  shouldPublishLastGood,
} from './config-watch-logic.js';

export type { ConfigRejection, ConfigSnapshot, ConfigSource, LastGoodConfig } from './config-watch-logic.js';

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
  /** Written into `config-last-good` as its author (default 'unknown'). */
  readonly nodeId?: string;
  /** Publish valid configs to `config-last-good` (default true; observers such as the CLI pass false). */
  readonly publishLastGood?: boolean;
}

export interface ConfigWatcherEvents {
  config: [ConfigSnapshot];
  rejected: [ConfigRejection];
}

export class ConfigWatcher extends EventEmitter<ConfigWatcherEvents> {
  readonly path: string;
  readonly lastGoodPath: string;
  readonly #session: ZkSession;
  readonly #nodeId: string;
  readonly #publish: boolean;
  readonly #lastGoodWatch: DataWatch;
  /** The latest answered read of `config` (re-applied when the published copy changes). */
  #read: ConfigRead | undefined;
  #lastGood: LastGoodConfig | undefined;
  /** Data version of `config-last-good` (-1: missing), for the conditional write; undefined until read. */
  #lastGoodZkVersion: number | undefined;
  #publishing = false;
  readonly #fallback: ClusterConfig;
  readonly #decode: DecodeConfig;
  readonly #log: Logger;
  readonly #watch: DataWatch;
  #current: ConfigSnapshot | undefined;
  /** mzxid of the last rejected payload, so one bad write is reported once. */
  #rejectedAt = -1;

  constructor(opts: ConfigWatcherOptions) {
    super();
    const paths = clusterPaths(opts.cluster);
    this.path = paths.config;
    this.lastGoodPath = paths.configLastGood;
    this.#session = opts.session;
    this.#nodeId = opts.nodeId ?? 'unknown';
    this.#publish = opts.publishLastGood ?? true;
    this.#fallback = opts.fallback;
    this.#decode = opts.decode ?? ((data, path) => decodeClusterConfig(data, path));
    this.#log = (opts.logger ?? silentLogger).child({ component: 'config-watch' });
    this.#watch = new DataWatch({
      session: opts.session,
      path: this.path,
      logger: this.#log,
      onRead: (read) => {
        this.#read = read.kind === 'data' ? { kind: 'data', data: read.data, mzxid: read.stat.mzxid } : read;
        this.#apply();
      },
      ...(opts.retryMinMs === undefined ? {} : { retryMinMs: opts.retryMinMs }),
      ...(opts.retryMaxMs === undefined ? {} : { retryMaxMs: opts.retryMaxMs }),
    });
    this.#lastGoodWatch = new DataWatch({
      session: opts.session,
      path: this.lastGoodPath,
      logger: this.#log,
      onRead: (read) => {
        if (read.kind === 'missing') {
          this.#lastGoodZkVersion = -1;
        } else {
          this.#lastGoodZkVersion = read.stat.version;
          const got = decodeLastGood(read.data, this.lastGoodPath, this.#decode);
          if (typeof got === 'string') this.#log.warn({ path: this.lastGoodPath }, `ignored: ${got}`);
          else if (this.#lastGood === undefined || got.version >= this.#lastGood.version)
            this.#lastGood = got;
        }
        this.#apply();
      },
      ...(opts.retryMinMs === undefined ? {} : { retryMinMs: opts.retryMinMs }),
      ...(opts.retryMaxMs === undefined ? {} : { retryMaxMs: opts.retryMaxMs }),
    });
  }

  /** The cluster's published last good config, as last read (undefined: none, or not read yet). */
  get lastGood(): LastGoodConfig | undefined {
    return this.#lastGood;
  }

  /** The config in force; undefined until the first read answered. */
  get current(): ConfigSnapshot | undefined {
    return this.#current;
  }

  start(): this {
    this.#watch.start();
    this.#lastGoodWatch.start();
    return this;
  }

  /** Resolves with the first config in force (at once if there is one). */
  ready(timeoutMs = 10_000): Promise<ConfigSnapshot> {
    return firstValue(this, 'config', this.#current, timeoutMs, `no config read from ${this.path}`);
  }

  close(): void {
    this.#watch.close();
    this.#lastGoodWatch.close();
  }

  #apply(): void {
    const read = this.#read;
    if (read === undefined) return;
    const step = applyConfigRead(
      this.#current,
      read,
      this.#fallback,
      this.#decode,
      this.path,
      this.#lastGood,
    );
    // An invalid payload is judged against the published copy: wait for its first read rather
    // than report 'unknown' for the milliseconds until it arrives (it re-applies this read).
    if (step.next.source === 'unknown' && this.#lastGoodZkVersion === undefined) return;
    this.#current = step.next;
    if (step.rejection !== undefined && step.rejection.version !== this.#rejectedAt) {
      this.#rejectedAt = step.rejection.version;
      const { path, code, field, message } = step.rejection;
      this.#log.warn({ path, code, field }, `config rejected, keeping the last good one: ${message}`);
      this.emit('rejected', step.rejection);
    }
    if (step.changed) {
      if (step.next.source === 'unknown') {
        this.#log.error(
          { code: 'RL_CONFIG_UNKNOWN', path: this.path, lastGoodPath: this.lastGoodPath },
          `${this.path} is invalid and no last good config is published at ${this.lastGoodPath}: not serving until a valid config is written`,
        );
      } else {
        this.#log.info({ source: step.next.source, version: step.next.version }, 'cluster config changed');
      }
      this.emit('config', step.next);
    }
    this.#maybePublish();
  }

  /** Writes the config in force to `config-last-good` when it is a newer valid payload. */
  #maybePublish(): void {
    const next = this.#current;
    const read = this.#read;
    const zkVersion = this.#lastGoodZkVersion;
    if (!this.#publish || this.#publishing || next === undefined || zkVersion === undefined) return;
    if (!shouldPublishLastGood(next, this.#lastGood)) return;
    // The payload in force is the one last read (a valid read sets it at once).
    if (read?.kind !== 'data' || Number(read.mzxid) !== next.version) return;
    this.#publishing = true;
    let data: Buffer;
    try {
      data = encodeLastGood(read.data, next.version, this.#nodeId, new Date());
    } catch {
      this.#publishing = false;
      return;
    }
    const write =
      zkVersion === -1
        ? this.#session.create(this.lastGoodPath, data, 'persistent')
        : this.#session.setData(this.lastGoodPath, data, zkVersion);
    write.then(
      () => {
        this.#publishing = false;
        this.#log.debug({ path: this.lastGoodPath, version: next.version }, 'published the last good config');
      },
      (err: unknown) => {
        this.#publishing = false;
        // Another node wrote first (the watch brings its copy and #apply decides again), or the
        // session is away (the next read retries): neither is worth more than a debug line.
        if (hasCode(err, 'RL_ZK_NODE_EXISTS') || hasCode(err, 'RL_ZK_BAD_VERSION')) return;
        this.#log.warn({ path: this.lastGoodPath, err }, 'could not publish the last good config');
      },
    );
  }
}
