import { describe, expect, it } from 'vitest';
import { bindRetryDelay, type ListenerState, nextListenerState } from './listener-state.js';

describe('service listener lifecycle', () => {
  const opening: ListenerState = { phase: 'opening', attempt: 1 };

  it('binds, drains and closes', () => {
    const up = nextListenerState(opening, { kind: 'bound', host: '127.0.0.2', port: 6380, now: 5 });
    expect(up).toEqual({ phase: 'listening', host: '127.0.0.2', port: 6380, since: 5 });
    const draining = nextListenerState(up, { kind: 'drain', graceMs: 100, now: 10 });
    expect(draining).toEqual({ phase: 'draining', until: 110 });
    // A second drain does not extend the deadline.
    expect(nextListenerState(draining, { kind: 'drain', graceMs: 5000, now: 20 })).toBe(draining);
    expect(nextListenerState(draining, { kind: 'closed' })).toEqual({ phase: 'closed' });
  });

  it('a failed bind is retried with back-off, not fatal', () => {
    const failed = nextListenerState(opening, {
      kind: 'bind-failed',
      code: 'EADDRINUSE',
      message: 'address already in use 127.0.0.1:6380',
      now: 1000,
    });
    expect(failed).toMatchObject({ phase: 'bind-failed', attempt: 1, code: 'EADDRINUSE', retryAt: 2000 });
    const again = nextListenerState(failed, { kind: 'retry' });
    expect(again).toEqual({ phase: 'opening', attempt: 2 });
    const failed2 = nextListenerState(again, {
      kind: 'bind-failed',
      code: 'EADDRINUSE',
      message: 'x',
      now: 0,
    });
    expect(failed2).toMatchObject({ retryAt: 2000 });
  });

  it('ignores events that do not apply', () => {
    const closed: ListenerState = { phase: 'closed' };
    expect(nextListenerState(closed, { kind: 'bound', host: 'h', port: 1, now: 0 })).toBe(closed);
    expect(nextListenerState(closed, { kind: 'retry' })).toBe(closed);
    expect(nextListenerState(closed, { kind: 'drain', graceMs: 1, now: 0 })).toBe(closed);
    const u: ListenerState = { phase: 'unsupported', message: 'm' };
    expect(nextListenerState(u, { kind: 'bind-failed', code: 'E', message: 'm', now: 0 })).toBe(u);
  });

  it('back-off doubles from 1 s to at most 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(bindRetryDelay)).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });
});
