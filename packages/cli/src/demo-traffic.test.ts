import { describe, expect, it } from 'vitest';
import { type Outcome, shares, TrafficMeter } from './demo-traffic.js';

const ok = (at: number, node = 'lb-1', epoch = 0, backend = 'b1'): Outcome => ({
  at,
  ok: true,
  node,
  epoch,
  backend,
});
const fail = (at: number, error = '503 RL_LEADER_UNREACHABLE'): Outcome => ({ at, ok: false, error });

describe('TrafficMeter', () => {
  it('counts a window and starts the next one', () => {
    const m = new TrafficMeter();
    m.record(ok(1, 'lb-1', 0, 'b1'));
    m.record(ok(2, 'lb-1', 0, 'b2'));
    m.record(ok(3, 'lb-1', 0, 'b2'));
    const w = m.tick();
    expect(w).toMatchObject({ requests: 3, errors: 0, node: 'lb-1', epoch: 0, causes: [] });
    expect([...w.byBackend]).toEqual([
      ['b1', 1],
      ['b2', 2],
    ]);
    expect(m.tick()).toMatchObject({ requests: 0, errors: 0, node: undefined });
  });

  it('a leader crash: the gap runs from the last success before to the first success after', () => {
    const m = new TrafficMeter();
    expect(m.record(ok(1000, 'lb-1', 0))).toBeUndefined();
    expect(m.record(fail(1010))).toBeUndefined();
    expect(m.interrupted).toBe(true);
    m.record(fail(1500, 'ECONNRESET'));
    m.record(fail(2000));
    const ev = m.record(ok(2440, 'lb-3', 1));
    expect(ev).toEqual({
      kind: 'interruption',
      lastOkAt: 1000,
      firstErrorAt: 1010,
      firstOkAt: 2440,
      gapMs: 1440,
      errors: 3,
      from: { node: 'lb-1', epoch: 0 },
      to: { node: 'lb-3', epoch: 1 },
      failover: true,
    });
    expect(m.interrupted).toBe(false);
    const w = m.tick();
    expect(w.causes).toEqual([
      ['503 RL_LEADER_UNREACHABLE', 2],
      ['ECONNRESET', 1],
    ]);
    expect(m.totals()).toMatchObject({ requests: 5, errors: 3 });
    expect(m.totals().interruptions).toHaveLength(1);
  });

  it('failures with the same leader on both sides are an interruption, not a failover', () => {
    const m = new TrafficMeter();
    m.record(ok(10));
    m.record(fail(20, 'timeout'));
    expect(m.record(ok(90))).toMatchObject({ kind: 'interruption', gapMs: 80, failover: false });
  });

  it('with minGapMs, a short blip under the same leader is errors, not an interruption; a short failover still counts', () => {
    const m = new TrafficMeter({ minGapMs: 100 });
    m.record(ok(10));
    m.record(fail(20));
    expect(m.record(ok(40))).toBeUndefined();
    m.record(fail(50));
    expect(m.record(ok(78, 'lb-2', 1))).toMatchObject({ kind: 'interruption', gapMs: 38, failover: true });
    m.record(fail(100));
    expect(m.record(ok(300, 'lb-2', 1))).toMatchObject({ kind: 'interruption', gapMs: 222, failover: false });
    expect(m.totals()).toMatchObject({ requests: 7, errors: 3 });
    expect(m.totals().interruptions).toHaveLength(2);
  });

  it('a new leader without a failed request is a hand-over event', () => {
    const m = new TrafficMeter();
    m.record(ok(10, 'lb-1', 0));
    expect(m.record(ok(20, 'lb-2', 1))).toEqual({
      kind: 'handover',
      at: 20,
      from: { node: 'lb-1', epoch: 0 },
      to: { node: 'lb-2', epoch: 1 },
    });
    expect(m.totals().interruptions).toEqual([]);
  });

  it('failures before the first success are start-up, not an interruption', () => {
    const m = new TrafficMeter();
    m.record(fail(1));
    expect(m.interrupted).toBe(false);
    expect(m.record(ok(5))).toBeUndefined();
  });

  it('a window without a success names no serving node', () => {
    const m = new TrafficMeter();
    m.record(ok(1));
    m.tick();
    m.record(fail(2));
    expect(m.tick()).toMatchObject({ requests: 1, errors: 1, node: undefined, epoch: undefined });
  });
});

describe('shares', () => {
  it.each([
    { counts: { b1: 25, b2: 25, b3: 25, b4: 25 }, want: [25, 25, 25, 25] },
    { counts: { b1: 1, b2: 1, b3: 1 }, want: [34, 33, 33, 0] },
    { counts: { b1: 2, b2: 1 }, want: [67, 33, 0, 0] },
    { counts: {}, want: [0, 0, 0, 0] },
  ])('$counts → $want (sums to 100, every id listed)', ({ counts, want }) => {
    const got = shares(new Map(Object.entries(counts)), ['b1', 'b2', 'b3', 'b4']);
    expect([...got.values()]).toEqual(want);
  });
});
