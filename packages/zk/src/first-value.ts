// Waiting for a watcher's first read: callers starting up need the config or the membership
// before they serve, and must not hang forever on an ensemble that never answers.
import type { EventEmitter } from 'node:events';
import { zkError } from './errors.js';

interface OneValueEmitter<T> {
  once(event: string, listener: (value: T) => void): unknown;
  off(event: string, listener: (value: T) => void): unknown;
}

/**
 * `current` at once when there is one, else the value `event` next carries; RL_ZK_TIMEOUT
 * with "<what> after <timeoutMs> ms" when none comes in time.
 */
export function firstValue<Events extends Record<keyof Events, unknown[]>, E extends keyof Events & string>(
  emitter: EventEmitter<Events>,
  event: E,
  current: Events[E][0] | undefined,
  timeoutMs: number,
  what: string,
): Promise<Events[E][0]> {
  if (current !== undefined) return Promise.resolve(current);
  // Node's typings resolve a listener's type only for a concrete event map, not a generic one.
  const events = emitter as unknown as OneValueEmitter<Events[E][0]>;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      events.off(event, onValue);
      reject(zkError('RL_ZK_TIMEOUT', `${what} after ${timeoutMs} ms`));
    }, timeoutMs);
    const onValue = (value: Events[E][0]) => {
      clearTimeout(timer);
      resolve(value);
    };
    events.once(event, onValue);
  });
}
