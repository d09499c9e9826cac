// What the service listeners (tcp/ and redis/) share: binding — a bind error rejects, for the
// control room to report and retry; once bound, later server errors go to `onError` instead of
// crashing — and waiting for their last connection to end when they drain.
import type { Server } from 'node:net';

export function bindServer(
  s: Server,
  addr: { host: string; port: number },
  onError: (err: Error) => void,
): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host: addr.host, port: addr.port }, () => {
      s.off('error', reject);
      s.on('error', onError);
      const a = s.address();
      resolve(typeof a === 'object' && a !== null ? { host: a.address, port: a.port } : addr);
    });
  });
}

/** Drain waits: `wait(ms)` resolves once `settle()` finds the listener idle, or after `ms`. */
export class IdleWaiters {
  readonly #isIdle: () => boolean;
  readonly #waiting = new Set<() => void>();

  constructor(isIdle: () => boolean) {
    this.#isIdle = isIdle;
  }

  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#isIdle()) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.#waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiting.add(done);
    });
  }

  /** Called after a connection ends: releases every waiter when none is left. */
  settle(): void {
    if (this.#isIdle()) for (const f of [...this.#waiting]) f();
  }
}
