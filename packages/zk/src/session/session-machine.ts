// The session lifecycle as data: states, inputs and the one transition table.
// Pure (no I/O, no clock), so it is unit-tested without a network.
//
//   connecting ──connected──▶ connected ──disconnected / no-reply──▶ suspended
//        ▲                        ▲                                     │
//        │                        └────────connected / contact──────────┘
//   new-client                                                           │
//        │                                                               │
//     expired ◀──────────────────────expired (from any live state)──────┘
//   closed: on close() (any state) or when the server rejects our credentials.

export type SessionState = 'connecting' | 'connected' | 'suspended' | 'expired' | 'closed';

export type SessionInput =
  /** The client reports SYNC_CONNECTED (a session was established or re-attached). */
  | 'connected'
  /**
   * The client has been detached (socket closed, trying the next server) for longer than the
   * liveness allowance. A quicker move to another server keeps the session `connected`:
   * it provably lives until lastContact + timeout, so owners need not hear of it.
   */
  | 'disconnected'
  /** Our liveness clock: no reply for ~2/3 of the session timeout. */
  | 'no-reply'
  /** A reply arrived while the client is attached: the session is provably alive. */
  | 'contact'
  /** The server told us the session is gone. */
  | 'expired'
  /** A fresh client (new generation) is connecting after an expiry. */
  | 'new-client'
  /** The server rejected our credentials: final, retrying cannot help. */
  | 'auth-failed'
  /** close() was called. */
  | 'close';

type Table = Readonly<Record<SessionState, Readonly<Partial<Record<SessionInput, SessionState>>>>>;

export const SESSION_TRANSITIONS: Table = {
  connecting: { connected: 'connected', expired: 'expired', 'auth-failed': 'closed', close: 'closed' },
  connected: {
    disconnected: 'suspended',
    'no-reply': 'suspended',
    expired: 'expired',
    'auth-failed': 'closed',
    close: 'closed',
  },
  suspended: {
    connected: 'connected',
    contact: 'connected',
    expired: 'expired',
    'auth-failed': 'closed',
    close: 'closed',
  },
  expired: { 'new-client': 'connecting', close: 'closed' },
  closed: {},
};

/** The next state, or undefined when the input means nothing in `state` (it is then ignored). */
export function nextSessionState(state: SessionState, input: SessionInput): SessionState | undefined {
  return SESSION_TRANSITIONS[state][input];
}

/** True in the states where the session may still hold its ephemerals and watches. */
export function mayHoldSession(state: SessionState): boolean {
  return state === 'connected' || state === 'suspended';
}

/**
 * The clocks derived from the negotiated session timeout (docs/zookeeper.md, "Sessions and
 * what each state means for a node", how it is measured):
 * ping every third, suspend when no reply for two thirds, and drop a socket that has
 * received no byte for two thirds so the client moves to another server.
 */
export interface SessionTiming {
  readonly pingEveryMs: number;
  readonly suspendAfterMs: number;
  readonly watchdogAfterMs: number;
  readonly checkEveryMs: number;
}

export function sessionTiming(sessionTimeoutMs: number): SessionTiming {
  const t = Math.max(1, Math.floor(sessionTimeoutMs));
  return {
    pingEveryMs: Math.max(1, Math.floor(t / 3)),
    suspendAfterMs: Math.max(1, Math.floor((t * 2) / 3)),
    watchdogAfterMs: Math.max(1, Math.floor((t * 2) / 3)),
    checkEveryMs: Math.max(10, Math.min(250, Math.floor(t / 10))),
  };
}

/** What the liveness clock concludes at `now` (all times monotonic ms). */
export function livenessVerdict(
  now: number,
  lastContactAt: number,
  timing: SessionTiming,
): 'fresh' | 'no-reply' {
  return now - lastContactAt > timing.suspendAfterMs ? 'no-reply' : 'fresh';
}

/**
 * True when a socket that last made progress at `lastProgressAt` should be destroyed.
 * `blockedMs` is how long this process itself was not running in that time (late timer ticks):
 * bytes the server sent meanwhile sit unread in the socket, so that time is no evidence of a
 * silent server. Dropping the socket on it turned a busy host's scheduling delay into a
 * reconnect, then an expiry and a failover nobody caused.
 */
export function watchdogDue(
  now: number,
  lastProgressAt: number,
  timing: SessionTiming,
  blockedMs = 0,
): boolean {
  return now - lastProgressAt - blockedMs > timing.watchdogAfterMs;
}

/**
 * How late a periodic tick ran (ms past its due time), and whether that is a block of this
 * process (the event loop did not run) rather than timer jitter. A tick that finds the process
 * was blocked judges nothing: the I/O that arrived meanwhile is read only after it.
 */
export function tickLateness(
  now: number,
  lastTickAt: number,
  timing: SessionTiming,
): { readonly lateMs: number; readonly blocked: boolean } {
  if (lastTickAt <= 0) return { lateMs: 0, blocked: false };
  const lateMs = Math.max(0, now - lastTickAt - timing.checkEveryMs);
  return { lateMs, blocked: lateMs > Math.max(50, timing.checkEveryMs) };
}

/**
 * Until when a leader may act as leader: the server cannot have expired our session
 * before lastContactAt + sessionTimeout, because lastContactAt is the *send* time of a
 * request that was answered (the server heard from us no earlier than that).
 */
export function leaseUntil(lastContactAt: number, sessionTimeoutMs: number, marginMs: number): number {
  return lastContactAt + sessionTimeoutMs - marginMs;
}
