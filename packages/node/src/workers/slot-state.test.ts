import { describe, expect, it } from 'vitest';
import { addStats, carry, ZERO_STATS } from './slot.js';
import { nextSlotState, restartDelayMs, type SlotEvent, type SlotState } from './slot-state.js';

describe('worker slot states', () => {
  const cases: Array<[SlotState, SlotEvent, SlotState]> = [
    ['starting', 'acked', 'ready'],
    ['ready', 'listened', 'listening'],
    ['listening', 'acked', 'listening'],
    ['starting', 'exited', 'backoff'],
    ['listening', 'exited', 'backoff'],
    ['backoff', 'backoff-over', 'starting'],
    ['listening', 'drain', 'draining'],
    ['backoff', 'drain', 'stopped'],
    ['draining', 'closed', 'stopped'],
    ['draining', 'exited', 'stopped'],
    // Late or misplaced events change nothing.
    ['draining', 'acked', 'draining'],
    ['stopped', 'backoff-over', 'stopped'],
    ['starting', 'listened', 'starting'],
    ['backoff', 'acked', 'backoff'],
  ];
  it.each(cases)('from %s on %s goes to %s', (from, event, to) => {
    expect(nextSlotState(from, event)).toBe(to);
  });

  it('aCrashedDrainingWorkerIsNeverRestarted', () => {
    expect(nextSlotState(nextSlotState('draining', 'exited'), 'backoff-over')).toBe('stopped');
  });

  it('restartDelayDoublesPerRecentCrashUpToFiveSeconds', () => {
    expect(restartDelayMs([1000], 1000)).toBe(100);
    expect(restartDelayMs([0, 500, 1000], 1000)).toBe(400);
    expect(
      restartDelayMs(
        Array.from({ length: 20 }, (_, i) => i),
        100,
      ),
    ).toBe(5000);
    // Crashes older than the window are forgiven.
    expect(restartDelayMs([0, 1, 2, 40_000], 40_000)).toBe(100);
  });
});

describe('worker slot counters', () => {
  it('aRestartedWorkersSlotKeepsItsDeadPredecessorsCountsButNotItsGauges', () => {
    const dead = { ...ZERO_STATS, requests: 10, retries: 2, inFlight: 3, pools: 2 };
    const carried = carry(ZERO_STATS, dead);
    expect(carried).toMatchObject({ requests: 10, retries: 2, inFlight: 0, pools: 0 });
    const total = addStats(carried, { ...ZERO_STATS, requests: 5, inFlight: 1, pools: 2 });
    expect(total).toMatchObject({ requests: 15, retries: 2, inFlight: 1, pools: 2 });
  });
});
