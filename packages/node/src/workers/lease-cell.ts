// The lease cell: the serving permit's epoch and lease deadline in a SharedArrayBuffer, written
// by the main thread (the control room) and read by every data-plane worker on each request.
// A worker therefore stops proxying the instant the lease lapses, on its own clock, whether the
// main thread is busy, blocked or was paused with the rest of the process (SIGSTOP: on SIGCONT
// the first thing a worker's request does is read this and the clock).
//
// Clock: performance.now() counts from each thread's own timeOrigin, so it cannot be shared.
// process.hrtime.bigint() is CLOCK_MONOTONIC on Linux, one clock for every thread; the deadline
// is stored in its nanoseconds. The writer converts its performance.now() deadline by sampling
// both clocks at the write, which can only move the deadline earlier by the sampling gap.
//
// Consistency: one writer, many readers, a sequence lock. The writer makes the sequence odd,
// stores epoch and deadline, makes it even again; a reader retries while the sequence is odd or
// changed under it. Atomics are sequentially consistent, so a reader never pairs one grant's
// epoch with another's deadline. A reader that cannot get a clean read in READ_TRIES answers
// "not granted": the safe side.
import type { GateDecision } from '../seam.js';

const SEQ = 0;
const EPOCH = 1;
const DEADLINE = 2;
const WRITES = 3;
const SLOTS = 4;
const NONE = -1n;
const FOREVER = 0x7fff_ffff_ffff_ffffn;
const READ_TRIES = 64;

/** The clock every thread shares: CLOCK_MONOTONIC nanoseconds. */
export const sharedNowNs = (): bigint => process.hrtime.bigint();

/** What the cell holds: the epoch granted (none: -1) and until when (shared-clock ns). */
export interface LeaseGrant {
  readonly epoch: number;
  readonly deadlineNs: bigint;
}

/** The grant a gate implies: a `serve` gate's permit, or nothing. */
export function grantOf(gate: GateDecision): { epoch: number; deadlineMs: number } | undefined {
  return gate.kind === 'serve'
    ? { epoch: gate.permit.epoch, deadlineMs: gate.permit.leaseDeadline }
    : undefined;
}

/**
 * A performance.now() deadline (ms) on the shared clock, given one sample of both clocks taken
 * together. +Infinity (serving not lease-bound) stays unbounded; -Infinity and NaN mean "lapsed".
 */
export function toSharedDeadline(deadlineMs: number, nowMs: number, nowNs: bigint): bigint {
  if (deadlineMs === Number.POSITIVE_INFINITY) return FOREVER;
  if (!Number.isFinite(deadlineMs) || deadlineMs <= nowMs) return 0n;
  // Rounded down: the cell may only ever end a lease early, never late.
  return nowNs + BigInt(Math.floor((deadlineMs - nowMs) * 1e6));
}

export class LeaseCell {
  readonly buffer: SharedArrayBuffer;
  readonly #a: BigInt64Array;

  /** A new cell (no grant), or a view of one made elsewhere (a worker gets the buffer). */
  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(SLOTS * 8);
    if (this.buffer.byteLength < SLOTS * 8) {
      throw new RangeError(
        `lease cell: a buffer of ${SLOTS * 8} bytes is needed, got ${this.buffer.byteLength}`,
      );
    }
    this.#a = new BigInt64Array(this.buffer, 0, SLOTS);
    if (buffer === undefined) Atomics.store(this.#a, EPOCH, NONE);
  }

  /** Writer (the main thread only): grants `epoch` until `deadlineNs`. */
  grant(epoch: number, deadlineNs: bigint): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`lease cell: bad epoch ${epoch}`);
    this.#write(BigInt(epoch), deadlineNs);
  }

  /** Writer: sets the cell from the gate in force (no serve gate: no grant). */
  follow(gate: GateDecision, nowMs = performance.now(), nowNs = sharedNowNs()): void {
    const g = grantOf(gate);
    if (g === undefined) this.revoke();
    else this.grant(g.epoch, toSharedDeadline(g.deadlineMs, nowMs, nowNs));
  }

  /** Writer: no epoch is granted. */
  revoke(): void {
    this.#write(NONE, 0n);
  }

  #write(epoch: bigint, deadline: bigint): void {
    Atomics.add(this.#a, SEQ, 1n);
    Atomics.store(this.#a, EPOCH, epoch);
    Atomics.store(this.#a, DEADLINE, deadline);
    Atomics.add(this.#a, WRITES, 1n);
    Atomics.add(this.#a, SEQ, 1n);
  }

  /** A consistent read; undefined when none could be had (treat as not granted). */
  read(): LeaseGrant | undefined {
    const a = this.#a;
    for (let i = 0; i < READ_TRIES; i++) {
      const s = Atomics.load(a, SEQ);
      if ((s & 1n) === 1n) continue;
      const epoch = Atomics.load(a, EPOCH);
      const deadlineNs = Atomics.load(a, DEADLINE);
      if (Atomics.load(a, SEQ) === s) return { epoch: Number(epoch), deadlineNs };
    }
    return undefined;
  }

  /** Reader: whether `epoch` is granted and its lease has not lapsed at `nowNs`. */
  holds(epoch: number, nowNs = sharedNowNs()): boolean {
    const g = this.read();
    return g !== undefined && g.epoch === epoch && g.epoch >= 0 && nowNs < g.deadlineNs;
  }

  /** Writes so far (for tests and /status). */
  get writes(): number {
    return Number(Atomics.load(this.#a, WRITES));
  }
}

/** Whether a shared-clock deadline is unbounded (serving not bound to a lease). */
export const isForever = (deadlineNs: bigint): boolean => deadlineNs === FOREVER;
