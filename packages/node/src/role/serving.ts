// Whether this node proxies right now: a pure decision over the facts the role controller
// tracks, so every combination is unit-tested without ZooKeeper.
import type { CoordinatorLossBehaviour, Mode, StandbyBehaviour } from '../config/schema.js';

export type SessionState = 'connecting' | 'connected' | 'suspended' | 'expired' | 'closed';
export type ElectionRole = 'candidate' | 'leader' | 'standby';
export type Lifecycle = 'starting' | 'running' | 'draining' | 'stopped';

/** What the data plane does with a request, decided per role change (not per request). */
export type Gate =
  | { readonly kind: 'serve' }
  | {
      readonly kind: 'reject';
      readonly reason: string;
      readonly leaderProxyUrl?: string;
      readonly retryAfterS: number;
    }
  | { readonly kind: 'forward'; readonly leaderProxyUrl: string }
  /**
   * No leader is known yet but one is expected within moments (a hand-over in progress): the
   * request waits, at most `maxWaitMs`, for the gate to change instead of failing.
   */
  | { readonly kind: 'hold'; readonly reason: string; readonly maxWaitMs: number };

export interface ServingFacts {
  readonly mode: Mode;
  readonly standby: StandbyBehaviour;
  readonly onCoordinatorLoss: CoordinatorLossBehaviour;
  readonly lifecycle: Lifecycle;
  readonly session: SessionState;
  readonly role: ElectionRole;
  /**
   * True while this node led when the coordinator was lost and nobody has told it otherwise
   * since; only consulted under keep-serving.
   */
  readonly ledBeforeLoss: boolean;
  /** The current leader's proxy URL as seen in ZooKeeper, if known and not this node's own. */
  readonly leaderProxyUrl?: string;
  /** How long a request may wait for a leader to become known during a hand-over. */
  readonly holdMs: number;
  /** Seconds a client should wait before retrying a standby. */
  readonly retryAfterS: number;
}

const coordinatorLost = (s: SessionState) => s === 'suspended' || s === 'expired' || s === 'connecting';

export function decideGate(f: ServingFacts): Gate {
  const reject = (reason: string): Gate => ({
    kind: 'reject',
    reason,
    retryAfterS: f.retryAfterS,
    ...(f.leaderProxyUrl ? { leaderProxyUrl: f.leaderProxyUrl } : {}),
  });
  const hold = (reason: string): Gate => ({ kind: 'hold', reason, maxWaitMs: f.holdMs });
  if (f.lifecycle === 'starting') return reject('starting');
  if (f.lifecycle === 'stopped') return reject('stopped');
  // Active-active: every node serves from its last good snapshot, coordinator or not, until it stops.
  if (f.mode === 'active-active') return { kind: 'serve' };
  // A draining leader serves until its resignation is through; after it, requests that still
  // reach it go to the successor (held for the moment it takes to learn who that is), so a
  // graceful hand-over loses nothing.
  if (f.lifecycle === 'draining') {
    if (f.role === 'leader' && f.session === 'connected') return { kind: 'serve' };
    if (f.leaderProxyUrl && !coordinatorLost(f.session))
      return { kind: 'forward', leaderProxyUrl: f.leaderProxyUrl };
    return coordinatorLost(f.session) ? reject('draining') : hold('draining: waiting for the successor');
  }

  if (f.role === 'leader' && f.session === 'connected') return { kind: 'serve' };
  if (coordinatorLost(f.session) && f.onCoordinatorLoss === 'keep-serving' && f.ledBeforeLoss) {
    return { kind: 'serve' };
  }
  if (coordinatorLost(f.session)) {
    // The node cannot know who leads; forwarding to a possibly stale address would only add a hop.
    return reject(`zookeeper session ${f.session}`);
  }
  if (f.standby === 'forward') {
    if (f.leaderProxyUrl) return { kind: 'forward', leaderProxyUrl: f.leaderProxyUrl };
    // Connected but no leader known: between a leader's resignation and its successor's
    // announcement (tens of ms), or during an election. A forwarding standby promised its
    // clients a leader, so it waits a bounded time for one instead of failing the request.
    return hold(f.role === 'candidate' ? 'election in progress' : 'standby: waiting for a leader');
  }
  return reject(f.role === 'candidate' ? 'election in progress' : 'standby');
}
