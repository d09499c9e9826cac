import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, planDemo, planKill } from './demo-plan.js';

describe('planDemo', () => {
  it('defaults: forward, 100 req/s, 3000 ms sessions, restart after 5 s, until Ctrl-C', () => {
    expect(planDemo({})).toEqual({
      rate: 100,
      standby: 'forward',
      sessionTimeoutMs: DEMO_DEFAULTS.sessionTimeoutMs,
      durationS: undefined,
      killLeaderAfterS: undefined,
      restartAfterS: 5,
      keepLogs: false,
    });
  });

  it('takes the showcase flags', () => {
    expect(
      planDemo({ duration: '12', killLeaderAfter: '5', standby: 'reject', rate: '50', restartAfter: '0' }),
    ).toMatchObject({ durationS: 12, killLeaderAfterS: 5, standby: 'reject', rate: 50, restartAfterS: 0 });
  });

  it.each([
    [{ standby: 'maybe' }, /invalid --standby/],
    [{ rate: '0' }, /invalid --rate: must be an integer 1\.\.2000/],
    [{ sessionTimeout: '100' }, /invalid --session-timeout/],
    [{ duration: 'soon' }, /invalid --duration/],
    [{ duration: '5', killLeaderAfter: '5' }, /must be less than --duration/],
  ])('%o is refused before anything starts', (flags, re) => {
    expect(() => planDemo(flags)).toThrow(re);
  });
});

describe('planKill', () => {
  it('SIGKILL by default; TERM and SIGTERM both mean SIGTERM', () => {
    expect(planKill({})).toEqual({ signal: 'SIGKILL' });
    expect(planKill({ signal: 'term' })).toEqual({ signal: 'SIGTERM' });
    expect(planKill({ signal: 'SIGTERM', demo: '42' })).toEqual({ signal: 'SIGTERM', demoPid: 42 });
  });

  it('refuses other signals', () => {
    expect(() => planKill({ signal: 'HUP' })).toThrow(/invalid --signal/);
  });
});
