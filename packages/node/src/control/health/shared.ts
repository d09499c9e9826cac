// Shared health checking (docs/health.md): each backend is actively checked by k of the N
// nodes taking part, chosen by rendezvous hashing over the live members of `health/`
// (assignment.ts), and every node adopts the merged verdicts of its peers (merge.ts) for the
// backends it does not check. Passive observations (ejections) stay each node's own.
//
// States (named, one at a time):
//   'alone'   — this node does not see itself among the members (not connected yet, its
//               znode not written yet, or held by another session): it checks everything,
//               as a single node does.
//   'sharing' — it sees itself: it checks its share and adopts the rest.
//   'cut-off' — the session has been away longer than `fallbackMs`: peers' verdicts can no
//               longer be trusted to be current, so it checks everything again until a fresh
//               view shows it among the members.

import { HealthPublisher, PeerHealthWatcher, type SharedHealthView, type ZkSession } from '@ringleader/zk';
import type { Logger } from 'pino';
import { CheckAssignment } from './assignment.js';
import type { HealthChecker } from './checker.js';
import { mergeVerdicts } from './merge.js';

export type SharingState = 'alone' | 'sharing' | 'cut-off';

export interface SharedHealthOptions {
  readonly checker: HealthChecker;
  readonly session: ZkSession;
  readonly nodeId: string;
  readonly cluster?: string;
  /** Checkers per backend, ≥ 1. */
  readonly k: number;
  /** How long a lost connection may last before this node checks everything itself. */
  readonly fallbackMs: number;
  readonly logger?: Logger;
}

export class SharedHealth {
  readonly #o: SharedHealthOptions;
  readonly #publisher: HealthPublisher;
  readonly #watcher: PeerHealthWatcher;
  #state: SharingState = 'alone';
  #assignment: CheckAssignment | undefined;
  #view: SharedHealthView = { members: [], peers: new Map() };
  #away: NodeJS.Timeout | undefined;
  readonly #offs: Array<() => void> = [];
  readonly #onSessionState = (c: { to: string }): void => {
    if (c.to === 'connected') {
      clearTimeout(this.#away);
      this.#away = undefined;
      // Cut off: the view the cache kept (and re-reads) decides whether to share again.
      if (this.#state === 'cut-off') this.#onView(this.#view);
      return;
    }
    if (this.#away !== undefined || this.#state !== 'sharing') return;
    this.#away = setTimeout(() => {
      this.#away = undefined;
      this.#enter('cut-off', undefined);
    }, this.#o.fallbackMs);
    this.#away.unref();
  };

  constructor(o: SharedHealthOptions) {
    this.#o = o;
    const log = o.logger?.child({ component: 'shared-health' });
    this.#publisher = new HealthPublisher({
      session: o.session,
      nodeId: o.nodeId,
      ...(o.cluster === undefined ? {} : { cluster: o.cluster }),
      verdicts: (visit) => o.checker.forEachVerdict(visit),
      ...(log ? { logger: log } : {}),
    });
    this.#watcher = new PeerHealthWatcher({
      session: o.session,
      nodeId: o.nodeId,
      ...(o.cluster === undefined ? {} : { cluster: o.cluster }),
      onView: (view) => this.#onView(view),
      ...(log ? { logger: log } : {}),
    });
  }

  get state(): SharingState {
    return this.#state;
  }

  /** The live checker set this node computes its share from (empty while alone). */
  get members(): readonly string[] {
    return this.#assignment?.nodes ?? [];
  }

  /** Writes done by this node's publisher. */
  get writes(): number {
    return this.#publisher.writes;
  }

  start(): this {
    this.#offs.push(
      this.#o.checker.onVerdictChange(() => this.#publisher.publishSoon()),
      this.#o.checker.onBackends((added) => this.#merge(added)),
    );
    this.#o.session.on('state', this.#onSessionState);
    this.#publisher.start();
    this.#watcher.start();
    return this;
  }

  async close(): Promise<void> {
    for (const off of this.#offs.splice(0)) off();
    this.#o.session.off('state', this.#onSessionState);
    clearTimeout(this.#away);
    this.#watcher.close();
    await this.#publisher.close();
  }

  #onView(view: SharedHealthView): void {
    this.#view = view;
    const me = view.members.includes(this.#o.nodeId);
    if (!me) this.#enter('alone', undefined);
    else if (this.#o.session.state === 'connected') {
      const next = new CheckAssignment(view.members, this.#o.k);
      const same = this.#assignment !== undefined && sameMembers(this.#assignment.nodes, next.nodes);
      if (!same || this.#state !== 'sharing') this.#enter('sharing', next);
    }
    this.#merge();
  }

  #enter(state: SharingState, assignment: CheckAssignment | undefined): void {
    const was = this.#state;
    this.#state = state;
    this.#assignment = assignment;
    const self = this.#o.nodeId;
    this.#o.checker.setActive(assignment === undefined ? undefined : (id) => assignment.checks(self, id));
    if (was !== state || assignment !== undefined)
      this.#o.logger?.info(
        { from: was, to: state, members: assignment?.nodes, k: this.#o.k },
        'shared health checking',
      );
  }

  /**
   * Adopts the peers' merged verdicts for the backends this node does not check: all of them
   * (O(n · N)) on a new view, only the new ones after a membership change.
   */
  #merge(ids: Iterable<string> = this.#o.checker.backendIds): void {
    if (this.#state !== 'sharing') return;
    const peers = [...this.#view.peers.values()];
    const checker = this.#o.checker;
    for (const id of ids) {
      if (checker.isActive(id)) continue;
      const m = mergeVerdicts(id, peers);
      if (m !== undefined) checker.adopt(id, m.state, `peers: ${m.up} up, ${m.down} down`);
    }
  }
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
