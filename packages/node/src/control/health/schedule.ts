// When each active check runs: pure timing and one binary min-heap of due times, so the
// checker keeps one timer for the whole pool instead of one per backend.
//
// Spreading (HAProxy's spread-checks, made deterministic):
// - A backend gets an anchor when it starts being checked: now + window · u, u from the
//   golden-ratio sequence (each new backend lands in the largest gap the previous ones left,
//   so any n anchors cover the window evenly, not in Poisson clumps). The window is the whole
//   interval for a large pool; a small one keeps today's quick first check (within the
//   jitter fraction of an interval), see `firstWindow`.
// - Round r of a backend is due at anchor + r · interval ± jitter. Jitter is drawn per round
//   around the fixed anchor, so phases never drift together the way "interval after the last
//   finish" lets them; a check still never overlaps its own next one (rounds that passed
//   while it ran are skipped).
// Cost per check: O(log n) heap work and no allocation (entries carry their heap index).

/** Golden-ratio conjugate: the additive recurrence u_{j+1} = frac(u_j + φ⁻¹) is low-discrepancy. */
const PHI_INV = 0.6180339887498949;

/** A cold start launches at most about one check per this many ms (1000 backends over 1 s). */
export const COLD_START_GAP_MS = 1;

/** How much of an interval first checks are spread over, for a pool of `n`. Pure. */
export function firstWindow(intervalMs: number, jitter: number, n: number): number {
  const fraction = Math.max(jitter, Math.min(1, (n * COLD_START_GAP_MS) / intervalMs));
  return Math.round(intervalMs * fraction);
}

/** The next point of the golden-ratio sequence after `u` (in [0, 1)). Pure. */
export function nextPhase(u: number): number {
  const v = u + PHI_INV;
  return v >= 1 ? v - 1 : v;
}

/**
 * The round after `round` whose due time (anchor + r · interval + offset) is not before
 * `finishedAt`: rounds that passed while a slow check ran are skipped, so a check never
 * overlaps its own next one. `offset` is the next round's jitter (ms). Pure.
 */
export function nextRound(
  anchor: number,
  intervalMs: number,
  round: number,
  finishedAt: number,
  offset: number,
): number {
  const caughtUp = Math.ceil((finishedAt - anchor - offset) / intervalMs);
  return Math.max(round + 1, caughtUp);
}

/** One round's jitter: uniform in ± jitter/2 of an interval, so neighbours stay ≥ (1 − jitter)·interval apart. */
export function roundOffset(intervalMs: number, jitter: number, random: () => number): number {
  return (random() - 0.5) * jitter * intervalMs;
}

/** What the heap needs of an entry: its due time and the slot it occupies (−1: not queued). */
export interface Queued {
  due: number;
  heapIndex: number;
}

/** Binary min-heap by `due`; entries know their index, so removal is O(log n) without a search. */
export class DueHeap<T extends Queued> {
  readonly #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  has(e: T): boolean {
    return e.heapIndex >= 0 && this.#items[e.heapIndex] === e;
  }

  push(e: T): void {
    if (this.has(e)) this.remove(e);
    e.heapIndex = this.#items.length;
    this.#items.push(e);
    this.#up(e.heapIndex);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(e: T): void {
    if (!this.has(e)) return;
    const i = e.heapIndex;
    const last = this.#items.pop() as T;
    e.heapIndex = -1;
    if (last === e) return;
    this.#items[i] = last;
    last.heapIndex = i;
    this.#up(i);
    this.#down(last.heapIndex);
  }

  clear(): void {
    for (const e of this.#items) e.heapIndex = -1;
    this.#items.length = 0;
  }

  #swap(i: number, j: number): void {
    const a = this.#items[i] as T;
    const b = this.#items[j] as T;
    this.#items[i] = b;
    this.#items[j] = a;
    a.heapIndex = j;
    b.heapIndex = i;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.#items[parent] as T).due <= (this.#items[i] as T).due) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && (this.#items[l] as T).due < (this.#items[m] as T).due) m = l;
      if (r < n && (this.#items[r] as T).due < (this.#items[m] as T).due) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
