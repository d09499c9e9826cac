import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { firstValue } from './first-value.js';

// Real timers: the deadline is an AbortSignal.timeout, which fake timers do not drive.
describe('firstValue', () => {
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
    const started = performance.now();
    await expect(firstValue(e, 'value', undefined, 50, 'no value of /x')).rejects.toMatchObject({
      code: 'RL_ZK_TIMEOUT',
      message: 'ZooKeeper operation timed out: no value of /x after 50 ms',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(e.listenerCount('value')).toBe(0);
  });
});
