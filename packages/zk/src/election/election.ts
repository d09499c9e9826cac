// Leader election the way Curator's LeaderLatch does it: protected ephemeral-sequential
// znodes, lowest sequence leads, standbys watch only their predecessor, and before
// claiming leadership the lowest znode's ephemeralOwner must be our session (CURATOR-696).
// Role (candidate | leader | standby) is kept apart from lifecycle (latent | started | closed).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hasCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { type ClusterPaths, clusterPaths, validateNodeId } from '../paths.js';
import type { SessionStateChange, ZkSession } from '../session/session.js';
import {
  decide,
  findByGuid,
  type Lifecycle,
  protectedPrefix,
  type Role,
  type RoleCause,
  type RoleChange,
  roleChange,
  sortContenders,
} from './election-logic.js';
import { RetryLoop } from './retry.js';

export interface LeaderPayload {
  readonly id: string;
  readonly epoch: number;
  readonly since: string;
  readonly proxyUrl?: string;
  readonly adminUrl?: string;
  /** The host this node's service listeners (services/<name>) are reached on. */
  readonly serviceHost?: string;
}

export interface ElectionOptions {
  readonly session: ZkSession;
  readonly nodeId: string;
  readonly cluster?: string;
  /** Written into the `leader` znode when this node wins. */
  readonly urls?: { readonly proxyUrl?: string; readonly adminUrl?: string; readonly serviceHost?: string };
  /** Subtracted from lastContact + sessionTimeout in leaseValidUntil(). Default sessionTimeout/10. */
  readonly leaseMarginMs?: number;
  /** Pause before retrying after a failed ZooKeeper operation. Default 100 ms. */
  readonly retryDelayMs?: number;
  readonly logger?: Logger;
}

export interface ElectionEvents {
  role: [RoleChange];
}

export interface CurrentLeader {
  readonly id: string | undefined;
  readonly epoch: number;
  readonly path: string;
  /** The session owning the lowest election znode (16 hex digits). */
  readonly sessionId: string;
}

interface OwnNode {
  readonly name: string;
  readonly path: string;
  readonly seq: number;
  readonly generation: number;
}

/** Reads the authority on leadership: the lowest znode of the election folder. */
export async function readCurrentLeader(
  session: ZkSession,
  paths: ClusterPaths,
): Promise<CurrentLeader | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let children: string[];
    try {
      children = (await session.getChildren(paths.election)).children;
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE')) return null;
      throw err;
    }
    const lowest = sortContenders(children)[0];
    if (!lowest) return null;
    const path = `${paths.election}/${lowest.name}`;
    try {
      const { data, stat } = await session.getData(path);
      let id: string | undefined;
      try {
        const parsed = JSON.parse(data.toString('utf8')) as { id?: unknown };
        id = typeof parsed.id === 'string' ? parsed.id : undefined;
      } catch {
        id = undefined;
      }
      return { id, epoch: lowest.seq, path, sessionId: stat.ephemeralOwner };
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NO_NODE')) throw err; // it just went away: read again
    }
  }
  return null;
}

export class LeaderElection extends EventEmitter<ElectionEvents> {
  readonly nodeId: string;
  readonly paths: ClusterPaths;
  private readonly session: ZkSession;
  private readonly urls: {
    readonly proxyUrl?: string;
    readonly adminUrl?: string;
    readonly serviceHost?: string;
  };
  private readonly leaseMarginMs: number | undefined;
  private readonly log: Logger;
  private readonly loop: RetryLoop;

  private roleValue: Role = 'candidate';
  private lifecycleValue: Lifecycle = 'latent';
  private own: OwnNode | undefined;
  private leaderEpoch: number | null = null;
  private readonly onWatch = () => this.loop.kick();
  private readonly onState = (c: SessionStateChange) => this.handleState(c);
  private readonly onSession = () => this.loop.kick();

  constructor(opts: ElectionOptions) {
    super();
    this.session = opts.session;
    this.nodeId = validateNodeId(opts.nodeId);
    this.paths = clusterPaths(opts.cluster);
    this.urls = opts.urls ?? {};
    this.leaseMarginMs = opts.leaseMarginMs;
    this.log = (opts.logger ?? silentLogger).child({ component: 'zk-election', node: this.nodeId });
    this.loop = new RetryLoop({
      step: () => this.step(),
      active: () => this.lifecycleValue === 'started',
      retryDelayMs: opts.retryDelayMs ?? 100,
      log: this.log,
      failure: 'election step failed; retrying',
    });
  }

  get role(): Role {
    return this.roleValue;
  }
  get lifecycle(): Lifecycle {
    return this.lifecycleValue;
  }
  /** Our epoch while leader, else null. */
  get epoch(): number | null {
    return this.roleValue === 'leader' ? (this.own?.seq ?? null) : null;
  }
  /** The sequence of our current election znode (undefined while we have none). */
  get sequence(): number | undefined {
    return this.own?.seq;
  }
  /** Until when (monotonic ms, the session's clock) we may act as leader; -Infinity if not leader. */
  leaseValidUntil(): number {
    return this.roleValue === 'leader' ? this.session.leaseValidUntil(this.leaseMarginMs) : -Infinity;
  }

  /**
   * The check for the request path: leader, session attached, and the lease not run out.
   * Role events arrive through timers; after a process freeze, I/O can run before them.
   */
  holdsLease(): boolean {
    return (
      this.roleValue === 'leader' &&
      this.session.state === 'connected' &&
      this.session.now() < this.session.leaseValidUntil(this.leaseMarginMs)
    );
  }

  start(): void {
    if (this.lifecycleValue !== 'latent') return;
    this.lifecycleValue = 'started';
    this.session.on('state', this.onState);
    this.session.on('session', this.onSession);
    this.loop.kick();
  }

  /** Gives up leadership (or our place) by deleting our znode; re-enters at the back unless rejoin: false. */
  async resign(opts: { rejoin?: boolean } = {}): Promise<void> {
    if (this.lifecycleValue !== 'started') return;
    await this.leave('resigned');
    if (opts.rejoin === false) await this.close();
    else this.loop.kick();
  }

  /** Leaves the election: deletes our znode (and `leader` if ours). Does not close the session. */
  async close(): Promise<void> {
    if (this.lifecycleValue === 'closed') return;
    const wasStarted = this.lifecycleValue === 'started';
    this.lifecycleValue = 'closed';
    this.session.off('state', this.onState);
    this.session.off('session', this.onSession);
    this.loop.cancel();
    if (wasStarted) await this.leave('closed');
  }

  /** Who leads now according to the election folder (the authority). */
  currentLeader(): Promise<CurrentLeader | null> {
    return readCurrentLeader(this.session, this.paths);
  }

  // ---- internals ---------------------------------------------------------------------------

  private setRole(to: Role, epoch: number | null, cause: RoleCause): void {
    const change = roleChange(this.roleValue, to, epoch, cause);
    if (!change) return;
    this.roleValue = to;
    this.log.info({ ...change }, `election ${change.from} → ${change.to} (${cause})`);
    this.emit('role', change);
  }

  private handleState(c: SessionStateChange): void {
    if (c.to === 'suspended' && this.roleValue === 'leader') {
      // We cannot prove we lead any more: stop at once, before anyone else could start.
      this.setRole('candidate', this.own?.seq ?? null, 'suspended');
    } else if (c.to === 'expired' || c.to === 'closed') {
      this.own = undefined;
      this.setRole('candidate', this.leaderEpoch, c.to === 'expired' ? 'expired' : 'closed');
    } else if (c.to === 'connected') {
      this.loop.kick(); // re-verify: the same session may still hold the lowest znode
    }
  }

  private async leave(cause: RoleCause): Promise<void> {
    const node = this.own;
    this.own = undefined;
    const wasLeader = this.roleValue === 'leader';
    this.setRole('candidate', node?.seq ?? null, cause);
    try {
      if (wasLeader) await this.removeLeaderZnodeIfOurs();
      if (node && node.generation === this.session.generation) await this.session.remove(node.path);
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NO_NODE', 'RL_ZK_CLOSED'))
        this.log.warn({ err }, 'could not delete election znode');
    }
  }

  private stillCurrent(node: OwnNode): boolean {
    return (
      this.lifecycleValue === 'started' &&
      this.own === node &&
      this.session.state === 'connected' &&
      this.session.generation === node.generation
    );
  }

  private async step(): Promise<void> {
    if (this.lifecycleValue !== 'started' || this.session.state !== 'connected') return;
    if (!this.own || this.own.generation !== this.session.generation) {
      this.own = await this.enter();
      if (!this.own) return;
    }
    const node = this.own;
    const { children } = await this.session.getChildren(this.paths.election);
    if (!this.stillCurrent(node)) return this.loop.again();
    const d = decide(children, node.name);
    if (d.kind === 'missing') {
      this.own = undefined;
      this.setRole('candidate', this.leaderEpoch, 'node-lost');
      return this.loop.again();
    }
    if (d.kind === 'wait') {
      this.leaderEpoch = d.leaderEpoch;
      try {
        await this.session.getData(`${this.paths.election}/${d.predecessor}`, this.onWatch);
      } catch (err) {
        if (hasCode(err, 'RL_ZK_NO_NODE')) return this.loop.again(); // it went away: look again
        throw err;
      }
      if (!this.stillCurrent(node)) return this.loop.again();
      this.setRole('standby', d.leaderEpoch, 'predecessor');
      return;
    }
    // Lowest: check that our session really owns it before leading (CURATOR-696). The watch
    // on our own znode makes a leader whose znode is deleted (by an operator) step down.
    const { stat } = await this.session.getData(node.path, this.onWatch);
    if (!this.stillCurrent(node)) return this.loop.again();
    if (stat.ephemeralOwner !== this.session.sessionId) {
      this.log.warn({ path: node.path, owner: stat.ephemeralOwner }, 'lowest znode is not ours: re-entering');
      this.own = undefined;
      return this.loop.again();
    }
    this.leaderEpoch = d.epoch;
    this.setRole('leader', d.epoch, 'elected');
    await this.writeLeaderZnode(node);
  }

  /** Creates our protected znode; a create whose reply was lost is found again by its guid. */
  private async enter(): Promise<OwnNode | undefined> {
    const generation = this.session.generation;
    const guid = randomUUID();
    const prefix = `${this.paths.election}/${protectedPrefix(guid)}`;
    const payload = JSON.stringify({ id: this.nodeId });
    await this.session.mkdirp(this.paths.election);
    for (;;) {
      if (this.lifecycleValue !== 'started' || this.session.generation !== generation) return undefined;
      try {
        const path = await this.session.create(prefix, payload, 'ephemeral-sequential');
        const name = path.slice(this.paths.election.length + 1);
        return { name, path, seq: Number(name.slice(name.lastIndexOf('_') + 1)), generation };
      } catch (err) {
        if (!hasCode(err, 'RL_ZK_TIMEOUT', 'RL_ZK_CONNECTION_LOSS')) throw err;
      }
      // The reply was lost: the znode may exist. Look for our guid once we are attached again.
      await this.session.waitFor('connected', this.session.sessionTimeoutMs * 4).catch(() => {});
      if (this.session.generation !== generation || this.session.state !== 'connected') return undefined;
      const { children } = await this.session.getChildren(this.paths.election);
      const found = findByGuid(children, guid);
      if (found) {
        this.log.info({ name: found.name }, 'found our election znode after a lost reply');
        return { name: found.name, path: `${this.paths.election}/${found.name}`, seq: found.seq, generation };
      }
    }
  }

  private async writeLeaderZnode(node: OwnNode): Promise<void> {
    const payload: LeaderPayload = {
      id: this.nodeId,
      epoch: node.seq,
      since: new Date().toISOString(),
      ...this.urls,
    };
    const json = JSON.stringify(payload);
    for (let attempt = 0; attempt < 5 && this.stillCurrent(node) && this.roleValue === 'leader'; attempt++) {
      try {
        await this.session.create(this.paths.leader, json, 'ephemeral');
        return;
      } catch (err) {
        if (!hasCode(err, 'RL_ZK_NODE_EXISTS')) throw err;
      }
      try {
        const { stat } = await this.session.getData(this.paths.leader);
        if (!this.stillCurrent(node)) return;
        if (stat.ephemeralOwner === this.session.sessionId) {
          await this.session.setData(this.paths.leader, json, stat.version);
          return;
        }
        // Left by a previous leader whose session has not expired yet: the election folder
        // says we lead, so replace it (versioned, so we never delete a newer one by mistake).
        await this.session.remove(this.paths.leader, stat.version);
      } catch (err) {
        if (!hasCode(err, 'RL_ZK_NO_NODE', 'RL_ZK_BAD_VERSION')) throw err;
      }
    }
  }

  private async removeLeaderZnodeIfOurs(): Promise<void> {
    try {
      const { stat } = await this.session.getData(this.paths.leader);
      if (stat.ephemeralOwner === this.session.sessionId) {
        await this.session.remove(this.paths.leader, stat.version);
      }
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NO_NODE', 'RL_ZK_BAD_VERSION')) throw err;
    }
  }
}
