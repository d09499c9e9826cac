// Shared helpers of the membership/admin integration suites (not a test file).
import { randomUUID } from 'node:crypto';
import { type MembershipSnapshot, type MembershipWatcher, ZkSession } from '@ringleader/zk';

export function uniqueCluster(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function openSession(
  sessions: ZkSession[],
  connectString: string,
  sessionTimeoutMs = 2000,
): ZkSession {
  const s = new ZkSession({ connectString, sessionTimeoutMs, opTimeoutMs: 1500 });
  sessions.push(s);
  return s.start();
}

export interface ValueEmitter<T> {
  on(event: string, listener: (value: T) => void): unknown;
  off(event: string, listener: (value: T) => void): unknown;
}

/**
 * Resolves with the first value (`current`, else one `event` carries later) that satisfies
 * `pred`; after `timeoutMs` fails with `last()` in the message.
 */
export function nextMatching<T>(
  emitter: ValueEmitter<T>,
  event: string,
  current: T | undefined,
  pred: (v: T) => boolean,
  timeoutMs: number,
  last: () => string,
): Promise<T> {
  if (current !== undefined && pred(current)) return Promise.resolve(current);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no matching ${event} within ${timeoutMs} ms; last: ${last()}`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(v);
    };
    emitter.on(event, on);
  });
}

/** Resolves with the first snapshot (current or future) that satisfies `pred`. */
export function waitSnapshot(
  w: MembershipWatcher,
  pred: (s: MembershipSnapshot) => boolean,
  timeoutMs = 10_000,
): Promise<MembershipSnapshot> {
  return nextMatching<MembershipSnapshot>(
    w as ValueEmitter<MembershipSnapshot>,
    'snapshot',
    w.current,
    pred,
    timeoutMs,
    () => JSON.stringify(summary(w.current)),
  );
}

/** Waits until every watcher's snapshot satisfies `pred`; returns them in order. */
export function waitAll(
  ws: readonly MembershipWatcher[],
  pred: (s: MembershipSnapshot) => boolean,
  timeoutMs = 10_000,
): Promise<MembershipSnapshot[]> {
  return Promise.all(ws.map((w) => waitSnapshot(w, pred, timeoutMs)));
}

/** What two snapshots must agree on: version, folder, members (all fields) and rejections. */
export function summary(s: MembershipSnapshot | undefined): unknown {
  if (s === undefined) return undefined;
  return {
    version: s.version,
    folder: s.folder,
    backends: s.backends,
    rejected: s.rejected.map((r) => [r.id, r.code]),
  };
}

export function ids(s: MembershipSnapshot): string[] {
  return s.backends.map((b) => b.id);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
