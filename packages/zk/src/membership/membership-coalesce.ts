// Coalescing policy for watch bursts: many ZooKeeper notifications and reads → one flush.
// Pure (timers are injected), so it is unit-tested without a clock or a network.
//
//   idle ──markDirty──▶ waiting ──delay elapsed, reads in flight──▶ draining
//     ▲                    │                                           │
//     └──── flush ◀────────┴── delay elapsed, no read in flight        │
//     └──── flush ◀──────────── last read ended / maxWait elapsed ◀────┘
//
// - The window opens on the first change and lasts `delayMs` (a burst of creates
//   arrives within it and yields ONE snapshot).
// - Reads still in flight when the window closes delay the flush until they end, so
//   a child that was listed but not yet read does not produce a half snapshot.
// - `maxWaitMs` bounds that delay (a steady stream of writes cannot starve the flush):
//   when it elapses the flush happens with what is known; later reads open a new window.

export type CoalesceState = 'idle' | 'waiting' | 'draining';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface CoalescerOptions {
  /** The window opened by the first change (default 5 ms). */
  readonly delayMs?: number;
  /** Upper bound from the first change to the flush, reads in flight or not (default 50 ms). */
  readonly maxWaitMs?: number;
  readonly flush: () => void;
  readonly timers?: Timers;
}

export class Coalescer {
  readonly #delayMs: number;
  readonly #maxWaitMs: number;
  readonly #flush: () => void;
  readonly #timers: Timers;
  #state: CoalesceState = 'idle';
  #inFlight = 0;
  #delayTimer: unknown;
  #maxTimer: unknown;

  constructor(opts: CoalescerOptions) {
    this.#delayMs = Math.max(0, opts.delayMs ?? 5);
    this.#maxWaitMs = Math.max(this.#delayMs, opts.maxWaitMs ?? 50);
    this.#flush = opts.flush;
    this.#timers = opts.timers ?? realTimers;
  }

  get state(): CoalesceState {
    return this.#state;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Something changed: make sure a flush follows. */
  markDirty(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'waiting';
    this.#delayTimer = this.#timers.setTimeout(() => this.#onDelay(), this.#delayMs);
    this.#maxTimer = this.#timers.setTimeout(() => this.#onMaxWait(), this.#maxWaitMs);
  }

  readStarted(): void {
    this.#inFlight += 1;
  }

  /** Call after the read's result was applied (and markDirty called if it changed anything). */
  readEnded(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#state === 'draining' && this.#inFlight === 0) this.#doFlush();
  }

  /** Drops a pending flush (on close). */
  cancel(): void {
    this.#clearTimers();
    this.#state = 'idle';
  }

  #onDelay(): void {
    this.#delayTimer = undefined;
    if (this.#state !== 'waiting') return;
    if (this.#inFlight === 0) this.#doFlush();
    else this.#state = 'draining';
  }

  #onMaxWait(): void {
    this.#maxTimer = undefined;
    if (this.#state !== 'idle') this.#doFlush();
  }

  #doFlush(): void {
    this.#clearTimers();
    this.#state = 'idle';
    this.#flush();
  }

  #clearTimers(): void {
    if (this.#delayTimer !== undefined) this.#timers.clearTimeout(this.#delayTimer);
    if (this.#maxTimer !== undefined) this.#timers.clearTimeout(this.#maxTimer);
    this.#delayTimer = undefined;
    this.#maxTimer = undefined;
  }
}
