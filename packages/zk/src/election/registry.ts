// Node registry: this LB node's ephemeral `nodes/<nodeId>`, re-created on every new session.
//
// A znode of the same id owned by another session is never deleted: it is either the
// leftover of this node's previous session (it vanishes when that session expires, within
// one session timeout) or a second live node configured with the same id (an operator error
// that deleting would turn into flapping). We watch it and register as soon as it is gone,
// reporting RL_ZK_NODE_ID_TAKEN meanwhile.
import { EventEmitter } from 'node:events';
import type { RingleaderError } from '@ringleader/core';
import { hasCode, zkError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { type ClusterPaths, clusterPaths, validateNodeId } from '../paths.js';
import type { SessionStateChange, ZkSession } from '../session/session.js';
import { RetryLoop } from './retry.js';

export interface NodeInfo {
  readonly id: string;
  readonly host: string;
  readonly proxyPort: number;
  readonly adminPort: number;
  readonly mode: string;
  readonly version: string;
  /** ISO-8601 time the process started. */
  readonly startedAt: string;
}

export type RegistrationState = 'unregistered' | 'registered' | 'waiting' | 'closed';

export interface RegistryEvents {
  registered: [{ path: string; generation: number }];
  /** Another session holds our id; we register when its znode goes away. */
  conflict: [RingleaderError];
}

export interface RegistryOptions {
  readonly session: ZkSession;
  readonly info: NodeInfo;
  readonly cluster?: string;
  readonly retryDelayMs?: number;
  readonly logger?: Logger;
}

export class NodeRegistry extends EventEmitter<RegistryEvents> {
  readonly paths: ClusterPaths;
  readonly path: string;
  private readonly session: ZkSession;
  private readonly log: Logger;
  private readonly loop: RetryLoop;
  private info: NodeInfo;
  private stateValue: RegistrationState = 'unregistered';
  private registeredGeneration = -1;
  private readonly kickFn = () => this.loop.kick();
  private readonly onState = (c: SessionStateChange) => {
    if (c.to === 'expired') this.stateValue = 'unregistered';
    if (c.to === 'connected') this.loop.kick();
  };

  constructor(opts: RegistryOptions) {
    super();
    this.session = opts.session;
    this.paths = clusterPaths(opts.cluster);
    this.path = this.paths.node(validateNodeId(opts.info.id));
    this.info = opts.info;
    this.log = (opts.logger ?? silentLogger).child({ component: 'zk-registry', node: opts.info.id });
    this.loop = new RetryLoop({
      step: () => this.register(),
      active: () => this.stateValue !== 'closed',
      retryDelayMs: opts.retryDelayMs ?? 200,
      log: this.log,
      failure: 'registration failed; retrying',
    });
  }

  get state(): RegistrationState {
    return this.stateValue;
  }

  start(): void {
    this.session.on('session', this.kickFn);
    this.session.on('state', this.onState);
    this.loop.kick();
  }

  /** Replaces the payload (mode change, new ports…); written at once when registered. */
  async update(info: Omit<NodeInfo, 'id'>): Promise<void> {
    this.info = { ...info, id: this.info.id };
    if (this.stateValue === 'registered') {
      await this.session.setData(this.path, JSON.stringify(this.info));
    }
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    const wasRegistered = this.stateValue === 'registered';
    this.stateValue = 'closed';
    this.session.off('session', this.kickFn);
    this.session.off('state', this.onState);
    this.loop.cancel();
    if (!wasRegistered) return;
    try {
      const stat = await this.session.exists(this.path);
      if (stat && stat.ephemeralOwner === this.session.sessionId)
        await this.session.remove(this.path, stat.version);
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NO_NODE', 'RL_ZK_BAD_VERSION', 'RL_ZK_CLOSED')) throw err;
    }
  }

  private async register(): Promise<void> {
    const g = this.session.generation;
    if (this.session.state !== 'connected' || this.stateValue === 'closed') return;
    if (this.stateValue === 'registered' && this.registeredGeneration === g) return;
    await this.session.mkdirp(this.paths.nodes);
    const json = JSON.stringify(this.info);
    try {
      await this.session.create(this.path, json, 'ephemeral');
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NODE_EXISTS')) throw err;
      const stat = await this.session.exists(this.path, this.kickFn);
      if (!stat) return this.loop.again(); // gone meanwhile: try again
      if (stat.ephemeralOwner !== this.session.sessionId) {
        this.stateValue = 'waiting';
        const conflict = zkError(
          'RL_ZK_NODE_ID_TAKEN',
          `${this.path} is held by session ${stat.ephemeralOwner}; registering when it goes away`,
          { path: this.path },
        );
        this.log.warn({ path: this.path, owner: stat.ephemeralOwner }, conflict.message);
        this.emit('conflict', conflict);
        return;
      }
      await this.session.setData(this.path, json); // ours (a lost create reply): refresh the payload
    }
    if (g !== this.session.generation || (this.stateValue as RegistrationState) === 'closed')
      return this.loop.again();
    this.stateValue = 'registered';
    this.registeredGeneration = g;
    this.log.info({ path: this.path, generation: g }, 'node registered');
    this.emit('registered', { path: this.path, generation: g });
  }
}
