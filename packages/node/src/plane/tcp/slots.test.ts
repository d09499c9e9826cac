import { describe, expect, it } from 'vitest';
import { BackendSlots } from './slots.js';

describe('BackendSlots', () => {
  it('caps each backend separately and frees on release', () => {
    const s = new BackendSlots(2);
    expect(s.tryAcquire('a')).toBe(true);
    expect(s.tryAcquire('a')).toBe(true);
    expect(s.tryAcquire('a')).toBe(false);
    expect(s.used('a')).toBe(2);
    expect(s.tryAcquire('b')).toBe(true);
    s.release('a');
    expect(s.full('a')).toBe(false);
    expect(s.tryAcquire('a')).toBe(true);
  });

  it('has no cap when undefined', () => {
    const s = new BackendSlots(undefined);
    for (let i = 0; i < 1000; i++) expect(s.tryAcquire('a')).toBe(true);
    expect(s.used('a')).toBe(1000);
  });

  it('wakes a waiter on release and times out otherwise', async () => {
    const s = new BackendSlots(1);
    s.tryAcquire('a');
    const woken = s.waitForRelease(5_000);
    expect(s.waiting).toBe(1);
    s.release('a');
    await expect(woken).resolves.toBe(true);
    expect(s.waiting).toBe(0);
    await expect(s.waitForRelease(10)).resolves.toBe(false);
    await expect(s.waitForRelease(0)).resolves.toBe(false);
    expect(s.waiting).toBe(0);
  });

  it('raising the cap wakes waiters', async () => {
    const s = new BackendSlots(1);
    s.tryAcquire('a');
    const w = s.waitForRelease(5_000);
    s.setCap(2);
    await expect(w).resolves.toBe(true);
    expect(s.tryAcquire('a')).toBe(true);
  });
});
