import { describe, expect, it } from 'vitest';
import {
  leaseUntil,
  livenessVerdict,
  mayHoldSession,
  nextSessionState,
  SESSION_TRANSITIONS,
  type SessionInput,
  type SessionState,
  sessionTiming,
  tickLateness,
  watchdogDue,
} from './session-machine.js';

const STATES: SessionState[] = ['connecting', 'connected', 'suspended', 'expired', 'closed'];
const INPUTS: SessionInput[] = [
  'connected',
  'disconnected',
  'no-reply',
  'contact',
  'expired',
  'new-client',
  'auth-failed',
  'close',
];

describe('session transition table', () => {
  // [from, input, to]; every pair not listed must be ignored (undefined).
  const cases: Array<[SessionState, SessionInput, SessionState]> = [
    ['connecting', 'connected', 'connected'],
    ['connecting', 'expired', 'expired'],
    ['connecting', 'close', 'closed'],
    ['connecting', 'auth-failed', 'closed'],
    ['connected', 'disconnected', 'suspended'],
    ['connected', 'no-reply', 'suspended'],
    ['connected', 'expired', 'expired'],
    ['connected', 'close', 'closed'],
    ['connected', 'auth-failed', 'closed'],
    ['suspended', 'connected', 'connected'],
    ['suspended', 'contact', 'connected'],
    ['suspended', 'expired', 'expired'],
    ['suspended', 'close', 'closed'],
    ['suspended', 'auth-failed', 'closed'],
    ['expired', 'new-client', 'connecting'],
    ['expired', 'close', 'closed'],
  ];

  it.each(cases)('%s --%s--> %s', (from, input, to) => {
    expect(nextSessionState(from, input)).toBe(to);
  });

  it('ignores every other (state, input) pair', () => {
    const listed = new Set(cases.map(([f, i]) => `${f}/${i}`));
    for (const s of STATES) {
      for (const i of INPUTS) {
        if (!listed.has(`${s}/${i}`)) expect(nextSessionState(s, i), `${s}/${i}`).toBeUndefined();
      }
    }
  });

  it('has closed as a terminal state and close reachable from every other state', () => {
    expect(Object.keys(SESSION_TRANSITIONS.closed)).toEqual([]);
    for (const s of STATES.filter((x) => x !== 'closed')) expect(nextSessionState(s, 'close')).toBe('closed');
  });

  it('never leaves expired except into a new client or closed (expiry is final for a client)', () => {
    for (const i of INPUTS) {
      const to = nextSessionState('expired', i);
      if (to !== undefined) expect(['connecting', 'closed']).toContain(to);
    }
  });

  it('says which states may still hold the session', () => {
    expect(STATES.filter(mayHoldSession)).toEqual(['connected', 'suspended']);
  });
});

describe('session timing', () => {
  it('pings every third and suspends after two thirds of the session timeout', () => {
    const t = sessionTiming(1500);
    expect(t.pingEveryMs).toBe(500);
    expect(t.suspendAfterMs).toBe(1000);
    expect(t.watchdogAfterMs).toBe(1000);
    expect(t.checkEveryMs).toBeLessThan(t.pingEveryMs);
  });

  it('judges liveness from the last answered request, on an injected clock', () => {
    const t = sessionTiming(1500);
    expect(livenessVerdict(2000, 1000, t)).toBe('fresh');
    expect(livenessVerdict(2001, 1000, t)).toBe('no-reply');
    expect(watchdogDue(2000, 1000, t)).toBe(false);
    expect(watchdogDue(2001, 1000, t)).toBe(true);
  });

  it('computes the lease from the last contact, the session timeout and a margin', () => {
    expect(leaseUntil(10_000, 2000, 300)).toBe(11_700);
  });

  it('does not count time this process was blocked as server silence (the spurious-failover fault)', () => {
    // A 1500 ms session (watchdog after 1000 ms): 1400 ms without bytes, but the process was
    // not running for 1200 ms of them, so the server's bytes are likely waiting unread.
    const t = sessionTiming(1500);
    expect(watchdogDue(2400, 1000, t)).toBe(true);
    expect(watchdogDue(2400, 1000, t, 1200)).toBe(false);
    expect(watchdogDue(3300, 1000, t, 1200)).toBe(true);
  });

  it('tells a block of the process from timer jitter by how late a tick ran', () => {
    const t = sessionTiming(2000); // a tick every 200 ms
    expect(tickLateness(1000, 0, t)).toEqual({ lateMs: 0, blocked: false });
    expect(tickLateness(1230, 1000, t)).toEqual({ lateMs: 30, blocked: false });
    expect(tickLateness(2600, 1000, t)).toEqual({ lateMs: 1400, blocked: true });
  });
});
