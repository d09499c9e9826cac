// Request-rate and error-rate history for the dashboard, and each backend's share of the last
// minute's traffic. Fed OFF the request path: once a second it reads the cumulative
// `ringleader_requests_total{backend,code}` values the data plane already keeps (plain numbers,
// see metrics.ts) and turns the differences into 1 s buckets. The request path gains nothing.
//
// Memory: two arrays of `windowS` numbers, plus one sparse map per second of the share window
// (only backends that took requests in that second) and a running per-backend sum, updated in
// O(backends that changed) per second.

export interface CounterValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export interface TrafficSeries {
  /** The epoch second of the last bucket. */
  readonly end: number;
  /** Requests finished per second, oldest first (length windowS). */
  readonly req: number[];
  /** Of those, answered with a 5xx status. */
  readonly err: number[];
  /**
   * Requests a node refused because it does not serve (a standby in `reject` mode, or a hold
   * that ran out): answered 503 but not traffic served, so counted here and in neither req nor
   * err. Absent from nodes of older versions (read as zeros).
   */
  readonly refused?: number[];
}

export interface TrafficSamplerOptions {
  /** Reads the cumulative request counters (ringleader_requests_total values). */
  readonly read: () => Promise<readonly CounterValue[]> | readonly CounterValue[];
  /**
   * Cumulative count of requests refused as not-leader (DataPlaneStats.rejected). The data
   * plane counts those refusals in ringleader_requests_total as `_none` 503s, like a serving
   * node's "no backend" 503: this tells them apart.
   */
  readonly refused?: () => number;
  /** Seconds of history kept (default 300). */
  readonly windowS?: number;
  /** Seconds over which backend shares are summed (default 60). */
  readonly shareWindowS?: number;
  readonly now?: () => number;
}

/** Labels that count requests but are not backends (metrics.ts NO_BACKEND_LABEL, LEADER_LABEL). */
const isBackend = (id: string): boolean => !id.startsWith('_');
/** Requests a standby forwarded to the leader (metrics.ts LEADER_LABEL). */
const FORWARDED = '_leader';
/** Requests answered without a backend (metrics.ts NO_BACKEND_LABEL). */
const NO_BACKEND = '_none';

/** Growth of a cumulative counter; a counter that restarted (went down) counts from zero. */
const delta = (now: number, before: number): number => (now >= before ? now - before : now);

/**
 * Whether a reading counts in the request and error series. A request a standby forwards is
 * also counted by the leader that proxies it, so forwards are left out of the request rate
 * (no double count); their 502/503/504 answers, which a standby gives when the leader cannot be
 * reached (the errors of a failover), do count as errors.
 */
export function countsAs(backend: string, code: number): { req: boolean; err: boolean } {
  if (backend === FORWARDED) return { req: false, err: code >= 502 && code <= 504 };
  return { req: true, err: code >= 500 };
}

export class TrafficSampler {
  readonly #read: TrafficSamplerOptions['read'];
  readonly #windowS: number;
  readonly #shareWindowS: number;
  readonly #now: () => number;
  readonly #req: Float64Array;
  readonly #err: Float64Array;
  readonly #refusedS: Float64Array;
  readonly #refused: (() => number) | undefined;
  #lastRefused = 0;
  #lastNone503 = 0;
  /** The second each slot of #req/#err holds (slots of older seconds read as 0). */
  readonly #stamp: Float64Array;
  /** Cumulative per-backend totals at the last sample. */
  #lastTotals: Map<string, number> | undefined;
  #lastErr = 0;
  /** Per-second per-backend deltas, newest last, at most shareWindowS of them. */
  readonly #shareSlots: Array<{ sec: number; deltas: Map<string, number> }> = [];
  readonly #shareSum = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #sampling = false;

  constructor(opts: TrafficSamplerOptions) {
    this.#read = opts.read;
    this.#windowS = opts.windowS ?? 300;
    this.#shareWindowS = opts.shareWindowS ?? 60;
    this.#now = opts.now ?? Date.now;
    this.#req = new Float64Array(this.#windowS);
    this.#err = new Float64Array(this.#windowS);
    this.#refusedS = new Float64Array(this.#windowS);
    this.#refused = opts.refused;
    this.#stamp = new Float64Array(this.#windowS).fill(-1);
  }

  start(intervalMs = 1000): this {
    if (this.#timer) return this;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), intervalMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes one sample now; the first one only sets the baseline. */
  async sample(): Promise<void> {
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const values = await this.#read();
      this.ingest(values, this.#refused?.());
    } catch {
      // A failed read leaves a gap of zeros; the next sample catches up.
    } finally {
      this.#sampling = false;
    }
  }

  /**
   * Folds one reading of the cumulative counters in (exposed for tests); `refusedTotal` is the
   * cumulative not-leader refusal count read at the same time.
   */
  ingest(values: readonly CounterValue[], refusedTotal = 0): void {
    const sec = Math.floor(this.#now() / 1000);
    const totals = new Map<string, number>();
    let err = 0;
    let none503 = 0;
    for (const v of values) {
      const backend = String(v.labels.backend ?? '');
      const code = Number(v.labels.code);
      const counts = countsAs(backend, code);
      if (counts.req) totals.set(backend, (totals.get(backend) ?? 0) + v.value);
      if (counts.err) err += v.value;
      if (backend === NO_BACKEND && code === 503) none503 += v.value;
    }
    const last = this.#lastTotals;
    this.#lastTotals = totals;
    const prevErr = this.#lastErr;
    this.#lastErr = err;
    const dRefused = delta(refusedTotal, this.#lastRefused);
    const dNone503 = delta(none503, this.#lastNone503);
    this.#lastRefused = refusedTotal;
    this.#lastNone503 = none503;
    if (last === undefined) return;
    // Refusals counted as `_none` 503s come out of both rates (a websocket refusal is counted
    // as refused only, hence the min).
    const notServed = Math.min(dRefused, dNone503);
    // A backend that left and came back restarts from zero: count its new total, never a negative.
    const deltas = new Map<string, number>();
    let dReq = 0;
    for (const [id, total] of totals) {
      const before = last.get(id) ?? 0;
      const d = total >= before ? total - before : total;
      dReq += d;
      if (d > 0 && isBackend(id)) deltas.set(id, d);
    }
    const dErr = Math.max(0, err >= prevErr ? err - prevErr : err);
    this.#add(sec, Math.max(0, dReq - notServed), Math.max(0, dErr - notServed), dRefused);
    this.#addShares(sec, deltas);
  }

  #add(sec: number, req: number, err: number, refused: number): void {
    const i = sec % this.#windowS;
    if (this.#stamp[i] !== sec) {
      this.#stamp[i] = sec;
      this.#req[i] = 0;
      this.#err[i] = 0;
      this.#refusedS[i] = 0;
    }
    this.#req[i] = (this.#req[i] as number) + req;
    this.#err[i] = (this.#err[i] as number) + err;
    this.#refusedS[i] = (this.#refusedS[i] as number) + refused;
  }

  #addShares(sec: number, deltas: Map<string, number>): void {
    const slots = this.#shareSlots;
    const tail = slots[slots.length - 1];
    if (tail !== undefined && tail.sec === sec) {
      for (const [id, d] of deltas) tail.deltas.set(id, (tail.deltas.get(id) ?? 0) + d);
    } else {
      slots.push({ sec, deltas });
    }
    for (const [id, d] of deltas) this.#shareSum.set(id, (this.#shareSum.get(id) ?? 0) + d);
    while (slots.length > 0 && (slots[0] as { sec: number }).sec <= sec - this.#shareWindowS) {
      const old = slots.shift() as { deltas: Map<string, number> };
      for (const [id, d] of old.deltas) {
        const left = (this.#shareSum.get(id) ?? 0) - d;
        if (left > 0) this.#shareSum.set(id, left);
        else this.#shareSum.delete(id);
      }
    }
  }

  /** The last windowS seconds, ending at the current second. */
  series(): TrafficSeries {
    const end = Math.floor(this.#now() / 1000);
    const n = this.#windowS;
    const req = new Array<number>(n);
    const err = new Array<number>(n);
    const refused = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      const sec = end - (n - 1 - k);
      const i = ((sec % n) + n) % n;
      const fresh = this.#stamp[i] === sec;
      req[k] = fresh ? (this.#req[i] as number) : 0;
      err[k] = fresh ? (this.#err[i] as number) : 0;
      refused[k] = fresh ? (this.#refusedS[i] as number) : 0;
    }
    return { end, req, err, refused };
  }

  /** Requests per backend over the share window (backends without requests are absent). */
  shares(): ReadonlyMap<string, number> {
    return this.#shareSum;
  }
}

/**
 * Sums per-node series into one cluster series ending at `end` (seconds missing from a node
 * count as 0). A dead node's last series keeps counting until it ages out of the window.
 */
export function sumSeries(series: Iterable<TrafficSeries>, end: number, windowS = 300): TrafficSeries {
  const req = new Array<number>(windowS).fill(0);
  const err = new Array<number>(windowS).fill(0);
  const refused = new Array<number>(windowS).fill(0);
  for (const s of series) {
    const len = s.req.length;
    for (let k = 0; k < len; k++) {
      const sec = s.end - (len - 1 - k);
      const j = windowS - 1 - (end - sec);
      if (j < 0 || j >= windowS) continue;
      req[j] = (req[j] as number) + (s.req[k] ?? 0);
      err[j] = (err[j] as number) + (s.err[k] ?? 0);
      refused[j] = (refused[j] as number) + (s.refused?.[k] ?? 0);
    }
  }
  return { end, req, err, refused };
}

/**
 * A peer's history across a restart of that peer. A restarted process starts its series from
 * zeros, so taking its new series as is would wipe what it served before it died (the chart
 * showed 0 req/s before the failover once the killed leader came back). Seconds before
 * `bootSec` (the new process's start) keep the values remembered from the old process; the
 * new process is believed from its start on. Same window and end as `next`.
 */
export function mergeHistory(
  prev: TrafficSeries | undefined,
  next: TrafficSeries,
  bootSec: number,
): TrafficSeries {
  if (prev === undefined) return next;
  const len = next.req.length;
  const req = [...next.req];
  const err = [...next.err];
  const refused = next.refused ? [...next.refused] : new Array<number>(len).fill(0);
  const plen = prev.req.length;
  for (let k = 0; k < len; k++) {
    const sec = next.end - (len - 1 - k);
    if (sec >= bootSec) break;
    const j = plen - 1 - (prev.end - sec);
    if (j < 0 || j >= plen) continue;
    req[k] = prev.req[j] ?? 0;
    err[k] = prev.err[j] ?? 0;
    refused[k] = prev.refused?.[j] ?? 0;
  }
  return { end: next.end, req, err, refused };
}
