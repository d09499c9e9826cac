import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { firstValue } from './first-value.js';

describe('firstValue', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('gives the current value at once, else the next one emitted', async () => {
    const e = new EventEmitter<{ value: [number] }>();
    await expect(firstValue(e, 'value', 1, 100, 'no value')).resolves.toBe(1);
    const next = firstValue(e, 'value', undefined, 100, 'no value');
    e.emit('value', 2);
    await expect(next).resolves.toBe(2);
    expect(e.listenerCount('value')).toBe(0);
  });

  it('times out with RL_ZK_TIMEOUT and stops listening', async () => {
    const e = new EventEmitter<{ value: [number] }>();
    const next = firstValue(e, 'value', undefined, 100, 'no value of /x');
    const seen = expect(next).rejects.toMatchObject({
      code: 'RL_ZK_TIMEOUT',
      message: 'ZooKeeper operation timed out: no value of /x after 100 ms',
    });
    await vi.advanceTimersByTimeAsync(100);
    await seen;
    expect(e.listenerCount('value')).toBe(0);
  });
});
