// The life of one worker slot, as a table: a slot is a place for one data-plane worker thread;
// a crashed worker is replaced in the same slot (same id) after a backoff.
//
//   starting ──acked──▶ ready ──listened──▶ listening
//      │                  │                    │
//      └──────────── exited (crash) ───────────┴──▶ backoff ──backoff-over──▶ starting
//   any ──drain──▶ draining ──closed | exited──▶ stopped       (backoff ──drain──▶ stopped)

export type SlotState = 'starting' | 'ready' | 'listening' | 'backoff' | 'draining' | 'stopped';
export type SlotEvent = 'acked' | 'listened' | 'exited' | 'backoff-over' | 'drain' | 'closed';

const TABLE: Readonly<Record<SlotState, Partial<Record<SlotEvent, SlotState>>>> = {
  starting: { acked: 'ready', exited: 'backoff', drain: 'draining' },
  ready: { acked: 'ready', listened: 'listening', exited: 'backoff', drain: 'draining' },
  listening: { acked: 'listening', exited: 'backoff', drain: 'draining' },
  backoff: { 'backoff-over': 'starting', drain: 'stopped' },
  draining: { acked: 'draining', listened: 'draining', closed: 'stopped', exited: 'stopped' },
  stopped: {},
};

/** The next state, or the same one for an event that does not apply (a late message). */
export function nextSlotState(state: SlotState, event: SlotEvent): SlotState {
  return TABLE[state][event] ?? state;
}

/** Whether the slot's worker takes requests (counted by the kernel's reusePort spread). */
export const serving = (s: SlotState): boolean => s === 'listening';

/**
 * How long a crashed slot waits before its next worker: 100 ms doubled per crash within the
 * last `windowMs`, at most 5 s, so a worker that crashes on start does not spin a core.
 */
export function restartDelayMs(crashTimes: readonly number[], now: number, windowMs = 30_000): number {
  const recent = crashTimes.filter((t) => now - t <= windowMs).length;
  return Math.min(5000, 100 * 2 ** Math.max(0, recent - 1));
}
