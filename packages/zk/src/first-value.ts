// Waiting for a watcher's first read: callers starting up need the config or the membership
// before they serve, and must not hang forever on an ensemble that never answers.
import { type EventEmitter, once } from 'node:events';
import { zkError } from './errors.js';

/**
 * `current` at once when there is one, else the value `event` next carries; RL_ZK_TIMEOUT
 * with "<what> after <timeoutMs> ms" when none comes in time.
 */
export async function firstValue<
  Events extends Record<keyof Events, unknown[]>,
  E extends keyof Events & string,
>(
  emitter: EventEmitter<Events>,
  event: E,
  current: Events[E][0] | undefined,
  timeoutMs: number,
  what: string,
): Promise<Events[E][0]> {
  if (current !== undefined) return current;
  try {
    // Node's typings resolve a listener's type only for a concrete event map, not a generic one.
    const [value] = await once(emitter as unknown as EventEmitter, event, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    return value as Events[E][0];
  } catch (err) {
    if ((err as Error | undefined)?.name !== 'AbortError') throw err;
    throw zkError('RL_ZK_TIMEOUT', `${what} after ${timeoutMs} ms`);
  }
}
