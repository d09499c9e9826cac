// One worker slot's bookkeeping on the main thread: its state (slot-state.ts), the worker in
// it, the counters it last pushed (and those of its crashed predecessors, so totals never
// fall), its acknowledged seam message and snapshot version, and waiters on its state.
import type { Worker } from 'node:worker_threads';
import type { LoadSummary } from '@ringleader/core';
import { type DataPlaneStats, ZERO_PLANE_STATS } from '../seam.js';
import type { MetricsJson } from './metrics.js';
import type { Stats } from './protocol.js';
import { nextSlotState, type SlotEvent, type SlotState } from './slot-state.js';

export const COUNTERS = [
  'requests',
  'retries',
  'noBackend',
  'rejected',
  'forwarded',
  'held',
  'voidedPermits',
  'upstreamErrors',
  'limitRejections',
  'tunnels',
] as const satisfies readonly (keyof DataPlaneStats)[];

export const ZERO_STATS: Stats = { ...ZERO_PLANE_STATS };

/** Counters added; gauges (inFlight, pools) added too, for a sum over live workers. */
export function addStats(a: Stats, b: Stats): Stats {
  const out: Stats = { ...a, inFlight: a.inFlight + b.inFlight, pools: a.pools + b.pools };
  for (const k of COUNTERS) out[k] = a[k] + b[k];
  return out;
}

/** A dead worker's counters, carried into its slot's total (its gauges end with it). */
export const carry = (carried: Stats, last: Stats): Stats =>
  addStats(carried, { ...last, inFlight: 0, pools: 0 });

export class Slot {
  state: SlotState = 'starting';
  worker: Worker | undefined;
  stats: Stats = ZERO_STATS;
  carried: Stats = ZERO_STATS;
  load: LoadSummary = { backends: {} };
  ackedSeq = 0;
  version: number | null = null;
  port: number | undefined;
  listenError: { code: string; message: string } | undefined;
  restarts = 0;
  crashes: number[] = [];
  readonly metricReplies = new Map<number, (m: MetricsJson) => void>();
  readonly #waiters: Array<{ when: (s: Slot) => boolean; resolve: () => void }> = [];

  readonly id: number;

  constructor(id: number) {
    this.id = id;
  }

  to(event: SlotEvent): void {
    this.state = nextSlotState(this.state, event);
    this.settle();
  }

  /** Wakes the waiters whose condition now holds. */
  settle(): void {
    for (const w of [...this.#waiters]) {
      if (!w.when(this)) continue;
      this.#waiters.splice(this.#waiters.indexOf(w), 1);
      w.resolve();
    }
  }

  until(when: (s: Slot) => boolean): Promise<void> {
    if (when(this)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ when, resolve }));
  }

  /** This slot's totals over its workers' lives. */
  get total(): Stats {
    return addStats(this.carried, this.stats);
  }
}
