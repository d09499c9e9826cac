// The run-until-settled loop behind the election and the node registry: their step reads
// ZooKeeper and acts on what it saw, so two steps must never interleave, and an event that
// lands mid-step (a watch, a new session) must not be lost: it earns one more run after the
// current one. A failed step is retried after a pause — a long one while ZooKeeper refuses
// our credentials, which do not appear by themselves.
import type { Logger } from '../logger.js';
import { NOT_AUTHORISED_RETRY_MS, NotAuthorisedLog } from '../security/noauth.js';

export interface RetryLoopOptions {
  readonly step: () => Promise<void>;
  /** False once the owner stops: no run starts and no retry is scheduled after that. */
  readonly active: () => boolean;
  readonly retryDelayMs: number;
  readonly log: Logger;
  /** Debug line for a failed step (NOAUTH is reported apart, throttled). */
  readonly failure: string;
}

export class RetryLoop {
  readonly #opts: RetryLoopOptions;
  readonly #noauth: NotAuthorisedLog;
  #running = false;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: RetryLoopOptions) {
    this.#opts = opts;
    this.#noauth = new NotAuthorisedLog(opts.log);
  }

  /** Runs the step now, or once more after the run in progress. */
  kick(): void {
    if (!this.#opts.active()) return;
    if (this.#running) {
      this.#dirty = true;
      return;
    }
    this.#running = true;
    void this.#loop();
  }

  /** Called by the step when what it acted on moved meanwhile: it runs again at once. */
  again(): void {
    this.#dirty = true;
  }

  /** Drops a scheduled retry. */
  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #loop(): Promise<void> {
    do {
      this.#dirty = false;
      try {
        await this.#opts.step();
      } catch (err) {
        if (this.#noauth.report(err)) this.#schedule(NOT_AUTHORISED_RETRY_MS);
        else {
          this.#opts.log.debug({ err }, this.#opts.failure);
          this.#schedule(this.#opts.retryDelayMs);
        }
      }
    } while (this.#dirty && this.#opts.active());
    this.#running = false;
  }

  #schedule(delayMs: number): void {
    if (this.#timer || !this.#opts.active()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.kick();
    }, delayMs);
    this.#timer.unref();
  }
}
