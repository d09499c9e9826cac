// The seam as a worker thread sees it: the snapshot rebuilt from the last routing message (by
// core's pure buildSnapshot, so every worker routes every key alike), the gate of the last gate
// message, the health of the last health message, and the permit checked against the shared
// lease cell per request. Messages are applied in order; each swap is one reference.
import {
  buildSnapshot,
  type HealthView,
  type LoadView,
  type PolicyContext,
  type RoutingSnapshot,
} from '@ringleader/core';
import type { GateDecision, PassiveHealthFeed, RoutingInput, Seam, SeamMessage } from '../seam.js';
import { isForever, type LeaseCell, sharedNowNs } from './lease-cell.js';

const LEASE_LAPSED = 'leadership lease expired';

/** Health as the main thread last reported it; outcomes go back to it (batched by the caller). */
export class RemoteHealth implements HealthView, PassiveHealthFeed {
  #down: ReadonlySet<string> = new Set();
  #version = 0;
  readonly #report: (id: string, ok: boolean) => void;

  constructor(report: (id: string, ok: boolean) => void) {
    this.#report = report;
  }
  isUp(id: string): boolean {
    return !this.#down.has(id);
  }
  version(): number {
    return this.#version;
  }
  recordOutcome(id: string, ok: boolean): undefined {
    this.#report(id, ok);
    return undefined;
  }
  apply(version: number, down: readonly string[]): void {
    this.#down = new Set(down);
    this.#version = version;
  }
}

export interface WorkerSeamOptions {
  readonly cell: LeaseCell;
  readonly initial: RoutingInput;
  /** The number of the last message folded into `initial` and `gate`. */
  readonly seq: number;
  readonly gate: GateDecision;
  readonly load: LoadView;
  readonly health: RemoteHealth;
  readonly random?: () => number;
  /** The node's round-robin counter, shared by every worker (core PolicyContext.ticket). */
  readonly ticket?: () => number;
  /** Retry-After of the refusal a lapsed lease gets (the main thread's, from the session timeout). */
  readonly retryAfterS: number;
  /** Told of every snapshot swapped in (pools follow it). */
  readonly onSnapshot?: (snap: RoutingSnapshot) => void;
  /** A routing message whose config the policy builder refused: the previous snapshot stays. */
  readonly onRefused?: (version: number, err: unknown) => void;
}

export class WorkerSeam implements Seam {
  readonly #o: WorkerSeamOptions;
  readonly #ctx: PolicyContext;
  #snapshot: RoutingSnapshot;
  #gate: GateDecision;
  #seq = 0;
  readonly #waiters = new Set<() => void>();

  constructor(o: WorkerSeamOptions) {
    this.#o = o;
    this.#ctx = {
      load: o.load,
      health: o.health,
      random: o.random ?? Math.random,
      ...(o.ticket ? { ticket: o.ticket } : {}),
    };
    this.#snapshot = buildSnapshot(o.initial.version, o.initial.backends, o.initial.config, this.#ctx);
    this.#gate = o.gate;
    this.#seq = o.seq;
  }

  /** The last message applied (what the worker acknowledges). */
  get seq(): number {
    return this.#seq;
  }

  /** Applies one message; returns false for one older than what is in force (ignored). */
  apply(m: SeamMessage): boolean {
    if (m.seq <= this.#seq) return false;
    this.#seq = m.seq;
    switch (m.t) {
      case 'routing':
        try {
          const { version, backends, config } = m.input;
          this.#snapshot = buildSnapshot(version, backends, config, this.#ctx);
          this.#o.onSnapshot?.(this.#snapshot);
        } catch (err) {
          this.#o.onRefused?.(m.input.version, err);
        }
        return true;
      case 'gate':
        this.#gate = m.gate;
        for (const w of [...this.#waiters]) w();
        return true;
      case 'health':
        this.#o.health.apply(m.version, m.down);
        return true;
    }
  }

  snapshot(): RoutingSnapshot {
    return this.#snapshot;
  }

  /**
   * The gate of the last message; a `serve` is honoured only while the lease cell grants its
   * epoch on the shared clock (the main thread may be paused or blocked: the cell decides).
   */
  gate(): GateDecision {
    const g = this.#gate;
    if (g.kind !== 'serve') return g;
    const now = sharedNowNs();
    const grant = this.#o.cell.read();
    if (grant === undefined || grant.epoch !== g.permit.epoch || now >= grant.deadlineNs) {
      return { kind: 'reject', reason: LEASE_LAPSED, retryAfterS: this.#o.retryAfterS };
    }
    const leaseDeadline = isForever(grant.deadlineNs)
      ? Number.POSITIVE_INFINITY
      : performance.now() + Number(grant.deadlineNs - now) / 1e6;
    return { kind: 'serve', permit: { epoch: g.permit.epoch, leaseDeadline } };
  }

  permitValid(permit: { epoch: number }): boolean {
    return this.#o.cell.holds(permit.epoch);
  }

  waitForGateChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }
}
