// Shared health checking over `health/` (docs/zookeeper.md, "Shared health checks"):
// - HealthPublisher writes this node's own verdicts to the ephemeral `health/<nodeId>` when
//   they change (coalesced over `delayMs`, one write in flight; a change during a write is
//   written after it): created once per session, then setData. Writes are also paced by
//   their size (`bytesPerSecond`): the payload lists every backend the node checks (~120 KB
//   at 10 000), and a trickle of verdict changes (first checks, a flapping backend) would
//   otherwise write it and make every peer decode it up to 20 times a second (measured: 14
//   writes/s at 10 000 backends). Small payloads are not held back by it. The znode also
//   says "this node takes part in shared checking", so the children of `health/` are the
//   live checker set.
//   A znode of that id held by another session is never overwritten; it is tried again every
//   `retryMs`.
// - PeerHealthWatcher watches `health/` children and data (a ChildrenCache: the same re-arm /
//   coalesce / keep-on-error rules as membership), decodes only payloads that changed, and
//   hands the member names and every peer's verdicts to a callback.
import { hasCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { ChildrenCache } from '../membership/membership-cache.js';
import { clusterPaths, joinPath, validateNodeId } from '../paths.js';
import { NotAuthorisedLog } from '../security/noauth.js';
import { claimEphemeral, removeOwnEphemeral } from '../session/own-ephemeral.js';
import type { ZkSession } from '../session/session.js';
import { decodeHealth, encodeHealth, type PeerHealth, type Verdict } from './health-logic.js';

export {
  decodeHealth,
  encodeHealth,
  MAX_HEALTH_BYTES,
  type PeerHealth,
  type Verdict,
} from './health-logic.js';

/** The `health/` folder of a cluster. */
export function healthFolder(cluster = 'default'): string {
  return joinPath(clusterPaths(cluster).root, 'health');
}

/** `health/<nodeId>` of a cluster. */
export function healthPath(cluster: string | undefined, nodeId: string): string {
  return joinPath(healthFolder(cluster), validateNodeId(nodeId));
}

export interface HealthPublisherOptions {
  readonly session: ZkSession;
  readonly nodeId: string;
  readonly cluster?: string;
  /** Walks this node's current verdicts (its own active checks, after rise/fall). */
  readonly verdicts: (visit: (id: string, verdict: Verdict) => void) => void;
  /** Coalescing window after a change, default 50 ms. */
  readonly delayMs?: number;
  /** Retry after a failed or blocked write, default 2000 ms. */
  readonly retryMs?: number;
  /**
   * Write budget: after writing b bytes the next write waits at least b / bytesPerSecond
   * (default 100 KiB/s: a 120 KB payload at most about once a second, 1 KB every 10 ms).
   */
  readonly bytesPerSecond?: number;
  readonly wallClock?: () => number;
  readonly logger?: Logger;
}

export type HealthPublisherState = 'idle' | 'publishing' | 'blocked' | 'closed';

export class HealthPublisher {
  readonly path: string;
  readonly #folder: string;
  readonly #session: ZkSession;
  readonly #nodeId: string;
  readonly #verdicts: HealthPublisherOptions['verdicts'];
  readonly #delayMs: number;
  readonly #retryMs: number;
  readonly #bytesPerMs: number;
  readonly #wall: () => number;
  /** Monotonic time before which the next write waits (the pacing). */
  #notBefore = 0;
  readonly #log: Logger;
  readonly #noauth: NotAuthorisedLog;
  #state: HealthPublisherState = 'idle';
  /** The generation in which we created (own) the znode; -1: not created yet. */
  #ownedGen = -1;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #dirty = false;
  /** An unpaced write (new session) was asked for while one was in flight. */
  #urgent = false;
  /** Writes done (tests and the benchmark count them). */
  writes = 0;
  readonly #onSession = (): void => this.#soon(0, false);
  readonly #onState = (c: { to: string }): void => {
    if (c.to === 'connected') this.#soon(0, false);
  };

  constructor(opts: HealthPublisherOptions) {
    this.#folder = healthFolder(opts.cluster);
    this.#nodeId = validateNodeId(opts.nodeId);
    this.path = joinPath(this.#folder, this.#nodeId);
    this.#session = opts.session;
    this.#verdicts = opts.verdicts;
    this.#delayMs = opts.delayMs ?? 50;
    this.#retryMs = opts.retryMs ?? 2000;
    this.#bytesPerMs = (opts.bytesPerSecond ?? 100 * 1024) / 1000;
    this.#wall = opts.wallClock ?? Date.now;
    this.#log = (opts.logger ?? silentLogger).child({ component: 'health-publisher' });
    this.#noauth = new NotAuthorisedLog(this.#log);
  }

  get state(): HealthPublisherState {
    return this.#state;
  }

  start(): this {
    if (this.#state !== 'idle') return this;
    this.#state = 'publishing';
    this.#session.on('session', this.#onSession);
    this.#session.on('state', this.#onState);
    this.#soon(0, false);
    return this;
  }

  /** Asks for a write within `delayMs` (verdicts changed); bursts share one write. */
  publishSoon(delayMs = this.#delayMs): void {
    this.#soon(delayMs, true);
  }

  /** `paced`: also wait out the write budget (not for a new session's claim, nor a retry). */
  #soon(delayMs: number, paced: boolean): void {
    if (this.#state === 'closed' || this.#state === 'idle') return;
    if (this.#busy) {
      this.#dirty = true;
      if (!paced) this.#urgent = true; // a new session's claim must not wait for the pacing
      return;
    }
    if (this.#timer !== undefined) {
      if (paced) return;
      clearTimeout(this.#timer); // a claim for a new session goes now, not after the pacing
    }
    const wait = paced ? Math.max(delayMs, this.#notBefore - performance.now()) : delayMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#publish();
    }, wait);
    this.#timer.unref();
  }

  async #publish(): Promise<void> {
    if (this.#state === 'closed' || this.#session.state !== 'connected') return;
    this.#busy = true;
    this.#dirty = false;
    this.#urgent = false;
    const gen = this.#session.generation;
    let retry = false;
    try {
      const json = encodeHealth(this.#nodeId, this.#wall(), this.#verdicts);
      this.#notBefore = performance.now() + json.length / this.#bytesPerMs;
      if (this.#ownedGen !== gen) {
        if (!(await this.#claim(json))) retry = true;
        else this.#ownedGen = gen;
      } else await this.#session.setData(this.path, json);
      if (!retry) {
        this.#state = 'publishing';
        this.writes++;
      }
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE')) this.#ownedGen = -1; // deleted by an operator: create again
      if (!this.#noauth.report(err)) this.#log.debug({ err, path: this.path }, 'health publish failed');
      retry = true;
    } finally {
      this.#busy = false;
    }
    if (this.#urgent) this.#soon(0, false);
    else if (this.#dirty) this.publishSoon();
    else if (retry) this.#soon(this.#retryMs, false);
  }

  /** Creates the ephemeral znode; false when another session holds it. */
  async #claim(json: string): Promise<boolean> {
    const claim = await claimEphemeral(this.#session, this.path, this.#folder, json);
    if (claim.owned) return true;
    if (this.#state !== 'blocked')
      this.#log.warn({ path: this.path, owner: claim.owner }, 'health znode held by another session');
    this.#state = 'blocked';
    return false;
  }

  /** Stops publishing and deletes our znode: peers take our backends over at once. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#session.off('session', this.#onSession);
    this.#session.off('state', this.#onState);
    if (this.#ownedGen !== this.#session.generation) return;
    try {
      await removeOwnEphemeral(this.#session, this.path);
    } catch (err) {
      this.#log.debug({ err, path: this.path }, 'health znode not removed');
    }
  }
}

/** What the watcher hands over after each coalesced change. */
export interface SharedHealthView {
  /** Every child of `health/`, this node's included: the live checker set. */
  readonly members: readonly string[];
  /** Every other member's decoded verdicts (a member whose payload is bad is left out). */
  readonly peers: ReadonlyMap<string, PeerHealth>;
}

export interface PeerHealthWatcherOptions {
  readonly session: ZkSession;
  /** This node: its own payload is not decoded. */
  readonly nodeId: string;
  readonly cluster?: string;
  readonly onView: (view: SharedHealthView) => void;
  readonly coalesceMs?: number;
  readonly logger?: Logger;
}

export class PeerHealthWatcher {
  readonly #cache: ChildrenCache;
  readonly #log: Logger;
  /** Decoded payloads by member, with the mzxid they were decoded from. */
  readonly #decoded = new Map<string, { mzxid: bigint; value: PeerHealth | undefined }>();
  #view: SharedHealthView = { members: [], peers: new Map() };
  /** A view was handed to the listener (the first is, whatever it holds). */
  #told = false;

  constructor(opts: PeerHealthWatcherOptions) {
    this.#log = (opts.logger ?? silentLogger).child({ component: 'peer-health' });
    const folder = healthFolder(opts.cluster);
    this.#cache = new ChildrenCache({
      session: opts.session,
      path: folder,
      logger: this.#log,
      coalesceMs: opts.coalesceMs ?? 5,
      onFlush: (view) => {
        const peers = new Map<string, PeerHealth>();
        for (const name of this.#decoded.keys()) if (!view.children.has(name)) this.#decoded.delete(name);
        for (const [name, entry] of view.children) {
          if (name === opts.nodeId) continue;
          let d = this.#decoded.get(name);
          if (d === undefined || d.mzxid !== entry.mzxid) {
            const r = decodeHealth(name, entry.data);
            if (!r.ok) this.#log.warn({ path: joinPath(folder, name) }, `peer health rejected: ${r.error}`);
            d = { mzxid: entry.mzxid, value: r.ok ? r.value : undefined };
            this.#decoded.set(name, d);
          }
          if (d.value !== undefined) peers.set(name, d.value);
        }
        const members = [...view.children.keys()];
        // Only this node's own payload moved (its every publication comes back here): the
        // listener's merge walks every backend, so it is not told of a view it already has.
        if (this.#told && sameView(this.#view, members, peers)) return;
        this.#told = true;
        this.#view = { members, peers };
        try {
          opts.onView(this.#view);
        } catch (err) {
          this.#log.error({ err }, 'peer health listener threw');
        }
      },
    });
  }

  get view(): SharedHealthView {
    return this.#view;
  }

  start(): this {
    this.#cache.start();
    return this;
  }

  close(): void {
    this.#cache.close();
  }
}

function sameView(
  prev: SharedHealthView,
  members: readonly string[],
  peers: ReadonlyMap<string, PeerHealth>,
): boolean {
  if (prev.members.length !== members.length || prev.peers.size !== peers.size) return false;
  for (let i = 0; i < members.length; i++) if (prev.members[i] !== members[i]) return false;
  for (const [name, p] of peers) if (prev.peers.get(name) !== p) return false;
  return true;
}
