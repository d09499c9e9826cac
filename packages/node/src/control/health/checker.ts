// Active health checks driving core's pure HealthTable, plus the passive-outcome entry point
// the data plane feeds: one object owns every change to backend health, so every transition
// (check rise/fall, ejection, return, a state adopted from peers) comes out of one place as an
// event, a metric and a log line. Runs on every node, standbys included, so a promoted node
// starts warm. It never writes ZooKeeper: health changes eligibility only (shared.ts publishes).
//
// Scheduling (schedule.ts): one heap of due times and one timer for the whole pool. First
// checks are spread over a window (the jitter fraction of an interval for a few backends, the
// whole interval for thousands), rounds stay on their anchor ± jitter, and a check never
// overlaps its own next one. At most `maxConcurrent` checks are in flight; the rest wait in due
// order, so a pool of black-holed backends slows its own rounds instead of opening ten
// thousand sockets. Each wake-up launches everything due within `batchMs`, so 5 000 checks a
// second cost ~100 timer callbacks, not 5 000. A backend removed (or moved to another
// host:port) mid-check has its result dropped. `draining` backends are checked like any
// other: they must stay healthy while their requests finish.
//
// Shared checking (shared.ts): `setActive` says which backends this node checks itself; the
// others take the state its peers concluded (`adopt`). Undefined (the default) checks all.
import type {
  Backend,
  BackendDiff,
  CheckState,
  HealthCheckConfig,
  HealthEvent,
  HealthTable,
} from '@ringleader/core';
import type { Logger } from 'pino';
import { monotonicNow } from '../../seam.js';
import type { NodeMetrics } from '../metrics.js';
import { probe as httpProbe, type ProbeResult, type ProbeSettings, type ProbeTarget } from './probe.js';
import { DueHeap, firstWindow, nextPhase, nextRound, type Queued, roundOffset } from './schedule.js';

export type CheckSettings = Pick<HealthCheckConfig, 'path' | 'intervalMs' | 'timeoutMs' | 'expectStatus'>;

export interface HealthCheckerOptions {
  /** Health state; rise/fall and outlier settings live there (`table.configure`). */
  readonly table: HealthTable;
  readonly config: CheckSettings;
  /** Clock in ms for the table (default performance.now); must match the data plane's `now`. */
  readonly now?: () => number;
  readonly random?: () => number;
  /** Fraction of the interval to jitter by, default 0.1 (±5 % around each round's anchor). */
  readonly jitter?: number;
  /** How often lapsed ejections are swept and reported, default 250 ms. */
  readonly tickMs?: number;
  /** Checks in flight at once, default 256. */
  readonly maxConcurrent?: number;
  /** One wake-up launches the checks due within this many ms, default 10. */
  readonly batchMs?: number;
  readonly metrics?: NodeMetrics;
  readonly logger?: Logger;
  /** Its figures are forgotten when a backend comes back, so least-response-time probes it afresh. */
  readonly load?: { forget(id: string): void };
  /** Injectable for tests; defaults to the HTTP probe. */
  readonly probe?: (target: ProbeTarget, cfg: ProbeSettings) => Promise<ProbeResult>;
}

export const DEFAULT_MAX_CONCURRENT_CHECKS = 256;

class Entry implements Queued {
  readonly target: ProbeTarget;
  due = 0;
  heapIndex = -1;
  /** Where this backend's rounds sit in the interval (ms on the checker's clock). */
  anchor = 0;
  round = 0;
  running = false;
  stopped = false;
  /** Checked by this node (shared checking may give it to peers). */
  active = true;
  /** Its state comes from this node's own checks since it became active (publishable). */
  ownVerdict = false;

  constructor(target: ProbeTarget) {
    this.target = target;
  }
}

export class HealthChecker {
  readonly #table: HealthTable;
  #cfg: CheckSettings;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #jitter: number;
  readonly #tickMs: number;
  readonly #maxConcurrent: number;
  readonly #batchMs: number;
  readonly #metrics: NodeMetrics | undefined;
  readonly #log: Logger | undefined;
  readonly #load: { forget(id: string): void } | undefined;
  readonly #probe: (target: ProbeTarget, cfg: ProbeSettings) => Promise<ProbeResult>;
  readonly #entries = new Map<string, Entry>();
  readonly #heap = new DueHeap<Entry>();
  readonly #transitionListeners = new Set<(e: HealthEvent) => void>();
  readonly #checkListeners = new Set<(id: string, r: ProbeResult) => void>();
  readonly #verdictListeners = new Set<() => void>();
  readonly #backendListeners = new Set<(added: readonly string[]) => void>();
  #active: ((id: string) => boolean) | undefined;
  #phase = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** Per backend: the reason of its last transition, and the detail of its last check if it failed. */
  readonly #reasons = new Map<string, string>();
  readonly #lastFailure = new Map<string, string>();
  #ticker: NodeJS.Timeout | undefined;
  #started = false;
  readonly #pumpNow = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#pump();
  };

  constructor(o: HealthCheckerOptions) {
    this.#table = o.table;
    this.#cfg = o.config;
    this.#now = o.now ?? monotonicNow;
    this.#random = o.random ?? Math.random;
    this.#jitter = o.jitter ?? 0.1;
    this.#tickMs = o.tickMs ?? 250;
    this.#maxConcurrent = Math.max(1, o.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_CHECKS);
    this.#batchMs = o.batchMs ?? 10;
    this.#metrics = o.metrics;
    this.#log = o.logger;
    this.#load = o.load;
    this.#probe = o.probe ?? httpProbe;
  }

  /** Subscribes to health transitions; returns the unsubscribe function. */
  onTransition(fn: (e: HealthEvent) => void): () => void {
    this.#transitionListeners.add(fn);
    return () => this.#transitionListeners.delete(fn);
  }

  /** Subscribes to every active check result (dashboard, debugging). */
  onCheck(fn: (id: string, r: ProbeResult) => void): () => void {
    this.#checkListeners.add(fn);
    return () => this.#checkListeners.delete(fn);
  }

  /** Called when this node's own verdicts change (what `forEachVerdict` walks). */
  onVerdictChange(fn: () => void): () => void {
    this.#verdictListeners.add(fn);
    return () => this.#verdictListeners.delete(fn);
  }

  /**
   * Called after each membership change that added or removed backends, with the ids that got a
   * new entry (shared checking merges peers' states for those).
   */
  onBackends(fn: (added: readonly string[]) => void): () => void {
    this.#backendListeners.add(fn);
    return () => this.#backendListeners.delete(fn);
  }

  /**
   * Why the backend is in its state, for /status and the dashboard: the last transition's
   * reason ("first check failed: status 404 outside 200..399"), plus the last check's failure
   * when it says something else (a backend can stay down for a new reason). Undefined before
   * the first transition.
   */
  reason(id: string): string | undefined {
    const t = this.#reasons.get(id);
    const f = this.#lastFailure.get(id);
    if (f === undefined || t?.endsWith(f)) return t;
    return t === undefined ? `last check failed: ${f}` : `${t}; last check failed: ${f}`;
  }

  /** Ids currently under active check. */
  get checking(): string[] {
    const out: string[] = [];
    for (const [id, e] of this.#entries) if (e.active) out.push(id);
    return out;
  }

  /** Checks in flight now (never above maxConcurrent). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Every backend known, active or not. */
  get backendIds(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /**
   * Follows a membership change given as the whole list: starts checks for new backends, stops
   * them for removed ones (or ones that moved to another host:port), and syncs the table's
   * member set. O(pool); `applyChanges` does the same in O(change).
   */
  setBackends(backends: readonly Pick<Backend, 'id' | 'host' | 'port'>[]): void {
    const next = new Map(backends.map((b) => [b.id, b]));
    const removed: string[] = [];
    for (const [id, e] of this.#entries)
      if (!next.has(id)) removed.push(id);
      else this.#noteMove(e, next.get(id)!);
    this.#apply(removed, backends);
  }

  /**
   * Follows a membership change given as the diff of two id-sorted lists (RoutingState has it):
   * the same effect as `setBackends(next)`, in O(added + removed + changed). At 10 000 backends
   * the full walk was a third of a one-backend change's cost on a node.
   */
  applyChanges(diff: Pick<BackendDiff, 'added' | 'removed' | 'changed'>): void {
    const removed: string[] = [];
    for (const b of diff.removed) if (this.#entries.has(b.id)) removed.push(b.id);
    const present: Pick<Backend, 'id' | 'host' | 'port'>[] = [...diff.added];
    for (const [, b] of diff.changed) {
      const e = this.#entries.get(b.id);
      if (e !== undefined) this.#noteMove(e, b);
      present.push(b);
    }
    this.#apply(removed, present);
  }

  /** A backend now at another host:port: its checks stop, and `#apply` starts new ones. */
  #noteMove(e: Entry, b: Pick<Backend, 'host' | 'port'>): void {
    if (b.host === e.target.host && b.port === e.target.port) return;
    this.#stopEntry(e);
    this.#entries.delete(e.target.id);
    this.#reasons.delete(e.target.id);
    this.#lastFailure.delete(e.target.id);
  }

  /** Forgets `removed`; checks every backend of `present` that has no entry yet. */
  #apply(removed: readonly string[], present: readonly Pick<Backend, 'id' | 'host' | 'port'>[]): void {
    for (const id of removed) {
      const e = this.#entries.get(id);
      if (e !== undefined) this.#stopEntry(e);
      this.#entries.delete(id);
      this.#metrics?.forget(id);
      this.#reasons.delete(id);
      this.#lastFailure.delete(id);
    }
    this.#table.remove(removed);
    const fresh: Entry[] = [];
    const added: string[] = [];
    for (const b of present) {
      if (this.#entries.has(b.id)) continue;
      this.#table.add(b.id);
      const e = new Entry({ id: b.id, host: b.host, port: b.port });
      e.active = this.#active?.(b.id) ?? true;
      this.#entries.set(b.id, e);
      added.push(b.id);
      this.#metrics?.backend(b.id).healthy.set(this.#table.isUp(b.id) ? 1 : 0);
      if (e.active) fresh.push(e);
    }
    if (this.#started) this.#enqueueFirst(fresh);
    if (removed.length === 0 && added.length === 0) return;
    for (const fn of this.#backendListeners) this.#safely(() => fn(added));
  }

  /**
   * Which backends this node checks itself (shared checking); undefined: all of them. A backend
   * that becomes active is first checked within its spread window; one that stops being
   * active keeps its state until peers' verdicts arrive (`adopt`).
   */
  setActive(active: ((id: string) => boolean) | undefined): void {
    this.#active = active;
    const fresh: Entry[] = [];
    let changed = false;
    for (const [id, e] of this.#entries) {
      const want = active?.(id) ?? true;
      if (want === e.active) continue;
      e.active = want;
      e.ownVerdict = false;
      changed = true;
      if (!want) this.#heap.remove(e);
      else if (!e.running) fresh.push(e);
    }
    if (this.#started) this.#enqueueFirst(fresh);
    if (changed) this.#verdictsChanged();
  }

  isActive(id: string): boolean {
    return this.#entries.get(id)?.active ?? false;
  }

  /** This node's own verdicts: the backends it checks and has checked since, for publication. */
  forEachVerdict(visit: (id: string, state: 'up' | 'down') => void): void {
    for (const [id, e] of this.#entries) {
      if (!e.active || !e.ownVerdict) continue;
      const state = this.#table.checkState(id);
      if (state !== 'unknown') visit(id, state);
    }
  }

  /**
   * A check state concluded by the peers that check `id` (shared checking). Ignored for a
   * backend this node checks itself: its own checks are what its own path to it proves.
   */
  adopt(id: string, state: CheckState, reason: string): HealthEvent | undefined {
    const e = this.#entries.get(id);
    if (e === undefined || e.active) return undefined;
    const ev = this.#table.adoptCheck(id, state, this.#now(), reason);
    if (ev !== undefined) this.#emit(ev);
    return ev;
  }

  /** New check settings (config change): a new interval re-spreads every backend's rounds. */
  configure(cfg: CheckSettings): void {
    const respread = cfg.intervalMs !== this.#cfg.intervalMs;
    this.#cfg = cfg;
    if (!this.#started || !respread) return;
    this.#heap.clear();
    const all: Entry[] = [];
    for (const e of this.#entries.values()) if (e.active) all.push(e);
    this.#enqueueFirst(all);
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const all: Entry[] = [];
    for (const e of this.#entries.values()) if (e.active) all.push(e);
    this.#enqueueFirst(all);
    this.#ticker = setInterval(() => {
      for (const ev of this.#table.tick(this.#now())) this.#emit(ev);
    }, this.#tickMs);
    this.#ticker.unref();
  }

  stop(): void {
    this.#started = false;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.#heap.clear();
  }

  // ------------------------------------------------ passive feed (the data plane's PassiveHealthFeed)
  recordOutcome(id: string, ok: boolean, now: number): HealthEvent | undefined {
    const ev = this.#table.recordOutcome(id, ok, now);
    if (ev !== undefined) this.#emit(ev);
    return ev;
  }

  isUp(id: string): boolean {
    return this.#table.isUp(id);
  }

  // ------------------------------------------------ internals
  /** Anchors a batch of backends across the window a batch of its size is spread over. */
  #enqueueFirst(batch: readonly Entry[]): void {
    if (batch.length === 0) return;
    const now = this.#now();
    const window = firstWindow(this.#cfg.intervalMs, this.#jitter, batch.length);
    for (const e of batch) {
      e.anchor = now + Math.round(window * this.#phase);
      this.#phase = nextPhase(this.#phase);
      e.round = 0;
      e.due = e.anchor;
      if (!e.running) this.#heap.push(e);
    }
    this.#pump();
  }

  /** Launches what is due (up to the concurrency bound), then sleeps until the next due time. */
  #pump(): void {
    if (!this.#started) return;
    const horizon = this.#now() + this.#batchMs;
    while (this.#inFlight < this.#maxConcurrent) {
      const top = this.#heap.peek();
      if (top === undefined || top.due > horizon) break;
      this.#heap.remove(top);
      void this.#run(top);
    }
    this.#arm();
  }

  #arm(): void {
    // At the bound, the next finishing check pumps again.
    if (this.#inFlight >= this.#maxConcurrent) return;
    const top = this.#heap.peek();
    if (top === undefined || top.due >= this.#timerAt) return;
    clearTimeout(this.#timer);
    this.#timerAt = top.due;
    this.#timer = setTimeout(this.#pumpNow, Math.max(0, top.due - this.#now()));
    this.#timer.unref();
  }

  async #run(e: Entry): Promise<void> {
    e.running = true;
    this.#inFlight++;
    let result: ProbeResult;
    try {
      result = await this.#probe(e.target, this.#cfg);
    } catch (err) {
      result = { passed: false, detail: (err as Error).message, latencyMs: 0 };
    }
    e.running = false;
    this.#inFlight--;
    if (!e.stopped && e.active && this.#entries.get(e.target.id) === e) this.#record(e, result);
    this.#pump();
  }

  #record(e: Entry, result: ProbeResult): void {
    const now = this.#now();
    const ev = this.#table.recordCheck(e.target.id, result.passed, now, result.detail);
    if (result.passed) this.#lastFailure.delete(e.target.id);
    else this.#lastFailure.set(e.target.id, result.detail || 'failed');
    const first = !e.ownVerdict;
    e.ownVerdict = true;
    for (const fn of this.#checkListeners) fn(e.target.id, result);
    if (ev !== undefined) this.#emit(ev);
    if (first || ev !== undefined) this.#verdictsChanged();
    if (!this.#started || e.stopped || !e.active) return; // a listener may have changed that
    const offset = roundOffset(this.#cfg.intervalMs, this.#jitter, this.#random);
    e.round = nextRound(e.anchor, this.#cfg.intervalMs, e.round, now, offset);
    e.due = e.anchor + e.round * this.#cfg.intervalMs + offset;
    this.#heap.push(e);
  }

  #stopEntry(e: Entry): void {
    e.stopped = true;
    this.#heap.remove(e);
  }

  #verdictsChanged(): void {
    for (const fn of this.#verdictListeners) this.#safely(fn);
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log?.error({ err }, 'health listener failed');
    }
  }

  #emit(ev: HealthEvent): void {
    this.#reasons.set(ev.id, ev.reason);
    const up = this.#table.isUp(ev.id);
    this.#metrics?.healthTransition(ev.id, ev.to, up);
    if ((ev.from === 'down' || ev.from === 'ejected') && (ev.to === 'up' || ev.to === 'unknown')) {
      this.#load?.forget(ev.id);
    }
    this.#log?.info(
      { backend: ev.id, from: ev.from, to: ev.to, kind: ev.kind, reason: ev.reason },
      'backend health changed',
    );
    for (const fn of this.#transitionListeners) {
      try {
        fn(ev);
      } catch (err) {
        this.#log?.error({ err }, 'health transition listener failed');
      }
    }
  }
}
