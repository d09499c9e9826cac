import { RingleaderError } from '@ringleader/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../logger.js';
import { NOT_AUTHORISED_RETRY_MS } from '../security/noauth.js';
import { RetryLoop } from './retry.js';

function setup(step: (loop: RetryLoop) => Promise<void>) {
  const state = { active: true, runs: 0 };
  const loop: RetryLoop = new RetryLoop({
    step: () => {
      state.runs++;
      return step(loop);
    },
    active: () => state.active,
    retryDelayMs: 100,
    log: silentLogger,
    failure: 'step failed',
  });
  return { loop, state };
}

describe('RetryLoop', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('never overlaps steps; kicks during a step earn one more run', async () => {
    let release: () => void = () => {};
    let inFlight = 0;
    let most = 0;
    const { loop, state } = setup(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((r) => {
        release = r;
      });
      inFlight--;
    });
    loop.kick();
    loop.kick();
    loop.kick();
    expect(state.runs).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.runs).toBe(2);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.runs).toBe(2);
    expect(most).toBe(1);
  });

  it('again() from inside the step runs it once more at once', async () => {
    const { loop, state } = setup(async (l) => {
      if (state.runs < 3) l.again();
    });
    loop.kick();
    await vi.advanceTimersByTimeAsync(0);
    expect(state.runs).toBe(3);
  });

  it('retries a failed step after the delay, and after a long one on NOAUTH', async () => {
    let error: unknown = new Error('boom');
    const { loop, state } = setup(async () => {
      if (state.runs === 1) throw error;
    });
    loop.kick();
    await vi.advanceTimersByTimeAsync(99);
    expect(state.runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.runs).toBe(2);

    state.runs = 0;
    error = new RingleaderError('RL_ZK_NOT_AUTHORISED', 'not authorised: create /x');
    loop.kick();
    await vi.advanceTimersByTimeAsync(NOT_AUTHORISED_RETRY_MS - 1);
    expect(state.runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(state.runs).toBe(2);
  });

  it('neither runs nor retries once inactive, and cancel() drops a pending retry', async () => {
    const { loop, state } = setup(async () => {
      throw new Error('boom');
    });
    loop.kick();
    await vi.advanceTimersByTimeAsync(0);
    loop.cancel();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.runs).toBe(1);

    state.active = false;
    loop.kick();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(state.runs).toBe(1);
  });
});
