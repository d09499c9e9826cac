// Whether this node proxies right now: a pure decision over the facts the role controller
// tracks, so every combination is unit-tested without ZooKeeper.
import type { Role as ElectionRole, SessionState } from '@ringleader/zk';
import type { CoordinatorLossBehaviour, Mode, StandbyBehaviour } from '../../config/schema.js';
import type { GateDecision } from '../../seam.js';

export type { ElectionRole, SessionState };
export type Lifecycle = 'starting' | 'running' | 'draining' | 'stopped';

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

/**
 * What the node does with a request, decided per role change (not per request). `serve` names
 * the epoch requests are stamped with: a node serves only with a fencing token in hand, so
 * "serving without an epoch" cannot be expressed. The permit's lease deadline is +Infinity
 * here; the role controller narrows it where serving is bound to the lease.
 */
export function decideGate(f: ServingFacts): GateDecision {
  const reject = (reason: string): GateDecision => ({
    kind: 'reject',
    reason,
    retryAfterS: f.retryAfterS,
    ...(f.leaderProxyUrl ? { leaderProxyUrl: f.leaderProxyUrl } : {}),
  });
  const hold = (reason: string): GateDecision => ({ kind: 'hold', reason, maxWaitMs: f.holdMs });
  const serve = (): GateDecision => {
    if (!f.configKnown)
      return reject('cluster routing config unknown (config znode invalid, no last good copy)');
    return f.ownEpoch === undefined
      ? reject('no serving epoch yet')
      : { kind: 'serve', permit: { epoch: f.ownEpoch, leaseDeadline: Number.POSITIVE_INFINITY } };
  };
  const forwardTo = (url: string): GateDecision =>
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
