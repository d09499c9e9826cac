import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grantOf, isForever, LeaseCell, toSharedDeadline } from './lease-cell.js';

describe('LeaseCell', () => {
  it('grantsNothingUntilTheWriterGrants', () => {
    const cell = new LeaseCell();
    expect(cell.holds(0)).toBe(false);
    expect(cell.read()).toEqual({ epoch: -1, deadlineNs: 0n });
  });

  it('holdsOnlyTheGrantedEpochAndOnlyBeforeItsDeadline', () => {
    const cell = new LeaseCell();
    cell.grant(7, 1_000n);
    expect(cell.holds(7, 999n)).toBe(true);
    expect(cell.holds(7, 1_000n)).toBe(false);
    expect(cell.holds(6, 10n)).toBe(false);
    cell.revoke();
    expect(cell.holds(7, 10n)).toBe(false);
  });

  it('aViewOfTheSameBufferSeesTheWritersGrant', () => {
    const cell = new LeaseCell();
    const view = new LeaseCell(cell.buffer);
    cell.grant(3, 50n);
    expect(view.holds(3, 49n)).toBe(true);
    cell.grant(4, 50n);
    expect(view.holds(3, 49n)).toBe(false);
  });

  it('followsTheGate: a serve gate grants its epoch until its lease deadline, any other gate revokes', () => {
    const cell = new LeaseCell();
    cell.follow({ kind: 'serve', permit: { epoch: 9, leaseDeadline: 1500 } }, 1000, 5_000_000_000n);
    expect(cell.read()).toEqual({ epoch: 9, deadlineNs: 5_500_000_000n });
    cell.follow({ kind: 'hold', reason: 'resigning', maxWaitMs: 10 }, 1000, 5_000_000_000n);
    expect(cell.read()?.epoch).toBe(-1);
    cell.follow({ kind: 'serve', permit: { epoch: 2, leaseDeadline: Number.POSITIVE_INFINITY } });
    expect(isForever(cell.read()!.deadlineNs)).toBe(true);
    expect(cell.writes).toBe(3);
  });

  it('refusesABadEpochOrAShortBufferByName', () => {
    expect(() => new LeaseCell().grant(-2, 1n)).toThrow(/bad epoch -2/);
    expect(() => new LeaseCell(new SharedArrayBuffer(8))).toThrow(/32 bytes/);
  });

  it('theSharedDeadlineNeverEndsALeaseLaterThanItsOwnClockSays', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: -1e5, max: 1e5, noNaN: true }),
        fc.bigInt({ min: 0n, max: 1n << 50n }),
        (nowMs, ahead, nowNs) => {
          const deadlineMs = nowMs + ahead;
          const left = deadlineMs - nowMs;
          const d = toSharedDeadline(deadlineMs, nowMs, nowNs);
          if (left <= 0) return d === 0n;
          return d >= nowNs && d <= nowNs + BigInt(Math.ceil(left * 1e6));
        },
      ),
    );
    expect(toSharedDeadline(Number.NEGATIVE_INFINITY, 1, 1n)).toBe(0n);
    expect(toSharedDeadline(Number.NaN, 1, 1n)).toBe(0n);
  });

  it('grantOfTakesTheEpochAndDeadlineOfAServeGateOnly', () => {
    expect(grantOf({ kind: 'serve', permit: { epoch: 1, leaseDeadline: 5 } })).toEqual({
      epoch: 1,
      deadlineMs: 5,
    });
    expect(grantOf({ kind: 'forward', leaderProxyUrl: 'http://x', epoch: 4 })).toBeUndefined();
  });

  it('aReaderInAnotherThreadNeverSeesOneGrantsEpochWithAnothersDeadline', async () => {
    // The writer always stores deadline = epoch * 1000: a torn read would break that.
    const cell = new LeaseCell();
    const reader = new Worker(
      `
      const { workerData, parentPort } = require('node:worker_threads');
      const a = new BigInt64Array(workerData, 0, 4);
      let torn = 0, reads = 0;
      const until = Date.now() + 300;
      while (Date.now() < until) {
        const s = Atomics.load(a, 0);
        if ((s & 1n) === 1n) continue;
        const e = Atomics.load(a, 1), d = Atomics.load(a, 2);
        if (Atomics.load(a, 0) !== s) continue;
        reads++;
        if (e >= 0n && d !== e * 1000n) torn++;
      }
      parentPort.postMessage({ torn, reads });
      `,
      { eval: true, workerData: cell.buffer },
    );
    const result = new Promise<{ torn: number; reads: number }>((r) => reader.once('message', r));
    let stop = false;
    void result.then(() => {
      stop = true;
    });
    for (let e = 0; !stop; e++) {
      for (let i = 0; i < 10_000; i++) cell.grant(e * 10_000 + i, BigInt(e * 10_000 + i) * 1000n);
      await new Promise((r) => setImmediate(r));
    }
    const { torn, reads } = await result;
    await reader.terminate();
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
  });
});
