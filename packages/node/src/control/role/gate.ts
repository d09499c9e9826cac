// Whether this node proxies right now: a pure decision over the facts the role controller
// tracks, so every combination is unit-tested without ZooKeeper.
import type { CoordinatorLossBehaviour, Mode, StandbyBehaviour } from '../../config/schema.js';

export type SessionState = 'connecting' | 'connected' | 'suspended' | 'expired' | 'closed';
export type ElectionRole = 'candidate' | 'leader' | 'standby';
export type Lifecycle = 'starting' | 'running' | 'draining' | 'stopped';

/**
 * What the data plane does with a request, decided per role change (not per request).
 * `serve` names the epoch requests are stamped with: a node serves only with a fencing token in
 * hand, so "serving without an epoch" cannot be expressed. `forward` names the epoch of the
 * leader it forwards to (the hop carries it; the leader re-stamps with its own permit).
 */
export type Gate =
  | { readonly kind: 'serve'; readonly epoch: number }
  | {
      readonly kind: 'reject';
      readonly reason: string;
      readonly leaderProxyUrl?: string;
      readonly retryAfterS: number;
    }
  | { readonly kind: 'forward'; readonly leaderProxyUrl: string; readonly epoch: number }
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
  /** That leader's epoch (from the same `leader` payload as leaderProxyUrl). */
  readonly leaderEpoch?: number;
  /**
   * The epoch this node stamps when it serves: in active-passive the sequence of its own
   * election znode from its latest win (kept through a coordinator loss for keep-serving), in
   * active-active its own registration sequence. Undefined until there is one.
   */
  readonly ownEpoch?: number;
  /**
   * A leader about to delete its election znode (graceful stop or `leader resign`): it stops
   * admitting before the delete is sent, so every request it admitted is written before any
   * successor can be elected, and none under its epoch after the successor's first.
   */
  readonly resigning: boolean;
  /**
   * Whether the cluster's routing config is known (read from ZooKeeper, or its last good copy).
   * A node that does not know it never serves: it would route keys unlike the other nodes.
   */
  readonly configKnown: boolean;
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
  const serve = (): Gate => {
    if (!f.configKnown)
      return reject('cluster routing config unknown (config znode invalid, no last good copy)');
    return f.ownEpoch === undefined ? reject('no serving epoch yet') : { kind: 'serve', epoch: f.ownEpoch };
  };
  const forwardTo = (url: string): Gate =>
    f.leaderEpoch === undefined
      ? hold('waiting for the leader to publish its epoch')
      : { kind: 'forward', leaderProxyUrl: url, epoch: f.leaderEpoch };
  if (f.lifecycle === 'starting') return reject('starting');
  if (f.lifecycle === 'stopped') return reject('stopped');
  // Active-active: every node serves from its last good snapshot, coordinator or not, until it stops.
  if (f.mode === 'active-active') return serve();
  // A draining or resigning leader stops admitting before its election znode goes; requests
  // that still reach it wait for the successor to be named and go there, so a graceful
  // hand-over loses nothing and no old-epoch request follows a new-epoch one.
  const handingOver = f.lifecycle === 'draining' || (f.resigning && f.role === 'leader');
  if (handingOver) {
    if (f.leaderProxyUrl && !coordinatorLost(f.session)) return forwardTo(f.leaderProxyUrl);
    return coordinatorLost(f.session) ? reject('draining') : hold('draining: waiting for the successor');
  }

  if (f.role === 'leader' && f.session === 'connected') return serve();
  if (coordinatorLost(f.session) && f.onCoordinatorLoss === 'keep-serving' && f.ledBeforeLoss) {
    return serve();
  }
  if (coordinatorLost(f.session)) {
    // The node cannot know who leads; forwarding to a possibly stale address would only add a hop.
    return reject(`zookeeper session ${f.session}`);
  }
  if (f.standby === 'forward') {
    if (f.leaderProxyUrl) return forwardTo(f.leaderProxyUrl);
    // Connected but no leader known: between a leader's resignation and its successor's
    // announcement (tens of ms), or during an election. A forwarding standby promised its
    // clients a leader, so it waits a bounded time for one instead of failing the request.
    return hold(f.role === 'candidate' ? 'election in progress' : 'standby: waiting for a leader');
  }
  return reject(f.role === 'candidate' ? 'election in progress' : 'standby');
}
