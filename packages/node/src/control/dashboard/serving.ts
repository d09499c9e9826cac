// Whether anything serves, as the page's red banner shows it. The question an operator asks at
// 3 a.m. is "is any node taking traffic, and since when not": answered from what this node
// sees (itself, and each peer's last summary), never from the leader znode, which outlives a
// killed leader until its session expires.
//
// States:
//   serving  at least one answering node says it serves (its permit is in force)
//   checking none is seen serving, but a registered node has not been asked yet (just started)
//   outage   none does; `since` is the last moment one was seen serving: the last good
//            summary of a node that then stopped answering, or the frame in which the last
//            server said it stopped. Unknown (`sinceKnown` false) when this node never saw
//            one serve: it started into the outage, so `since` is its own start.

/** What the watch reads of each card (peers.ts NodeView). */
export interface ServingInput {
  readonly id: string;
  readonly reachable: boolean;
  /** When its last good summary arrived (epoch ms). */
  readonly lastSeen: number | null;
  /** Why it did not answer; null while it was never asked. */
  readonly error: string | null;
  readonly status: { readonly serving: boolean } | null;
}

export type ServingState =
  | { readonly state: 'serving'; readonly nodes: readonly string[] }
  /** Nobody seen serving yet, but some node was not asked yet: no verdict (no false alarm at start). */
  | { readonly state: 'checking'; readonly nodes: readonly string[] }
  | {
      readonly state: 'outage';
      /** Epoch ms: from then on no node was seen serving. */
      readonly since: number;
      readonly sinceKnown: boolean;
      /** The node that served last, when known. */
      readonly lastServer: string | null;
    };

export class ServingWatch {
  readonly #startedAt: number;
  /** Last time (ms) some node was seen serving, and which. */
  #lastAt: number | null = null;
  #lastServer: string | null = null;

  constructor(startedAt: number) {
    this.#startedAt = startedAt;
  }

  #seen(id: string, at: number): void {
    if (this.#lastAt === null || at >= this.#lastAt) {
      this.#lastAt = at;
      this.#lastServer = id;
    }
  }

  /** Folds in one look at the nodes (each frame); pure apart from the remembered last server. */
  update(nodes: readonly ServingInput[], now: number): ServingState {
    const serving = nodes.filter((n) => n.reachable && n.status?.serving === true);
    if (serving.length > 0) {
      // When each said so (a peer's summary can be up to a poll old): if it dies now, that
      // is the last moment anything was seen serving.
      for (const n of serving) this.#seen(n.id, n.lastSeen ?? now);
      return { state: 'serving', nodes: serving.map((n) => n.id) };
    }
    // A node that stopped answering while it served was serving at least until its last summary.
    for (const n of nodes)
      if (!n.reachable && n.status?.serving === true && n.lastSeen !== null) this.#seen(n.id, n.lastSeen);
    const unasked = nodes.filter((n) => !n.reachable && n.error === null && n.status === null);
    if (unasked.length > 0 && this.#lastAt === null)
      return { state: 'checking', nodes: unasked.map((n) => n.id) };
    return this.#lastAt === null
      ? { state: 'outage', since: this.#startedAt, sinceKnown: false, lastServer: null }
      : { state: 'outage', since: this.#lastAt, sinceKnown: true, lastServer: this.#lastServer };
  }
}
