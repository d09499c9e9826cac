// Follows the `leader` znode for observers: standbys that forward or point clients to the
// leader, the dashboard, `ringleader status`. The election folder stays the authority on who
// leads; this znode only says where the leader can be reached.
import { EventEmitter } from 'node:events';
import { DataWatch } from '../data-watch.js';
import { type Logger, silentLogger } from '../logger.js';
import { clusterPaths } from '../paths.js';
import type { ZkSession } from '../session/session.js';
import type { LeaderPayload } from './election.js';

export interface LeaderWatcherEvents {
  leader: [LeaderPayload | null];
}

/** Decodes a leader payload; anything malformed reads as "no usable leader address". */
export function decodeLeaderPayload(data: Buffer): LeaderPayload | null {
  try {
    const v = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
    if (typeof v.id !== 'string' || typeof v.epoch !== 'number' || !Number.isInteger(v.epoch)) return null;
    return {
      id: v.id,
      epoch: v.epoch,
      since: typeof v.since === 'string' ? v.since : '',
      ...(typeof v.proxyUrl === 'string' ? { proxyUrl: v.proxyUrl } : {}),
      ...(typeof v.adminUrl === 'string' ? { adminUrl: v.adminUrl } : {}),
      ...(typeof v.serviceHost === 'string' ? { serviceHost: v.serviceHost } : {}),
    };
  } catch {
    return null;
  }
}

export class LeaderWatcher extends EventEmitter<LeaderWatcherEvents> {
  readonly #watch: DataWatch;
  #current: LeaderPayload | null = null;

  constructor(opts: { session: ZkSession; cluster?: string; logger?: Logger }) {
    super();
    const log = (opts.logger ?? silentLogger).child({ component: 'leader-watch' });
    this.#watch = new DataWatch({
      session: opts.session,
      path: clusterPaths(opts.cluster).leader,
      logger: log,
      onRead: (read) => {
        const next = read.kind === 'data' ? decodeLeaderPayload(read.data) : null;
        if (JSON.stringify(next) === JSON.stringify(this.#current)) return;
        this.#current = next;
        this.emit('leader', next);
      },
    });
  }

  /** The last leader payload read; null while there is none (or it is unreadable). */
  get current(): LeaderPayload | null {
    return this.#current;
  }

  start(): this {
    this.#watch.start();
    return this;
  }

  close(): void {
    this.#watch.close();
  }
}
