// What the service listeners (tcp/ and redis/) share: binding — a bind error rejects, for the
// control room to report and retry; once bound, later server errors go to `onError` instead of
// crashing —, admitting a new connection through the gate (holds waited out), and waiting for
// their last connection to end when they drain.
import type { Server } from 'node:net';
import type { GateDecision, Seam } from '../seam.js';
import { type Admission, admit, type LeaderTarget } from './admission.js';

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

/** A connection's admission once no hold is left, with the gate it was decided on. */
export interface ConnectionAdmission {
  readonly admission: Exclude<Admission, { kind: 'hold' }>;
  readonly gate: GateDecision;
}

/**
 * Admits one new connection (core of every protocol: plane/admission.ts's `admit`): a `hold` is
 * waited out on the seam's gate changes and admitted again. Undefined when the client went away
 * while held.
 */
export async function admitConnection(o: {
  readonly seam: Pick<Seam, 'gate' | 'waitForGateChange'>;
  readonly nodeId: string;
  readonly leaderTarget: (url: string) => LeaderTarget | undefined;
  readonly now: () => number;
  readonly gone: () => boolean;
  readonly onHold?: () => void;
}): Promise<ConnectionAdmission | undefined> {
  let holdUntil: number | undefined;
  for (;;) {
    const gate = o.seam.gate();
    const a = admit(
      { canWait: o.seam.waitForGateChange !== undefined, holdUntil, now: o.now() },
      gate,
      o.nodeId,
      o.leaderTarget,
    );
    if (a.kind !== 'hold') return { admission: a, gate };
    holdUntil = a.until;
    o.onHold?.();
    await o.seam.waitForGateChange?.(a.until - o.now());
    if (o.gone()) return undefined;
  }
}
