import { describe, expect, it } from 'vitest';
import { BackendHealth, type CheckState, HealthTable } from './health.js';
import type { OutlierConfig } from './types.js';

const outlier: OutlierConfig = { consecutiveFailures: 3, baseEjectionMs: 1000, maxEjectionMs: 5000 };

function table(over: Partial<OutlierConfig> = {}, maxEjectedFraction?: number): HealthTable {
  return new HealthTable({
    healthCheck: { rise: 2, fall: 3 },
    outlier: { ...outlier, ...over },
    ...(maxEjectedFraction === undefined ? {} : { maxEjectedFraction }),
  });
}

describe('active checks: rise and fall', () => {
  // Each case: check results ('+' pass, '-' fail) → check state after each one (rise 2, fall 3).
  const cases: [name: string, results: string, states: CheckState[]][] = [
    ['first pass settles up', '+', ['up']],
    ['first fail settles down', '-', ['down']],
    ['up needs fall=3 failures in a row', '+---', ['up', 'up', 'up', 'down']],
    ['a pass resets the fall streak', '+--+--', ['up', 'up', 'up', 'up', 'up', 'up']],
    ['down needs rise=2 passes in a row', '-++', ['down', 'down', 'up']],
    ['a fail resets the rise streak', '-+-+', ['down', 'down', 'down', 'down']],
    ['flapping down and up', '+---++', ['up', 'up', 'up', 'down', 'down', 'up']],
    ['a pass while up keeps it up', '+++', ['up', 'up', 'up']],
  ];
  it.each(cases)('%s', (_name, results, states) => {
    const h = new BackendHealth('a');
    expect(h.check).toBe('unknown');
    const seen = [...results].map((r, i) => {
      h.onCheck(r === '+', i, 2, 3);
      return h.check;
    });
    expect(seen).toEqual(states);
  });

  it('returns transition events only on edges, with reasons', () => {
    const h = new BackendHealth('a');
    expect(h.onCheck(true, 1, 2, 3)).toEqual({
      id: 'a',
      kind: 'check',
      from: 'unknown',
      to: 'up',
      reason: 'first check passed',
      at: 1,
    });
    expect(h.onCheck(false, 2, 2, 3, 'timeout')).toBeUndefined();
    expect(h.onCheck(false, 3, 2, 3, 'timeout')).toBeUndefined();
    expect(h.onCheck(false, 4, 2, 3, 'status 503')).toMatchObject({
      from: 'up',
      to: 'down',
      reason: '3 consecutive checks failed: status 503',
    });
    expect(h.onCheck(true, 5, 2, 3)).toBeUndefined();
    expect(h.onCheck(true, 6, 2, 3)).toMatchObject({
      from: 'down',
      to: 'up',
      reason: '2 consecutive checks passed',
    });
  });

  it("'unknown' routes; 'down' does not", () => {
    const t = table();
    expect(t.isUp('never-seen')).toBe(true);
    t.sync(['a']);
    expect([t.state('a'), t.isUp('a')]).toEqual(['unknown', true]);
    t.recordCheck('a', false, 0, 'refused');
    expect([t.state('a'), t.isUp('a')]).toEqual(['down', false]);
  });
});

describe('passive ejection', () => {
  it('ejects after N consecutive failures and takes the backend back by itself', () => {
    const t = table();
    t.sync(['a', 'b', 'c']);
    expect(t.recordOutcome('a', false, 0)).toBeUndefined();
    expect(t.recordOutcome('a', false, 1)).toBeUndefined();
    expect(t.recordOutcome('a', false, 2)).toMatchObject({
      id: 'a',
      kind: 'outlier',
      from: 'unknown',
      to: 'ejected',
      reason: '3 consecutive failures: ejected for 1000 ms (ejection 1)',
    });
    expect([t.isUp('a'), t.state('a')]).toEqual([false, 'ejected']);
    t.tick(1001);
    expect(t.isUp('a')).toBe(false);
    // Back at 2 + 1000 even before tick() reports it; tick() then emits the event once.
    expect(t.tick(1002)).toEqual([
      { id: 'a', kind: 'outlier', from: 'ejected', to: 'unknown', reason: 'ejection ended', at: 1002 },
    ]);
    expect(t.isUp('a')).toBe(true);
    expect(t.tick(1003)).toEqual([]);
  });

  it('a success resets the consecutive counter', () => {
    const t = table();
    for (const [ok, now] of [
      [false, 0],
      [false, 1],
      [true, 2],
      [false, 3],
      [false, 4],
    ] as const) {
      expect(t.recordOutcome('a', ok, now)).toBeUndefined();
    }
    expect(t.isUp('a')).toBe(true);
    expect(t.recordOutcome('a', false, 5)?.to).toBe('ejected');
  });

  it('doubles the ejection time on each repeat and caps it at max', () => {
    const t = table();
    const durations: number[] = [];
    let now = 0;
    for (let k = 0; k < 6; k++) {
      let event: ReturnType<HealthTable['recordOutcome']>;
      for (let f = 0; f < 3; f++) event = t.recordOutcome('a', false, now);
      const until = t.summary().find((s) => s.id === 'a')!.ejectedUntil!;
      durations.push(until - now);
      expect(event!.reason).toContain(`ejected for ${until - now} ms`);
      now = until; // fails again right after returning
      t.tick(now);
    }
    expect(durations).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('failures of requests in flight during an ejection do not extend it', () => {
    const t = table();
    for (let f = 0; f < 3; f++) t.recordOutcome('a', false, 0);
    for (let f = 0; f < 10; f++) expect(t.recordOutcome('a', false, 500)).toBeUndefined();
    t.tick(1000);
    expect(t.isUp('a')).toBe(true);
  });

  it('the back-off decays while the backend stays in', () => {
    const t = table();
    const eject = (now: number) => {
      let e: ReturnType<HealthTable['recordOutcome']>;
      for (let f = 0; f < 3; f++) e = t.recordOutcome('a', false, now);
      return e!.reason;
    };
    expect(eject(0)).toContain('1000 ms');
    expect(eject(1000)).toContain('2000 ms'); // right after returning at 1000
    t.tick(3000);
    expect(eject(3000 + 10_000)).toContain('1000 ms'); // 10 s = 10 base intervals in: back to the first step
  });

  it('never ejects more than the allowed fraction at once (at least one)', () => {
    const t = table({}, 0.5);
    t.sync(['a', 'b', 'c', 'd']);
    const ejectAll = (now: number) =>
      ['a', 'b', 'c', 'd'].map((id) => {
        let e: ReturnType<HealthTable['recordOutcome']>;
        for (let f = 0; f < 3; f++) e = t.recordOutcome(id, false, now);
        return e?.to;
      });
    expect(ejectAll(0)).toEqual(['ejected', 'ejected', undefined, undefined]);
    expect(['a', 'b', 'c', 'd'].map((id) => t.isUp(id))).toEqual([false, false, true, true]);
    // once the first two are back, the budget frees up
    expect(ejectAll(1000)).toEqual(['ejected', 'ejected', undefined, undefined]);
    const solo = table({}, 0);
    solo.sync(['x', 'y']);
    for (let f = 0; f < 3; f++) solo.recordOutcome('x', false, 0);
    expect(solo.isUp('x')).toBe(false);
  });

  it('consecutiveFailures 0 turns ejection off', () => {
    const t = table({ consecutiveFailures: 0 });
    for (let f = 0; f < 100; f++) expect(t.recordOutcome('a', false, f)).toBeUndefined();
    expect(t.isUp('a')).toBe(true);
  });

  it('isUp combines the check state and ejection', () => {
    const t = table();
    t.recordCheck('a', true, 0);
    for (let f = 0; f < 3; f++) t.recordOutcome('a', false, 0);
    expect(t.isUp('a')).toBe(false); // up by checks, ejected
    t.tick(1000);
    expect(t.isUp('a')).toBe(true);
    t.recordCheck('a', false, 1001);
    t.recordCheck('a', false, 1002);
    t.recordCheck('a', false, 1003);
    expect(t.isUp('a')).toBe(false); // back from ejection, down by checks
  });

  it('sync forgets removed backends and their pending events; configure keeps state', () => {
    const t = table();
    t.sync(['a', 'b']);
    for (let f = 0; f < 3; f++) t.recordOutcome('a', false, 0);
    t.recordCheck('b', false, 0);
    t.sync(['b']);
    expect([t.has('a'), t.isUp('a'), t.tick(5000)]).toEqual([false, true, []]);
    t.configure({ healthCheck: { rise: 1, fall: 1 }, outlier });
    expect(t.state('b')).toBe('down');
    t.recordCheck('b', true, 5001);
    expect(t.state('b')).toBe('up'); // rise is now 1
    expect(t.summary()).toEqual([
      { id: 'b', state: 'up', check: 'up', ejectedUntil: undefined, ejections: 0, consecutiveFailures: 0 },
    ]);
  });

  it('version() changes whenever an isUp answer may have changed', () => {
    const t = table();
    t.sync(['a', 'b']);
    let v = t.version();
    const changed = () => {
      const now = t.version();
      const did = now !== v;
      v = now;
      return did;
    };
    t.recordCheck('a', true, 0); // unknown → up: still routable, but an edge
    expect(changed()).toBe(true);
    t.recordCheck('a', true, 1);
    t.recordOutcome('a', true, 2);
    expect(changed()).toBe(false);
    for (let f = 0; f < 3; f++) t.recordOutcome('b', false, 10);
    expect([changed(), t.isUp('b')]).toEqual([true, false]);
    t.recordCheck('a', true, 500);
    expect(changed()).toBe(false);
    t.recordCheck('a', true, 1010); // time passes the end of b's ejection
    expect([changed(), t.isUp('b')]).toEqual([true, true]);
    t.tick(1011);
    t.tick(2000);
    expect(changed()).toBe(false);
    t.recordCheck('b', false, 2001);
    expect(changed()).toBe(true);
    t.sync(['a']);
    expect(changed()).toBe(true);
  });
});

describe('adopting a state checked elsewhere (shared checking)', () => {
  it('sets the check state at once, reports a change and restarts the streak', () => {
    const t = new HealthTable({ healthCheck: { rise: 2, fall: 3 }, outlier });
    t.sync(['a']);
    expect(t.adoptCheck('a', 'down', 10, 'peers: down')).toMatchObject({ from: 'unknown', to: 'down' });
    expect(t.isUp('a')).toBe(false);
    expect(t.adoptCheck('a', 'down', 20, 'again')).toBeUndefined();
    expect(t.checkState('a')).toBe('down');
    // A local check afterwards needs `rise` passes from a fresh streak.
    expect(t.recordCheck('a', true, 30)).toBeUndefined();
    expect(t.recordCheck('a', true, 40)).toMatchObject({ to: 'up' });
  });

  it('bumps the version only on a change', () => {
    const t = new HealthTable({ healthCheck: { rise: 1, fall: 1 }, outlier });
    t.sync(['a']);
    const v = t.version();
    t.adoptCheck('a', 'unknown', 1, 'none');
    expect(t.version()).toBe(v);
    t.adoptCheck('a', 'up', 2, 'peers: up');
    expect(t.version()).toBe(v + 1);
  });
});
