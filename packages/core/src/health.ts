// Backend health: active checks (rise/fall) and passive ejection (outlier
// detection), as a pure state machine per backend plus a table the data plane
// holds across routing snapshots. Nothing here reads a clock or does I/O: every
// method takes `now` (ms, any monotonic origin), and transitions come back as
// events for the caller to log, count and act on.
//
// Active checks. States 'unknown' | 'up' | 'down'; a backend starts 'unknown'.
// - 'unknown' routes (like HAProxy, which starts servers up while the first
//   checks run): a node that just started, or a backend that just registered,
//   must not black-hole traffic for rise × interval seconds.
// - The first check result settles it at once: pass → 'up', fail → 'down'. With
//   no history, one observation is the best evidence we have; a backend that
//   registered before it could serve stops receiving traffic after one interval,
//   not after fall × interval.
// - 'up' → 'down' after `fall` consecutive failures; 'down' → 'up' after `rise`
//   consecutive successes. A result in the other direction resets the streak.
//
// Passive ejection (Envoy's consecutive-5xx outlier detection). The data plane
// reports each request's outcome (failure = connect error or 5xx). After
// `consecutiveFailures` failures in a row the backend is ejected for
// base × 2^(k−1) ms, capped at max, k = its ejection count; it returns by itself
// when that time is up (isUp says so from then on; tick() reports the event). A
// success resets the consecutive counter. k decays by one for every base ms spent
// not ejected since the last return, so an old incident stops lengthening new
// ejections. Failures of requests that were in flight when the backend was
// ejected do not count again. consecutiveFailures = 0 turns ejection off.
// Safety valve: at most maxEjectedFraction (default 1/2, but always at least one)
// of the known backends are ejected at a time, so a failing dependency shared by
// every backend cannot make the balancer eject them all.
//
// Routing: isUp(id) = check state ≠ 'down' and not within an ejection. When a
// backend comes back ('down' → 'up', or an ejection ends) the data plane should
// call load.forget(id) so least-response-time probes it instead of trusting the
// figures from before its failure.

import type { HealthCheckConfig, HealthView, OutlierConfig } from './types.js';

export type CheckState = 'unknown' | 'up' | 'down';
/** A backend's effective state: its check state, or 'ejected'. */
export type HealthState = CheckState | 'ejected';

export interface HealthEvent {
  readonly id: string;
  /** 'check': an active-check transition; 'outlier': an ejection or a return. */
  readonly kind: 'check' | 'outlier';
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
  readonly at: number;
}

export interface HealthSettings {
  readonly healthCheck: Pick<HealthCheckConfig, 'rise' | 'fall'>;
  readonly outlier: OutlierConfig;
  /** Largest fraction of known backends ejected at once (at least one may always be). Default 0.5. */
  readonly maxEjectedFraction?: number;
}

/** One backend's health. Pure: every input, the time included, is a parameter. */
export class BackendHealth {
  readonly id: string;
  check: CheckState = 'unknown';
  /** Consecutive check results pointing away from the current state. */
  private streak = 0;
  /** Consecutive passive failures (reset by a success or an ejection). */
  consecutiveFailures = 0;
  /** Ejection count k (decays while the backend stays in). */
  ejections = 0;
  /** End of the current ejection; meaningful while `ejected`. */
  ejectedUntil = 0;
  ejected = false;
  private returnedAt = 0;

  constructor(id: string) {
    this.id = id;
  }

  /** Effective state at time `now`. */
  state(now: number): HealthState {
    return this.ejected && now < this.ejectedUntil ? 'ejected' : this.check;
  }

  routable(now: number): boolean {
    return this.check !== 'down' && !(this.ejected && now < this.ejectedUntil);
  }

  /** Applies one active check result. */
  onCheck(
    passed: boolean,
    now: number,
    rise: number,
    fall: number,
    detail?: string,
  ): HealthEvent | undefined {
    const from = this.check;
    const why = detail === undefined || detail === '' ? '' : `: ${detail}`;
    let reason: string;
    if (from === 'unknown') {
      this.check = passed ? 'up' : 'down';
      this.streak = 0;
      reason = passed ? 'first check passed' : `first check failed${why}`;
    } else if ((from === 'up') !== passed) {
      this.streak++;
      const need = passed ? rise : fall;
      if (this.streak < need) return undefined;
      this.check = passed ? 'up' : 'down';
      this.streak = 0;
      reason = passed ? `${need} consecutive checks passed` : `${need} consecutive checks failed${why}`;
    } else {
      this.streak = 0;
      return undefined;
    }
    return { id: this.id, kind: 'check', from, to: this.check, reason, at: now };
  }

  /**
   * Takes a check state concluded elsewhere (shared checking: the peers that check this
   * backend, merged by the caller). Their rise/fall already applied, so it is adopted as is
   * and the streak restarts; an unchanged state is no event.
   */
  adopt(to: CheckState, now: number, reason: string): HealthEvent | undefined {
    const from = this.check;
    this.streak = 0;
    if (from === to) return undefined;
    this.check = to;
    return { id: this.id, kind: 'check', from, to, reason, at: now };
  }

  /**
   * Applies one request outcome (ok = not a connect failure or 5xx). `mayEject`
   * is false when the table's ejection budget is spent.
   */
  onOutcome(ok: boolean, now: number, cfg: OutlierConfig, mayEject = true): HealthEvent | undefined {
    if (ok) {
      this.consecutiveFailures = 0;
      return undefined;
    }
    if (cfg.consecutiveFailures <= 0) return undefined;
    if (this.ejected && now < this.ejectedUntil) return undefined; // already out
    this.expire(now); // a lapsed ejection ends before a new one starts
    if (++this.consecutiveFailures < cfg.consecutiveFailures || !mayEject) return undefined;
    if (this.ejections > 0 && now > this.returnedAt) {
      this.ejections = Math.max(0, this.ejections - Math.floor((now - this.returnedAt) / cfg.baseEjectionMs));
    }
    // k grows only while base·2^(k−1) is below max, so it stays small.
    if (this.ejections === 0 || cfg.baseEjectionMs * 2 ** (this.ejections - 1) < cfg.maxEjectionMs) {
      this.ejections++;
    }
    const duration = Math.min(cfg.baseEjectionMs * 2 ** (this.ejections - 1), cfg.maxEjectionMs);
    const failures = this.consecutiveFailures;
    this.ejected = true;
    this.ejectedUntil = now + duration;
    this.consecutiveFailures = 0;
    return {
      id: this.id,
      kind: 'outlier',
      from: this.check,
      to: 'ejected',
      reason: `${failures} consecutive failures: ejected for ${duration} ms (ejection ${this.ejections})`,
      at: now,
    };
  }

  /** Ends a lapsed ejection; the event says the backend is back. */
  expire(now: number): HealthEvent | undefined {
    if (!this.ejected || now < this.ejectedUntil) return undefined;
    this.ejected = false;
    this.returnedAt = this.ejectedUntil;
    this.consecutiveFailures = 0;
    return {
      id: this.id,
      kind: 'outlier',
      from: 'ejected',
      to: this.check,
      reason: 'ejection ended',
      at: now,
    };
  }
}

export interface BackendHealthSummary {
  readonly id: string;
  readonly state: HealthState;
  readonly check: CheckState;
  readonly ejectedUntil: number | undefined;
  readonly ejections: number;
  readonly consecutiveFailures: number;
}

/**
 * Health of every backend, keyed by id: the HealthView policies read. Mutated only
 * through its methods; it outlives routing snapshots (a rebuild keeps health).
 * Unknown ids are routable ('unknown'). "Now" for isUp is the newest time any
 * method was given.
 */
export class HealthTable implements HealthView {
  private readonly byId = new Map<string, BackendHealth>();
  private readonly ejectedIds = new Set<string>();
  /** Returns noticed outside tick(), reported by the next tick(). */
  private pending: HealthEvent[] = [];
  private settings: HealthSettings;
  private clock = Number.NEGATIVE_INFINITY;
  /** Bumped whenever an isUp answer may have changed (HealthView.version). */
  private ver = 0;
  /** Earliest end of a running ejection after `clock` (+Infinity when none). */
  private nextExpiry = Number.POSITIVE_INFINITY;

  constructor(settings: HealthSettings) {
    this.settings = settings;
  }

  /** New thresholds (config change); states are kept. */
  configure(settings: HealthSettings): void {
    this.settings = settings;
  }

  private advance(now: number): void {
    if (now <= this.clock) return;
    this.clock = now;
    if (now >= this.nextExpiry) {
      // An ejection has lapsed: isUp changes now, whenever tick() reports it.
      this.ver++;
      let next = Number.POSITIVE_INFINITY;
      for (const id of this.ejectedIds) {
        const until = this.byId.get(id)?.ejectedUntil ?? 0;
        if (until > now && until < next) next = until;
      }
      this.nextExpiry = next;
    }
  }

  /** Changes whenever any isUp answer may have changed, so policies can cache figures derived from health. */
  version(): number {
    return this.ver;
  }

  private get(id: string): BackendHealth {
    let h = this.byId.get(id);
    if (h === undefined) {
      h = new BackendHealth(id);
      this.byId.set(id, h);
    }
    return h;
  }

  /** Sets the membership: new ids start 'unknown', removed ids are forgotten. O(n). */
  sync(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of keep) this.get(id);
    const gone: string[] = [];
    for (const id of this.byId.keys()) if (!keep.has(id)) gone.push(id);
    this.remove(gone);
  }

  /** A new member, starting 'unknown' (a known one keeps its state). O(1). */
  add(id: string): void {
    this.get(id);
  }

  /** Forgets members, with their pending events. O(removed + pending). */
  remove(ids: readonly string[]): void {
    let dropped = false;
    for (const id of ids) {
      if (!this.byId.delete(id)) continue;
      this.ejectedIds.delete(id);
      dropped = true;
    }
    if (!dropped) return;
    this.ver++;
    const gone = new Set(ids);
    if (this.pending.some((e) => gone.has(e.id))) this.pending = this.pending.filter((e) => !gone.has(e.id));
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  isUp(id: string): boolean {
    const h = this.byId.get(id);
    return h === undefined || h.routable(this.clock);
  }

  state(id: string): HealthState {
    return this.byId.get(id)?.state(this.clock) ?? 'unknown';
  }

  recordCheck(id: string, passed: boolean, now: number, detail?: string): HealthEvent | undefined {
    this.advance(now);
    const { rise, fall } = this.settings.healthCheck;
    const event = this.get(id).onCheck(passed, now, rise, fall, detail);
    if (event !== undefined) this.ver++;
    return event;
  }

  /** Sets a check state concluded by peers (shared checking). O(1). */
  adoptCheck(id: string, to: CheckState, now: number, reason: string): HealthEvent | undefined {
    this.advance(now);
    const event = this.get(id).adopt(to, now, reason);
    if (event !== undefined) this.ver++;
    return event;
  }

  /** The active-check state alone (no ejection), 'unknown' for an unknown id. */
  checkState(id: string): CheckState {
    return this.byId.get(id)?.check ?? 'unknown';
  }

  /** One request outcome. May eject (returns the event). O(1). */
  recordOutcome(id: string, ok: boolean, now: number): HealthEvent | undefined {
    this.advance(now);
    const h = this.get(id);
    if (ok) {
      h.consecutiveFailures = 0;
      return undefined;
    }
    this.sweep(id, now);
    const fraction = this.settings.maxEjectedFraction ?? 0.5;
    const budget = Math.max(1, Math.floor(fraction * this.byId.size));
    if (this.ejectedIds.size >= budget) for (const other of this.ejectedIds) this.sweep(other, now);
    const event = h.onOutcome(false, now, this.settings.outlier, this.ejectedIds.size < budget);
    if (event !== undefined) {
      this.ejectedIds.add(id);
      this.ver++;
      const until = h.ejectedUntil;
      if (until < this.nextExpiry) this.nextExpiry = until;
    }
    return event;
  }

  /** Ends lapsed ejections and reports them. Call it periodically (e.g. every 100 ms–1 s). O(ejected). */
  tick(now: number): HealthEvent[] {
    this.advance(now);
    for (const id of this.ejectedIds) this.sweep(id, now);
    const events = this.pending;
    this.pending = [];
    return events;
  }

  /** Ends `id`'s ejection if it has lapsed, queueing the event for tick(). */
  private sweep(id: string, now: number): void {
    const e = this.byId.get(id)?.expire(now);
    if (e !== undefined) {
      this.pending.push(e);
      this.ejectedIds.delete(id);
    }
  }

  /** Every backend's state, for /status and metrics. O(n). */
  summary(): BackendHealthSummary[] {
    const out: BackendHealthSummary[] = [];
    for (const h of this.byId.values()) {
      const state = h.state(this.clock);
      out.push({
        id: h.id,
        state,
        check: h.check,
        ejectedUntil: state === 'ejected' ? h.ejectedUntil : undefined,
        ejections: h.ejections,
        consecutiveFailures: h.consecutiveFailures,
      });
    }
    return out;
  }
}
