// Reporting RL_ZK_NOT_AUTHORISED from retry loops (election, registry, stats, the node's
// join): an error line naming the operation, the path and the missing credential at most
// once a minute per operation and path — a node without the cluster credential retries
// quietly instead of logging on every attempt, and never crashes.
import { performance } from 'node:perf_hooks';
import { RingleaderError } from '@ringleader/core';
import type { Logger } from '../logger.js';
import { ReportThrottle } from './acl.js';

/** Retry delay after a refusal: credentials do not appear by themselves every 100 ms. */
export const NOT_AUTHORISED_RETRY_MS = 5_000;

export class NotAuthorisedLog {
  readonly #log: Logger;
  readonly #throttle: ReportThrottle;
  readonly #now: () => number;
  /** Refusals seen (logged or not). */
  count = 0;

  constructor(log: Logger, opts: { intervalMs?: number; now?: () => number } = {}) {
    this.#log = log;
    this.#throttle = new ReportThrottle(opts.intervalMs ?? 60_000);
    this.#now = opts.now ?? (() => performance.now());
  }

  /** True when `err` is RL_ZK_NOT_AUTHORISED (then logged, throttled); false otherwise. */
  report(err: unknown): boolean {
    if (!(err instanceof RingleaderError) || err.code !== 'RL_ZK_NOT_AUTHORISED') return false;
    this.count++;
    // Election creates carry a fresh guid each attempt (_c_<uuid>-n_): one key for all of them.
    const key = err.message.replace(/_c_[0-9a-f-]{36}-/g, '_c_*-');
    if (this.#throttle.due(key, this.#now())) {
      this.#log.error(
        { code: err.code, path: err.path, refusals: this.count },
        `${err.message} (repeats are logged at most once a minute)`,
      );
    }
    return true;
  }
}
