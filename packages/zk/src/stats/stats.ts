// Active-active load sharing over `stats/`:
// - StatsPublisher writes this node's LoadTracker summary to the ephemeral
//   `stats/<nodeId>` every interval (default 1 s): created once per session, then setData.
//   A znode of that id held by another session (a second node misconfigured with the same
//   id) is never overwritten; publishing resumes when it is gone.
// - PeerStatsWatcher watches `stats/` children and data (a ChildrenCache, so the same
//   re-arm / coalesce / keep-on-error rules as membership) and hands every other node's
//   decoded summary to a callback; the node blends them (LoadTracker.blend).
import type { LoadSummary } from '@ringleader/core';
import { hasCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { ChildrenCache } from '../membership/membership-cache.js';
import { type ClusterPaths, clusterPaths, validateNodeId } from '../paths.js';
import { NotAuthorisedLog } from '../security/noauth.js';
import { claimEphemeral, removeOwnEphemeral } from '../session/own-ephemeral.js';
import type { ZkSession } from '../session/session.js';
import { decodeStats, encodeStats, type PeerStats } from './stats-logic.js';

export { decodeStats, encodeStats, freshSummaries, type PeerStats } from './stats-logic.js';

export interface StatsPublisherOptions {
  readonly session: ZkSession;
  readonly nodeId: string;
  readonly cluster?: string;
  /** The figures to publish (LoadTracker.snapshot bound to a clock). */
  readonly summary: () => LoadSummary;
  readonly intervalMs?: number;
  /** Wall clock for `at` (default Date.now). */
  readonly wallClock?: () => number;
  readonly logger?: Logger;
}

export type PublisherState = 'idle' | 'publishing' | 'blocked' | 'closed';

export class StatsPublisher {
  readonly path: string;
  readonly #paths: ClusterPaths;
  readonly #session: ZkSession;
  readonly #nodeId: string;
  readonly #summary: () => LoadSummary;
  readonly #intervalMs: number;
  readonly #wall: () => number;
  readonly #log: Logger;
  readonly #noauth: NotAuthorisedLog;
  #state: PublisherState = 'idle';
  /** The generation in which we created (own) the znode; -1: not created yet. */
  #ownedGen = -1;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  readonly #onSession = (): void => void this.publishNow();

  constructor(opts: StatsPublisherOptions) {
    this.#paths = clusterPaths(opts.cluster);
    this.#nodeId = validateNodeId(opts.nodeId);
    this.path = this.#paths.stat(opts.nodeId);
    this.#session = opts.session;
    this.#summary = opts.summary;
    this.#intervalMs = opts.intervalMs ?? 1000;
    this.#wall = opts.wallClock ?? Date.now;
    this.#log = (opts.logger ?? silentLogger).child({ component: 'stats-publisher' });
    this.#noauth = new NotAuthorisedLog(this.#log);
  }

  get state(): PublisherState {
    return this.#state;
  }

  start(): this {
    if (this.#state !== 'idle') return this;
    this.#state = 'publishing';
    this.#session.on('session', this.#onSession);
    this.#timer = setInterval(() => void this.publishNow(), this.#intervalMs);
    this.#timer.unref();
    void this.publishNow();
    return this;
  }

  /** Writes the current figures once (skipped while the session is not connected). */
  async publishNow(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'idle' || this.#busy) return;
    if (this.#session.state !== 'connected') return;
    this.#busy = true;
    const gen = this.#session.generation;
    try {
      const json = encodeStats(this.#nodeId, this.#wall(), this.#summary());
      if (this.#ownedGen !== gen) {
        if (!(await this.#claim(json))) return;
        this.#ownedGen = gen;
      } else await this.#session.setData(this.path, json);
      this.#state = 'publishing';
    } catch (err) {
      // Ours but gone (deleted by an operator): create it again next time.
      if (hasCode(err, 'RL_ZK_NO_NODE')) this.#ownedGen = -1;
      if (!this.#noauth.report(err)) this.#log.debug({ err, path: this.path }, 'stats publish failed');
    } finally {
      this.#busy = false;
    }
  }

  /** Creates the ephemeral znode; false when another session holds it. */
  async #claim(json: string): Promise<boolean> {
    const claim = await claimEphemeral(this.#session, this.path, this.#paths.stats, json);
    if (claim.owned) return true;
    if (this.#state !== 'blocked')
      this.#log.warn({ path: this.path, owner: claim.owner }, 'stats znode held by another session');
    this.#state = 'blocked';
    return false;
  }

  /** Stops publishing and deletes our znode (peers stop blending our figures at once). */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#timer) clearInterval(this.#timer);
    this.#session.off('session', this.#onSession);
    if (this.#ownedGen !== this.#session.generation) return;
    try {
      await removeOwnEphemeral(this.#session, this.path);
    } catch (err) {
      this.#log.debug({ err, path: this.path }, 'stats znode not removed');
    }
  }
}

export interface PeerStatsWatcherOptions {
  readonly session: ZkSession;
  /** This node: its own znode is left out. */
  readonly nodeId: string;
  readonly cluster?: string;
  /** Called after each coalesced change with every peer's latest figures. */
  readonly onPeers: (peers: ReadonlyMap<string, PeerStats>) => void;
  readonly coalesceMs?: number;
  readonly logger?: Logger;
}

export class PeerStatsWatcher {
  readonly #cache: ChildrenCache;
  readonly #log: Logger;
  #peers: ReadonlyMap<string, PeerStats> = new Map();
  readonly #bad = new Map<string, bigint>();

  constructor(opts: PeerStatsWatcherOptions) {
    this.#log = (opts.logger ?? silentLogger).child({ component: 'peer-stats' });
    const folder = clusterPaths(opts.cluster).stats;
    this.#cache = new ChildrenCache({
      session: opts.session,
      path: folder,
      logger: this.#log,
      coalesceMs: opts.coalesceMs ?? 5,
      onFlush: (view) => {
        const peers = new Map<string, PeerStats>();
        for (const [name, entry] of view.children) {
          if (name === opts.nodeId) continue;
          const r = decodeStats(name, entry.data);
          if (r.ok) peers.set(name, r.value);
          else if (this.#bad.get(name) !== entry.mzxid) {
            this.#bad.set(name, entry.mzxid);
            this.#log.warn({ path: `${folder}/${name}` }, `peer stats rejected: ${r.error}`);
          }
        }
        this.#peers = peers;
        try {
          opts.onPeers(peers);
        } catch (err) {
          this.#log.error({ err }, 'peer stats listener threw');
        }
      },
    });
  }

  get peers(): ReadonlyMap<string, PeerStats> {
    return this.#peers;
  }

  start(): this {
    this.#cache.start();
    return this;
  }

  close(): void {
    this.#cache.close();
  }
}
