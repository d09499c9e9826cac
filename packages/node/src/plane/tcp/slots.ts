// Per-backend connection slots (maxConnectionsPerBackend): a counter per backend id and a
// bounded wait for any slot to free. No I/O; the timer is the only clock it reads.

export class BackendSlots {
  #cap: number | undefined;
  readonly #used = new Map<string, number>();
  readonly #waiters = new Set<() => void>();

  constructor(cap: number | undefined) {
    this.#cap = cap;
  }

  /** A new cap applies to new acquisitions; connections already open keep their slots. */
  setCap(cap: number | undefined): void {
    this.#cap = cap;
    this.#wake();
  }

  used(id: string): number {
    return this.#used.get(id) ?? 0;
  }

  full(id: string): boolean {
    return this.#cap !== undefined && this.used(id) >= this.#cap;
  }

  /** Takes a slot; false (nothing taken) when the backend is at its cap. */
  tryAcquire(id: string): boolean {
    if (this.full(id)) return false;
    this.#used.set(id, this.used(id) + 1);
    return true;
  }

  release(id: string): void {
    const n = this.used(id);
    if (n <= 1) this.#used.delete(id);
    else this.#used.set(id, n - 1);
    this.#wake();
  }

  /** Resolves true when any slot is released within `ms`, false when the wait ran out. */
  waitForRelease(ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        resolve(false);
      }, ms);
      this.#waiters.add(wake);
    });
  }

  get waiting(): number {
    return this.#waiters.size;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }
}
