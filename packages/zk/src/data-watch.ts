// One znode's data, watched for as long as the owner wants it: getData with a stable watcher
// (exists with the same watcher while the znode is missing), re-read on every event, so no
// change between the event and the new watch is missed. Read errors (connection loss,
// timeouts, a suspended session) keep what the owner has and retry with back-off, at once
// when the session reconnects; a new session re-arms the watch.
import { hasCode } from './errors.js';
import { type Logger, silentLogger } from './logger.js';
import { NotAuthorisedLog } from './security/noauth.js';
import type { NewSession, SessionStateChange, ZkSession } from './session/session.js';
import type { ZnodeStat } from './stat.js';

export type ZnodeRead =
  | { readonly kind: 'data'; readonly data: Buffer; readonly stat: ZnodeStat }
  | { readonly kind: 'missing' };

export interface DataWatchOptions {
  readonly session: ZkSession;
  readonly path: string;
  /** Called with every answered read, in order. */
  readonly onRead: (read: ZnodeRead) => void;
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: Logger;
}

export type DataWatchState = 'idle' | 'running' | 'closed';

export class DataWatch {
  readonly path: string;
  readonly #session: ZkSession;
  readonly #onRead: (read: ZnodeRead) => void;
  readonly #log: Logger;
  readonly #noauth: NotAuthorisedLog;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  #state: DataWatchState = 'idle';
  #gen = -1;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs: number;

  readonly #onEvent = (): void => this.#read();
  readonly #onSession = (s: NewSession): void => {
    if (this.#state !== 'running' || s.generation === this.#gen) return;
    this.#gen = s.generation;
    this.#read();
  };
  readonly #onState = (c: SessionStateChange): void => {
    if (c.to === 'connected' && this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#read();
    }
  };

  constructor(opts: DataWatchOptions) {
    this.path = opts.path;
    this.#session = opts.session;
    this.#onRead = opts.onRead;
    this.#log = opts.logger ?? silentLogger;
    this.#noauth = new NotAuthorisedLog(this.#log);
    this.#retryMinMs = opts.retryMinMs ?? 100;
    this.#retryMaxMs = Math.max(this.#retryMinMs, opts.retryMaxMs ?? 2000);
    this.#retryDelayMs = this.#retryMinMs;
  }

  get state(): DataWatchState {
    return this.#state;
  }

  start(): this {
    if (this.#state !== 'idle') return this;
    this.#state = 'running';
    this.#gen = this.#session.generation;
    this.#session.on('session', this.#onSession);
    this.#session.on('state', this.#onState);
    this.#read();
    return this;
  }

  close(): void {
    this.#state = 'closed';
    this.#session.off('session', this.#onSession);
    this.#session.off('state', this.#onState);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #read(): void {
    if (this.#state !== 'running') return;
    this.#session.getData(this.path, this.#onEvent).then(
      ({ data, stat }) => this.#answer({ kind: 'data', data, stat }),
      (err: unknown) => {
        if (this.#state !== 'running') return;
        if (!hasCode(err, 'RL_ZK_NO_NODE')) {
          this.#failed(err);
          return;
        }
        this.#session.exists(this.path, this.#onEvent).then(
          (stat) => {
            if (stat === null) this.#answer({ kind: 'missing' });
            else this.#read(); // created meanwhile
          },
          (e: unknown) => this.#failed(e),
        );
      },
    );
  }

  #answer(read: ZnodeRead): void {
    if (this.#state !== 'running') return;
    this.#retryDelayMs = this.#retryMinMs;
    try {
      this.#onRead(read);
    } catch (err) {
      this.#log.error({ err, path: this.path }, 'znode watch listener threw');
    }
  }

  #failed(err: unknown): void {
    if (this.#state !== 'running' || hasCode(err, 'RL_ZK_CLOSED') || this.#retryTimer !== undefined) return;
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#retryMaxMs, delay * 2);
    if (!this.#noauth.report(err))
      this.#log.debug(
        { path: this.path, code: (err as { code?: unknown }).code, delay },
        'znode read failed',
      );
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#read();
    }, delay);
    this.#retryTimer.unref();
  }
}
