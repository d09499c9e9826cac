// The role controller: turns election, session and lifecycle events into the gate the data
// plane reads, and runs what must follow a role change (hooks, VIP, metrics, a log line).
// The decision itself is decideGate (pure); this class only keeps the facts current.
import type { LeaderPayload, RoleChange } from '@ringleader/zk';
import type { Logger } from 'pino';
import type { NodeConfig } from '../../config/schema.js';
import type { GateDecision, ServingPermit } from '../../seam.js';
import type { NodeMetrics } from '../metrics.js';
import {
  decideGate,
  type ElectionRole,
  type Lifecycle,
  type ServingFacts,
  type SessionState,
} from './gate.js';
import { runHook, VipMover } from './hooks.js';

const SESSION_STATES: readonly SessionState[] = ['connecting', 'connected', 'suspended', 'expired', 'closed'];
const ROLES: readonly ElectionRole[] = ['candidate', 'leader', 'standby'];

export interface RoleEvent {
  readonly at: string;
  readonly kind: 'role' | 'session' | 'lifecycle' | 'leader';
  readonly detail: Record<string, unknown>;
}

export interface RoleControllerOptions {
  readonly config: NodeConfig;
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  /** The request-path check that the lease still holds (election.holdsLease). */
  readonly holdsLease: () => boolean;
  /** Until when (monotonic ms) the lease holds (election.leaseValidUntil); for the permit. */
  readonly leaseValidUntil?: () => number;
  /**
   * Whether the ZooKeeper session is attached and its own lease (last reply + timeout) holds,
   * whatever the role: what lets a resigning or draining node finish its open connections.
   */
  readonly sessionLive?: () => boolean;
}

export class RoleController {
  readonly #config: NodeConfig;
  readonly #log: Logger;
  readonly #metrics: NodeMetrics;
  readonly #holdsLease: () => boolean;
  readonly #leaseValidUntil: () => number;
  readonly #sessionLive: () => boolean;
  /** Whether a permit is bound to the lease (active-passive with stop-serving). */
  readonly #leased: boolean;
  readonly #vip: VipMover | undefined;
  #facts: ServingFacts;
  #gate: GateDecision;
  /** The epoch shown in /status: the leader's (ours while we lead). */
  #epoch: number | undefined;
  #leader: LeaderPayload | null = null;
  #vipHeld = false;
  /** Serialises hook and VIP work so a quick promote/demote pair runs in order. */
  #sideEffects: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(e: RoleEvent) => void>();
  readonly #gateWaiters = new Set<() => void>();

  constructor(opts: RoleControllerOptions) {
    this.#config = opts.config;
    this.#log = opts.logger;
    this.#metrics = opts.metrics;
    this.#holdsLease = opts.holdsLease;
    this.#leaseValidUntil = opts.leaseValidUntil ?? (() => Number.POSITIVE_INFINITY);
    this.#sessionLive = opts.sessionLive ?? (() => this.#facts.session === 'connected');
    this.#leased = opts.config.mode === 'active-passive' && opts.config.onCoordinatorLoss === 'stop-serving';
    this.#vip = opts.config.vip ? new VipMover(opts.config.vip, opts.logger) : undefined;
    // A starting node leads nothing, so a VIP on its interface is left over from a crash of
    // this node (SIGKILL leaves the address configured) and would still answer ARP for it: drop
    // it first, as keepalived does when it starts as a backup. A promotion queues behind this.
    if (this.#vip) this.#sideEffects = this.#vip.release();
    this.#facts = {
      mode: opts.config.mode,
      standby: opts.config.standby,
      onCoordinatorLoss: opts.config.onCoordinatorLoss,
      lifecycle: 'starting',
      session: 'connecting',
      role: 'candidate',
      ledBeforeLoss: false,
      resigning: false,
      // Unknown until the first config read answers: a node never serves with a config the
      // cluster may not share (its fallback before it has read the znode).
      configKnown: false,
      retryAfterS: Math.max(1, Math.ceil(opts.config.zookeeper.sessionTimeoutMs / 1000)),
      // A hand-over names the successor within tens of ms; a crash within the session timeout.
      holdMs: opts.config.zookeeper.sessionTimeoutMs,
    };
    this.#gate = decideGate(this.#facts);
    this.#setGauges();
  }

  get facts(): ServingFacts {
    return this.#facts;
  }
  get role(): ElectionRole {
    return this.#facts.role;
  }
  get epoch(): number | undefined {
    return this.#epoch;
  }
  get leader(): LeaderPayload | null {
    return this.#leader;
  }

  /** Subscribes to role, session, lifecycle and leader events (dashboard timeline, SSE). */
  onEvent(fn: (e: RoleEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * The per-request admission gate. `serve` hands out the permit the request is proxied under:
   * its epoch is fixed here, at admission, and a later role change does not alter it (it can
   * only void it: see permitValid). A leader's gate also checks its lease, because after a
   * process freeze I/O callbacks can run before the timers that would deliver the demotion.
   */
  gate(): GateDecision {
    const g = this.#gate;
    if (g.kind !== 'serve') return g;
    if (this.#leased && !this.#holdsLease()) {
      return { kind: 'reject', reason: 'leadership lease expired', retryAfterS: this.#facts.retryAfterS };
    }
    if (!this.#leased) return g;
    const permit: ServingPermit = { epoch: g.permit.epoch, leaseDeadline: this.#leaseValidUntil() };
    return { kind: 'serve', permit };
  }

  /**
   * Asked right before an admitted request (or connection) is written to a backend: the permit
   * holds while its epoch is still the one granted and, where serving is bound to the lease,
   * the lease has not run out. A resignation, demotion or re-registration voids older permits.
   */
  permitValid(permit: Pick<ServingPermit, 'epoch'>): boolean {
    // Only the epoch of the `serve` gate in force is granted.
    const g = this.#gate;
    if (g.kind !== 'serve' || permit.epoch !== g.permit.epoch) return false;
    return !this.#leased || this.#holdsLease();
  }

  /**
   * Asked of open long-lived connections (TCP relays): they may go on while their permit holds
   * and, for this node's own epoch, through a graceful hand-over (draining or resigning) while
   * the session still proves itself alive — the drain deadline then closes them. A node that
   * loses its lease (partition, freeze) or is deposed by the coordinator closes them at once,
   * so none outlives the lease into a successor's term unannounced (docs/services.md).
   */
  relayValid(permit: ServingPermit): boolean {
    if (this.permitValid(permit)) return true;
    const f = this.#facts;
    const handingOver = f.lifecycle === 'draining' || f.resigning;
    if (!handingOver || permit.epoch !== f.ownEpoch) return false;
    return !this.#leased || this.#sessionLive();
  }

  /**
   * A leader about to give up its election znode stops admitting first (requests hold for the
   * successor); endResign() undoes it if the resignation failed or once it is through.
   */
  beginResign(): void {
    this.#update({ resigning: true });
  }
  endResign(): void {
    this.#update({ resigning: false });
  }

  /** Resolves when the gate next changes, or after `ms` (requests held during a hand-over). */
  waitForGateChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#gateWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#gateWaiters.add(done);
    });
  }

  /** True while the proxy port serves (readiness). */
  isServing(): boolean {
    return this.gate().kind === 'serve';
  }

  /** The config watch's verdict: false while no routing config the cluster shares is known. */
  setConfigKnown(known: boolean): void {
    if (this.#facts.configKnown !== known) this.#update({ configKnown: known });
  }

  /** Active-active nodes stamp their own registration sequence: set when it is known or changes. */
  setOwnSequence(seq: number | undefined): void {
    if (this.#facts.mode !== 'active-active' || this.#facts.ownEpoch === seq) return;
    this.#update(seq === undefined ? { ownEpoch: undefined } : { ownEpoch: seq });
  }

  onRoleChange(change: RoleChange): void {
    const wasLeader = this.#facts.role === 'leader';
    const toRole = change.to as ElectionRole;
    // To leader: our own epoch. To standby: the epoch of the leader we stand behind.
    if (change.to === 'leader' || change.to === 'standby') this.#epoch = change.epoch ?? this.#leader?.epoch;
    else this.#epoch = this.#leader?.epoch;
    // Losing leadership because the coordinator went away is what keep-serving rides through.
    const lostToCoordinator = wasLeader && change.to !== 'leader' && this.#facts.session !== 'connected';
    // The epoch of a win is kept after the loss of leadership: keep-serving stamps it while it
    // rides through a coordinator loss; everywhere else the gate no longer serves with it.
    const won = change.to === 'leader' && change.epoch !== undefined && this.#facts.mode === 'active-passive';
    this.#update({
      role: toRole,
      ledBeforeLoss: change.to === 'leader' ? false : lostToCoordinator || this.#facts.ledBeforeLoss,
      ...(won ? { ownEpoch: change.epoch as number } : {}),
    });
    if (wasLeader !== (change.to === 'leader')) {
      if (change.to === 'leader') this.#metrics.failovers.inc();
      this.#runSideEffects(change.to === 'leader' ? 'leader' : 'standby');
    }
    this.#emit('role', { from: change.from, to: change.to, epoch: change.epoch, cause: change.cause });
    this.#log.info(
      { from: change.from, to: change.to, epoch: change.epoch, cause: change.cause },
      'role changed',
    );
  }

  onSessionState(to: SessionState, cause?: string): void {
    const from = this.#facts.session;
    if (from === to) return;
    // A connected session that learns another node leads clears keep-serving's memory.
    const ledBeforeLoss =
      to === 'connected' && this.#facts.role !== 'leader' ? false : this.#facts.ledBeforeLoss;
    this.#update({ session: to, ledBeforeLoss });
    this.#emit('session', { from, to, cause });
    const level = to === 'connected' ? 'info' : 'warn';
    this.#log[level]({ from, to, cause }, 'zookeeper session state changed');
  }

  onLeader(leader: LeaderPayload | null): void {
    this.#leader = leader;
    if (this.#facts.role !== 'leader') this.#epoch = leader?.epoch;
    // Our own URL is never a forwarding target: a resigned leader waits for its successor instead.
    const url = leader?.proxyUrl && leader.id !== this.#config.nodeId ? leader.proxyUrl : undefined;
    this.#update({ leaderProxyUrl: url, leaderEpoch: url === undefined ? undefined : leader?.epoch });
    this.#emit('leader', { id: leader?.id ?? null, epoch: leader?.epoch ?? null });
  }

  setLifecycle(lifecycle: Lifecycle): void {
    const from = this.#facts.lifecycle;
    if (from === lifecycle) return;
    this.#update({ lifecycle });
    this.#emit('lifecycle', { from, to: lifecycle });
  }

  /** Resolves when pending hook and VIP work has run (shutdown waits for a VIP release). */
  async settle(): Promise<void> {
    await this.#sideEffects;
    if (this.#vipHeld && this.#vip) {
      await this.#vip.release();
      this.#vipHeld = false;
    }
  }

  #update(patch: { readonly [K in keyof ServingFacts]?: ServingFacts[K] | undefined }): void {
    const next: Record<string, unknown> = { ...this.#facts, ...patch };
    // exactOptionalPropertyTypes: an optional fact is absent, never present as undefined.
    for (const k of ['leaderProxyUrl', 'leaderEpoch', 'ownEpoch'] as const)
      if (k in patch && patch[k] === undefined) delete next[k];
    this.#facts = next as unknown as ServingFacts;
    const before = this.#gate;
    this.#gate = decideGate(this.#facts);
    this.#setGauges();
    if (before.kind !== this.#gate.kind) this.#log.info({ gate: this.#gate }, 'proxy gate changed');
    if (JSON.stringify(before) !== JSON.stringify(this.#gate))
      for (const wake of [...this.#gateWaiters]) wake();
  }

  #setGauges(): void {
    for (const r of ROLES) this.#metrics.role.labels(r).set(r === this.#facts.role ? 1 : 0);
    for (const s of SESSION_STATES)
      this.#metrics.zkSessionState.labels(s).set(s === this.#facts.session ? 1 : 0);
    this.#metrics.epoch.set(this.#epoch ?? 0);
  }

  #runSideEffects(role: 'leader' | 'standby'): void {
    const facts = { role, epoch: this.#epoch, nodeId: this.#config.nodeId };
    this.#sideEffects = this.#sideEffects.then(async () => {
      if (this.#vip && role === 'leader' && !this.#vipHeld) this.#vipHeld = await this.#vip.acquire();
      if (this.#vip && role !== 'leader' && this.#vipHeld) this.#vipHeld = !(await this.#vip.release());
      const hook = role === 'leader' ? this.#config.hooks.onPromote : this.#config.hooks.onDemote;
      if (hook) await runHook(hook, facts, this.#log);
    });
  }

  #emit(kind: RoleEvent['kind'], detail: Record<string, unknown>): void {
    const event: RoleEvent = { at: new Date().toISOString(), kind, detail };
    for (const fn of this.#listeners) fn(event);
  }
}
