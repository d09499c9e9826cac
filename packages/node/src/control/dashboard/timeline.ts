// The dashboard's event timeline: a bounded ring of what an operator wants to see in order
// (elections, promotions, demotions, session changes, health transitions, membership and
// config changes). Events are plain data with a per-node sequence number, so a peer's events
// can be merged into another node's view without duplicates.

export type TimelineKind =
  | 'role'
  | 'session'
  | 'leader'
  | 'lifecycle'
  | 'health'
  | 'backend'
  | 'config'
  | 'node';

export type TimelineLevel = 'info' | 'warn' | 'error';

export interface TimelineEvent {
  /** Per node, increasing; with `node` and `boot` it identifies the event cluster-wide. */
  readonly seq: number;
  /** The node that saw it. */
  readonly node: string;
  /** The node's start time (ms), so a restarted node's sequence numbers do not collide. */
  readonly boot: number;
  /** Wall-clock time, epoch ms. */
  readonly at: number;
  readonly kind: TimelineKind;
  readonly level: TimelineLevel;
  readonly text: string;
}

export const TIMELINE_LIMIT = 200;

export class Timeline {
  readonly #node: string;
  readonly #boot: number;
  readonly #limit: number;
  readonly #now: () => number;
  readonly #events: TimelineEvent[] = [];
  #seq = 0;
  readonly #listeners = new Set<(e: TimelineEvent) => void>();

  constructor(opts: { node: string; boot: number; limit?: number; now?: () => number }) {
    this.#node = opts.node;
    this.#boot = opts.boot;
    this.#limit = opts.limit ?? TIMELINE_LIMIT;
    this.#now = opts.now ?? Date.now;
  }

  add(kind: TimelineKind, level: TimelineLevel, text: string, at = this.#now()): TimelineEvent {
    const e: TimelineEvent = { seq: ++this.#seq, node: this.#node, boot: this.#boot, at, kind, level, text };
    this.#events.push(e);
    if (this.#events.length > this.#limit) this.#events.splice(0, this.#events.length - this.#limit);
    for (const fn of this.#listeners) fn(e);
    return e;
  }

  /** The newest `n` events, oldest first. */
  recent(n = this.#limit): readonly TimelineEvent[] {
    return this.#events.slice(-n);
  }

  onEvent(fn: (e: TimelineEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}

export const eventKey = (e: Pick<TimelineEvent, 'node' | 'boot' | 'seq'>): string =>
  `${e.node}\u0000${e.boot}\u0000${e.seq}`;

/**
 * Merges event lists (own and peers'), dropping duplicates; keeps the newest `limit`,
 * oldest first. O(n log n) in the events given, which are bounded.
 */
export function mergeEvents(
  lists: Iterable<readonly TimelineEvent[]>,
  limit = TIMELINE_LIMIT,
): TimelineEvent[] {
  const byKey = new Map<string, TimelineEvent>();
  for (const list of lists) for (const e of list) byKey.set(eventKey(e), e);
  const all = [...byKey.values()].sort((a, b) => a.at - b.at || a.seq - b.seq);
  return all.slice(-limit);
}

/** Whether an unknown value looks like a TimelineEvent (peer payloads are checked, not trusted). */
export function isTimelineEvent(v: unknown): v is TimelineEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.seq === 'number' &&
    typeof e.node === 'string' &&
    typeof e.boot === 'number' &&
    typeof e.at === 'number' &&
    typeof e.kind === 'string' &&
    typeof e.level === 'string' &&
    typeof e.text === 'string'
  );
}
