import { describe, expect, it } from 'vitest';
import { ConnectionCounter, clientKey, SharedConnectionCounter } from './conn-limit.js';

describe('ConnectionCounter', () => {
  it('admits up to max per IP, counts refusals, and frees slots on close', () => {
    const c = new ConnectionCounter(2);
    expect(c.tryOpen('10.0.0.1')).toBe(true);
    expect(c.tryOpen('10.0.0.1')).toBe(true);
    expect(c.tryOpen('10.0.0.1')).toBe(false);
    expect(c.tryOpen('10.0.0.2')).toBe(true);
    expect(c.refused).toBe(1);
    c.close('10.0.0.1');
    expect(c.tryOpen('10.0.0.1')).toBe(true);
    expect(c.count('10.0.0.1')).toBe(2);
  });

  it('forgets an IP whose last connection closed (memory follows live clients only)', () => {
    const c = new ConnectionCounter(5);
    for (let i = 0; i < 1000; i++) c.tryOpen(`10.0.${i >> 8}.${i & 255}`);
    expect(c.ips).toBe(1000);
    for (let i = 0; i < 1000; i++) c.close(`10.0.${i >> 8}.${i & 255}`);
    expect(c.ips).toBe(0);
    c.close('never-seen');
    expect(c.ips).toBe(0);
  });

  it('folds IPv4-mapped IPv6 onto IPv4, so one client cannot double its share', () => {
    expect(clientKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('::1')).toBe('::1');
    expect(clientKey('::ffff:abcd')).toBe('::ffff:abcd');
    expect(clientKey(undefined)).toBe('');
  });
});

describe('SharedConnectionCounter (the per-IP cap across data-plane workers)', () => {
  it('caps one IP across every worker that shares the table', () => {
    const w0 = new SharedConnectionCounter(3, 2, 0);
    const w1 = new SharedConnectionCounter(3, 2, 1, w0.buffer);
    expect(w0.tryOpen('10.0.0.1')).toBe(true);
    expect(w1.tryOpen('10.0.0.1')).toBe(true);
    expect(w1.tryOpen('10.0.0.1')).toBe(true);
    // The fourth is refused on either thread, and counted where it was refused.
    expect(w0.tryOpen('10.0.0.1')).toBe(false);
    expect(w1.tryOpen('10.0.0.1')).toBe(false);
    expect([w0.refused, w1.refused]).toEqual([1, 1]);
    expect(w0.count('10.0.0.1')).toBe(3);
    // Another IP is not affected; a close on one thread frees a place for the other.
    expect(w0.tryOpen('10.0.0.2')).toBe(true);
    w1.close('10.0.0.1');
    expect(w0.tryOpen('10.0.0.1')).toBe(true);
  });

  it('frees the places of a worker that exited', () => {
    const w0 = new SharedConnectionCounter(2, 2, 0);
    const w1 = new SharedConnectionCounter(2, 2, 1, w0.buffer);
    w1.tryOpen('10.0.0.9');
    w1.tryOpen('10.0.0.9');
    expect(w0.tryOpen('10.0.0.9')).toBe(false);
    w0.clearWorker(1);
    expect(w0.count('10.0.0.9')).toBe(0);
    expect(w0.tryOpen('10.0.0.9')).toBe(true);
  });

  it('over-counts only by collision, and then rarely: 5000 clients with one connection each all pass a cap of 2', () => {
    const c = new SharedConnectionCounter(2, 1);
    let refused = 0;
    for (let i = 0; i < 5000; i++)
      if (!c.tryOpen(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)) refused++;
    expect(refused).toBe(0);
    for (let i = 0; i < 5000; i++) c.close(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(c.count('10.0.0.1')).toBe(0);
  });

  it('refuses a table of the wrong size or a worker outside it', () => {
    const w = new SharedConnectionCounter(2, 2);
    expect(() => new SharedConnectionCounter(2, 3, 0, w.buffer)).toThrow(/wrong size/);
    expect(() => new SharedConnectionCounter(2, 2, 2, w.buffer)).toThrow(/not one of 0..1/);
  });
});
