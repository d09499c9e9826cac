// What the demo's traffic shows, computed from request outcomes alone (pure, so it is tested
// without processes): per-second windows (requests, errors, the leader that served, its epoch,
// share per backend) and interruptions — from the last success before the first failure to the
// first success after it — labelled a failover when the serving leader or epoch changed.

export interface Outcome {
  /** When the response (or the failure) arrived, ms since the epoch (fractions allowed). */
  readonly at: number;
  readonly ok: boolean;
  /** The backend that answered (its id, from the response body). */
  readonly backend?: string;
  /** The node that proxied the request to the backend (`x-ringleader-node` as the backend saw it). */
  readonly node?: string;
  /** `x-ringleader-epoch` as the backend saw it. */
  readonly epoch?: number;
  /** Why it failed, short: `503 RL_NOT_LEADER`, `ECONNREFUSED`, `timeout`. */
  readonly error?: string;
}

export interface Window {
  readonly requests: number;
  readonly errors: number;
  /** Failure causes, most frequent first. */
  readonly causes: ReadonlyArray<readonly [cause: string, count: number]>;
  /** Successful responses per backend id. */
  readonly byBackend: ReadonlyMap<string, number>;
  /** The node and epoch of the last success in the window (undefined: none succeeded). */
  readonly node: string | undefined;
  readonly epoch: number | undefined;
}

export interface Interruption {
  /** Last success before the first failure. */
  readonly lastOkAt: number;
  readonly firstErrorAt: number;
  /** First success after it. */
  readonly firstOkAt: number;
  /** firstOkAt − lastOkAt: how long no request succeeded. */
  readonly gapMs: number;
  readonly errors: number;
  readonly from: { readonly node: string | undefined; readonly epoch: number | undefined };
  readonly to: { readonly node: string | undefined; readonly epoch: number | undefined };
  /** The serving node or epoch changed across the gap. */
  readonly failover: boolean;
}

/** The serving leader changed without a single failed request (a graceful hand-over). */
export interface SilentHandOver {
  readonly at: number;
  readonly from: { readonly node: string | undefined; readonly epoch: number | undefined };
  readonly to: { readonly node: string | undefined; readonly epoch: number | undefined };
}

export type TrafficEvent =
  | ({ readonly kind: 'interruption' } & Interruption)
  | ({ readonly kind: 'handover' } & SilentHandOver);

export interface Totals {
  readonly requests: number;
  readonly errors: number;
  readonly interruptions: readonly Interruption[];
}

export class TrafficMeter {
  /**
   * A gap shorter than this with the same leader on both sides is a few failed requests among
   * successes (counted as errors), not an interruption of traffic.
   */
  readonly #minGapMs: number;
  #requests = 0;
  #errors = 0;
  #causes = new Map<string, number>();
  #byBackend = new Map<string, number>();
  #totalRequests = 0;
  #totalErrors = 0;
  #interruptions: Interruption[] = [];
  #lastOk: { at: number; node: string | undefined; epoch: number | undefined } | undefined;
  #windowOk = false;
  #open: { lastOkAt: number; firstErrorAt: number; errors: number } | undefined;

  constructor(opts: { minGapMs?: number } = {}) {
    this.#minGapMs = opts.minGapMs ?? 0;
  }

  /** Counts one outcome; returns an event when this outcome ends an interruption or shows a new leader. */
  record(o: Outcome): TrafficEvent | undefined {
    this.#requests++;
    this.#totalRequests++;
    if (!o.ok) {
      this.#errors++;
      this.#totalErrors++;
      const cause = o.error ?? 'error';
      this.#causes.set(cause, (this.#causes.get(cause) ?? 0) + 1);
      if (this.#open) this.#open.errors++;
      else if (this.#lastOk) this.#open = { lastOkAt: this.#lastOk.at, firstErrorAt: o.at, errors: 1 };
      // Failures before the first success ever are start-up, not an interruption.
      return undefined;
    }
    this.#windowOk = true;
    if (o.backend !== undefined) this.#byBackend.set(o.backend, (this.#byBackend.get(o.backend) ?? 0) + 1);
    const prev = this.#lastOk;
    // Responses overtake each other: an older success arriving late does not move the clock back.
    if (prev && o.at < prev.at) return undefined;
    this.#lastOk = { at: o.at, node: o.node, epoch: o.epoch };
    const to = { node: o.node, epoch: o.epoch };
    const from = { node: prev?.node, epoch: prev?.epoch };
    const changed = prev !== undefined && (prev.node !== o.node || prev.epoch !== o.epoch);
    if (this.#open) {
      const open = this.#open;
      this.#open = undefined;
      if (!changed && o.at - open.lastOkAt < this.#minGapMs) return undefined;
      const it: Interruption = {
        lastOkAt: open.lastOkAt,
        firstErrorAt: open.firstErrorAt,
        firstOkAt: o.at,
        gapMs: o.at - open.lastOkAt,
        errors: open.errors,
        from,
        to,
        failover: changed,
      };
      this.#interruptions.push(it);
      return { kind: 'interruption', ...it };
    }
    if (changed) return { kind: 'handover', at: o.at, from, to };
    return undefined;
  }

  /** The window since the last call; starts the next one. */
  tick(): Window {
    const w: Window = {
      requests: this.#requests,
      errors: this.#errors,
      causes: [...this.#causes].sort((a, b) => b[1] - a[1]),
      byBackend: this.#byBackend,
      node: this.#windowOk ? this.#lastOk?.node : undefined,
      epoch: this.#windowOk ? this.#lastOk?.epoch : undefined,
    };
    this.#windowOk = false;
    this.#requests = 0;
    this.#errors = 0;
    this.#causes = new Map();
    this.#byBackend = new Map();
    return w;
  }

  /** True while failures go on and no success has followed yet. */
  get interrupted(): boolean {
    return this.#open !== undefined;
  }

  totals(): Totals {
    return {
      requests: this.#totalRequests,
      errors: this.#totalErrors,
      interruptions: [...this.#interruptions],
    };
  }
}

/**
 * A backend id's share of the window's successes, in whole percent, for every id given (so a
 * backend that got nothing shows 0%). Rounded to sum to 100 (largest remainder).
 */
export function shares(byBackend: ReadonlyMap<string, number>, ids: readonly string[]): Map<string, number> {
  const total = ids.reduce((s, id) => s + (byBackend.get(id) ?? 0), 0);
  const out = new Map<string, number>(ids.map((id) => [id, 0]));
  if (total === 0) return out;
  const exact = ids.map((id) => ((byBackend.get(id) ?? 0) * 100) / total);
  const floors = exact.map(Math.floor);
  let left = 100 - floors.reduce((s, v) => s + v, 0);
  const order = exact.map((v, i) => [v - floors[i]!, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left <= 0) break;
    floors[i] = floors[i]! + 1;
    left--;
  }
  for (const [i, id] of ids.entries()) out.set(id, floors[i]!);
  return out;
}
