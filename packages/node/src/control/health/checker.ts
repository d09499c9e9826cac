// Active health checks driving core's pure HealthTable, plus the passive-outcome entry point
// the data plane feeds: one object owns every change to backend health, so every transition
// (check rise/fall, ejection, return) comes out of one place as an event, a metric and a log
// line. Runs on every node, standbys included, so a promoted node starts warm. It never writes
// ZooKeeper: health changes eligibility only.
//
// Scheduling: one timer per backend. The first check runs within the first `jitter` fraction
// of an interval (spreading a cold start), later ones `intervalMs` ± jitter after the previous
// check finished, so a slow check never overlaps the next. A backend removed (or moved to
// another host:port) mid-check has its result dropped. `draining` backends are checked like
// any other: they must stay healthy while their requests finish.
import type { Backend, HealthCheckConfig, HealthEvent, HealthTable } from '@ringleader/core';
import type { Logger } from 'pino';
import { monotonicNow } from '../../seam.js';
import type { NodeMetrics } from '../metrics.js';
import { probe as httpProbe, type ProbeResult, type ProbeSettings, type ProbeTarget } from './probe.js';

export type CheckSettings = Pick<HealthCheckConfig, 'path' | 'intervalMs' | 'timeoutMs' | 'expectStatus'>;

export interface HealthCheckerOptions {
  /** Health state; rise/fall and outlier settings live there (`table.configure`). */
  readonly table: HealthTable;
  readonly config: CheckSettings;
  /** Clock in ms for the table (default performance.now); must match the data plane's `now`. */
  readonly now?: () => number;
  readonly random?: () => number;
  /** Fraction of the interval to jitter by, default 0.1 (±10 %). */
  readonly jitter?: number;
  /** How often lapsed ejections are swept and reported, default 250 ms. */
  readonly tickMs?: number;
  readonly metrics?: NodeMetrics;
  readonly logger?: Logger;
  /** Its figures are forgotten when a backend comes back, so least-response-time probes it afresh. */
  readonly load?: { forget(id: string): void };
  /** Injectable for tests; defaults to the HTTP probe. */
  readonly probe?: (target: ProbeTarget, cfg: ProbeSettings) => Promise<ProbeResult>;
}

/** Delay before the next check: interval ± jitter. Pure. */
export function nextCheckDelay(intervalMs: number, jitter: number, random: () => number): number {
  return Math.max(1, Math.round(intervalMs * (1 - jitter + 2 * jitter * random())));
}

class Entry {
  readonly target: ProbeTarget;
  timer: NodeJS.Timeout | undefined = undefined;
  running = false;
  stopped = false;

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
  readonly #metrics: NodeMetrics | undefined;
  readonly #log: Logger | undefined;
  readonly #load: { forget(id: string): void } | undefined;
  readonly #probe: (target: ProbeTarget, cfg: ProbeSettings) => Promise<ProbeResult>;
  readonly #entries = new Map<string, Entry>();
  readonly #transitionListeners = new Set<(e: HealthEvent) => void>();
  readonly #checkListeners = new Set<(id: string, r: ProbeResult) => void>();
  /** Per backend: the reason of its last transition, and the detail of its last check if it failed. */
  readonly #reasons = new Map<string, string>();
  readonly #lastFailure = new Map<string, string>();
  #ticker: NodeJS.Timeout | undefined;
  #started = false;

  constructor(o: HealthCheckerOptions) {
    this.#table = o.table;
    this.#cfg = o.config;
    this.#now = o.now ?? monotonicNow;
    this.#random = o.random ?? Math.random;
    this.#jitter = o.jitter ?? 0.1;
    this.#tickMs = o.tickMs ?? 250;
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
    return [...this.#entries.keys()];
  }

  /**
   * Follows a membership change: starts checks for new backends, stops them for removed ones
   * (or ones that moved to another host:port), and syncs the table's member set.
   */
  setBackends(backends: readonly Pick<Backend, 'id' | 'host' | 'port'>[]): void {
    const next = new Map(backends.map((b) => [b.id, b]));
    for (const [id, e] of this.#entries) {
      const b = next.get(id);
      if (b === undefined || b.host !== e.target.host || b.port !== e.target.port) {
        this.#stopEntry(e);
        this.#entries.delete(id);
        if (b === undefined) this.#metrics?.forget(id);
        this.#reasons.delete(id);
        this.#lastFailure.delete(id);
      }
    }
    this.#table.sync(next.keys());
    for (const b of backends) {
      if (this.#entries.has(b.id)) continue;
      const e = new Entry({ id: b.id, host: b.host, port: b.port });
      this.#entries.set(b.id, e);
      this.#metrics?.backend(b.id).healthy.set(this.#table.isUp(b.id) ? 1 : 0);
      if (this.#started) this.#schedule(e, this.#firstDelay());
    }
  }

  /** New check settings (config change): pending checks are rescheduled on the new interval. */
  configure(cfg: CheckSettings): void {
    this.#cfg = cfg;
    if (!this.#started) return;
    for (const e of this.#entries.values()) {
      if (e.running) continue;
      clearTimeout(e.timer);
      this.#schedule(e, this.#firstDelay());
    }
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const e of this.#entries.values()) this.#schedule(e, this.#firstDelay());
    this.#ticker = setInterval(() => {
      for (const ev of this.#table.tick(this.#now())) this.#emit(ev);
    }, this.#tickMs);
    this.#ticker.unref();
  }

  stop(): void {
    this.#started = false;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    for (const e of this.#entries.values()) clearTimeout(e.timer);
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
  #firstDelay(): number {
    return Math.round(this.#random() * this.#jitter * this.#cfg.intervalMs);
  }

  #schedule(e: Entry, delay: number): void {
    if (e.stopped || !this.#started) return;
    e.timer = setTimeout(() => void this.#run(e), delay);
    e.timer.unref();
  }

  async #run(e: Entry): Promise<void> {
    if (e.stopped || e.running) return;
    e.running = true;
    let result: ProbeResult;
    try {
      result = await this.#probe(e.target, this.#cfg);
    } catch (err) {
      result = { passed: false, detail: (err as Error).message, latencyMs: 0 };
    }
    e.running = false;
    if (e.stopped || this.#entries.get(e.target.id) !== e) return; // removed while checking
    const ev = this.#table.recordCheck(e.target.id, result.passed, this.#now(), result.detail);
    if (result.passed) this.#lastFailure.delete(e.target.id);
    else this.#lastFailure.set(e.target.id, result.detail || 'failed');
    for (const fn of this.#checkListeners) fn(e.target.id, result);
    if (ev !== undefined) this.#emit(ev);
    this.#schedule(e, nextCheckDelay(this.#cfg.intervalMs, this.#jitter, this.#random));
  }

  #stopEntry(e: Entry): void {
    e.stopped = true;
    clearTimeout(e.timer);
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
