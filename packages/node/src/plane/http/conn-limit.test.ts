import { describe, expect, it } from 'vitest';
import { ConnectionCounter, clientKey } from './conn-limit.js';

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
