import { describe, expect, it } from 'vitest';
import { Coalescer, type Timers } from './membership-coalesce.js';

/** A hand-driven clock: timers fire only when the test advances time. */
class ManualTimers implements Timers {
  now = 0;
  #next = 1;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  get pending(): number {
    return this.#due.size;
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = [...this.#due.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (next === undefined) break;
      this.#due.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = until;
  }
}

function setup(delayMs = 5, maxWaitMs = 50) {
  const timers = new ManualTimers();
  const flushes: number[] = [];
  const c = new Coalescer({ delayMs, maxWaitMs, timers, flush: () => flushes.push(timers.now) });
  return { timers, flushes, c };
}

describe('Coalescer', () => {
  it('turns a burst of changes inside the window into one flush at the end of the window', () => {
    const { timers, flushes, c } = setup();
    for (let i = 0; i < 200; i++) {
      c.markDirty();
      timers.advance(0.01);
    }
    expect(flushes).toEqual([]);
    timers.advance(5);
    expect(flushes).toEqual([5]);
    expect(c.state).toBe('idle');
    expect(timers.pending).toBe(0);
  });

  it('does nothing without a change', () => {
    const { timers, flushes, c } = setup();
    c.readStarted();
    c.readEnded();
    timers.advance(1000);
    expect(flushes).toEqual([]);
  });

  it('waits for reads still in flight when the window closes, then flushes as the last one ends', () => {
    const { timers, flushes, c } = setup();
    c.markDirty();
    c.readStarted();
    c.readStarted();
    timers.advance(5);
    expect(c.state).toBe('draining');
    expect(flushes).toEqual([]);
    timers.advance(3);
    c.readEnded();
    expect(flushes).toEqual([]);
    timers.advance(2);
    c.markDirty(); // the last read changed something: absorbed by the pending flush
    c.readEnded();
    expect(flushes).toEqual([10]);
    expect(c.state).toBe('idle');
  });

  it('flushes after maxWait even while reads keep running, and opens a new window afterwards', () => {
    const { timers, flushes, c } = setup(5, 50);
    c.markDirty();
    c.readStarted();
    timers.advance(49);
    expect(flushes).toEqual([]);
    timers.advance(1);
    expect(flushes).toEqual([50]);
    c.markDirty();
    c.readEnded();
    timers.advance(5);
    expect(flushes).toEqual([50, 55]);
  });

  it('separates changes that arrive after a flush into their own window', () => {
    const { timers, flushes, c } = setup();
    c.markDirty();
    timers.advance(5);
    timers.advance(20);
    c.markDirty();
    timers.advance(5);
    expect(flushes).toEqual([5, 30]);
  });

  it('never flushes after cancel', () => {
    const { timers, flushes, c } = setup();
    c.markDirty();
    c.readStarted();
    c.cancel();
    c.readEnded();
    timers.advance(100);
    expect(flushes).toEqual([]);
    expect(timers.pending).toBe(0);
    expect(c.inFlight).toBe(0);
  });
});
