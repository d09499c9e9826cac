// One keep-alive undici Pool per upstream origin (backend or leader), shared by both engines:
// the reply-from engine hands this object to reply-from as its `undici` option (reply-from
// accepts any object with `request(opts, cb)` and passes the origin of the URL `getUpstream`
// returned), the undici engine calls `dispatch` — so routing stays ours and connections pooled.
//
// Lifecycle: `retain(origins)` is called when the routing snapshot changes; pools of origins no
// longer wanted are closed with `Pool.close()`, which lets queued and in-flight requests finish
// and then ends the sockets. A request that still targets a removed origin (it read the old
// snapshot and is retrying) gets a one-shot pool that is closed right after dispatch.
//
// Write-time guard: with `guard` set, every request asks it once more right before undici writes
// it to the socket (onRequestStart runs synchronously just before the write), naming the epoch
// it is stamped with, and is aborted with code RL_LEASE_LOST when that permit is void. The gate
// is checked when a request arrives; a resignation, or a process freeze (SIGSTOP, long GC, VM
// pause), between that check and the write would otherwise let a deposed leader send an
// admitted request, stamped with its old epoch, after a new leader's. (The undici engine's
// handler, forward.ts, asks the same guard in its own onRequestStart.)

import { DecoratorHandler, type Dispatcher, Pool } from 'undici';
import type { NodeErrorCode } from '../../errors.js';

/** Code of the error a guarded request is aborted with. */
export const LEASE_LOST: NodeErrorCode = 'RL_LEASE_LOST';

type StartHandler = Dispatcher.DispatchHandler & {
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void;
};
// undici's DecoratorHandler implements every handler hook (old and new style); its typings omit them.
const Decorator = DecoratorHandler as unknown as new (handler: Dispatcher.DispatchHandler) => StartHandler;

/**
 * The write-time check of one request: given the `x-ringleader-epoch` it is stamped with and
 * whether it is a forwarded hop (`x-ringleader-via` set: the leader re-stamps it), true when it
 * may still go out.
 */
export type WriteGuard = (epoch: string | undefined, forwardedHop: boolean) => boolean;

class GuardedHandler extends Decorator {
  readonly #ok: WriteGuard;
  readonly #epoch: string | undefined;
  readonly #hop: boolean;

  constructor(handler: Dispatcher.DispatchHandler, ok: WriteGuard, headers: unknown) {
    super(handler);
    this.#ok = ok;
    this.#epoch = headerValue(headers, 'x-ringleader-epoch');
    this.#hop = headerValue(headers, 'x-ringleader-via') !== undefined;
  }

  override onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    if (!this.#ok(this.#epoch, this.#hop)) {
      const err = new Error('the serving permit was void before the request was sent');
      controller.abort(Object.assign(err, { code: LEASE_LOST }));
      return;
    }
    super.onRequestStart(controller, context);
  }
}

export interface PoolSettings {
  /** TCP connect timeout per attempt. */
  readonly connectMs: number;
  /** Default time to response headers (a request may pass a shorter `headersTimeout`). */
  readonly headersMs: number;
  /** Longest silence while streaming a response body. */
  readonly bodyIdleMs: number;
  /** Upper bound of sockets per origin (excess requests queue in the pool). */
  readonly maxConnections: number;
  /** Asked right before each request is written; false aborts it (RL_LEASE_LOST). */
  readonly guard?: WriteGuard;
}

type RequestOptions = Parameters<Pool['request']>[0];
type RequestCallback = (err: Error | null, data: unknown) => void;
/** Pool.request's callback form (its typings lead with the promise overload). */
type RequestWithCallback = (opts: RequestOptions, cb: RequestCallback) => void;

export class UpstreamPools {
  readonly #settings: PoolSettings;
  readonly #pools = new Map<string, Pool>();
  /** Origins the routing snapshot names, with the number of its backends at each. */
  readonly #refs = new Map<string, number>();
  /** Origins wanted outside the snapshot (`want`: the leader's, while forwarding). */
  readonly #extra = new Set<string>();
  /** Each pool composed with the write-time guard (when there is one). */
  readonly #guarded = new WeakMap<Pool, Dispatcher>();
  /** Pools closing gracefully, with the promise of their close. */
  readonly #retiring = new Map<Pool, Promise<unknown>>();
  #closed = false;

  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  /** Number of open pools (for tests and /status). */
  get size(): number {
    return this.#pools.size;
  }

  has(origin: string): boolean {
    return this.#pools.has(origin);
  }

  /** The write-time guard, for engines that ask it themselves (engine-undici.ts). */
  get guard(): WriteGuard | undefined {
    return this.#settings.guard;
  }

  /** Longest silence while streaming a response body. */
  get bodyIdleMs(): number {
    return this.#settings.bodyIdleMs;
  }

  /** reply-from's dispatcher entry point. */
  request(opts: RequestOptions & { origin?: string | URL }, cb: RequestCallback): void {
    const origin = String(opts.origin);
    const pool = this.#pools.get(origin) ?? this.#open(origin);
    // reply-from sets bodyTimeout to its `timeout` (our headers deadline); body silence is
    // bounded separately.
    (opts as { bodyTimeout?: number }).bodyTimeout = this.#settings.bodyIdleMs;
    const target = this.#withGuard(pool);
    (target.request as unknown as RequestWithCallback).call(target, opts as RequestOptions, cb);
    if (this.#pools.get(origin) !== pool) this.#retire(pool);
  }

  /**
   * Dispatches straight to `origin`'s pool (engine-undici.ts). The handler asks the guard
   * itself, in its onConnect, so no decorator sits between it and the pool.
   */
  dispatch(origin: string, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    const pool = this.#pools.get(origin) ?? this.#open(origin);
    pool.dispatch(opts, handler);
    if (this.#pools.get(origin) !== pool) this.#retire(pool);
  }

  /** A pool for an origin with none: kept when wanted, else one-shot (retired after use). */
  #open(origin: string): Pool {
    const pool = this.#create(origin);
    if (this.#wanted(origin) && !this.#closed) this.#pools.set(origin, pool);
    return pool;
  }

  /** Keeps (and lazily opens) pools for `origins`; gracefully closes all others. */
  retain(origins: Iterable<string>): void {
    this.#refs.clear();
    this.#extra.clear();
    for (const o of origins) this.#refs.set(o, (this.#refs.get(o) ?? 0) + 1);
    for (const [origin, pool] of this.#pools) {
      if (!this.#wanted(origin)) {
        this.#pools.delete(origin);
        this.#retire(pool);
      }
    }
  }

  /**
   * The same as `retain` for a membership change given as its difference: `added` and `removed`
   * name one origin per backend (a backend that moved appears in both), so an origin shared by
   * several backends stays wanted while any of them remains. O(change), not O(pool).
   */
  update(added: readonly string[], removed: readonly string[]): void {
    for (const o of added) this.#refs.set(o, (this.#refs.get(o) ?? 0) + 1);
    for (const o of removed) {
      const n = (this.#refs.get(o) ?? 0) - 1;
      if (n > 0) {
        this.#refs.set(o, n);
        continue;
      }
      this.#refs.delete(o);
      const pool = this.#pools.get(o);
      if (pool !== undefined && !this.#wanted(o)) {
        this.#pools.delete(o);
        this.#retire(pool);
      }
    }
  }

  /** Adds one origin to the wanted set (the leader's proxy URL while forwarding). */
  want(origin: string): void {
    this.#extra.add(origin);
  }

  #wanted(origin: string): boolean {
    return this.#refs.has(origin) || this.#extra.has(origin);
  }

  /** Graceful close of every pool: in-flight requests finish first. */
  async close(): Promise<void> {
    this.#closed = true;
    this.retain([]);
    await Promise.allSettled([...this.#retiring.values()]);
  }

  /** Aborts everything still running (after a drain deadline). */
  async destroy(): Promise<void> {
    this.#closed = true;
    const all = [...this.#pools.values(), ...this.#retiring.keys()];
    this.#pools.clear();
    this.#retiring.clear();
    await Promise.allSettled(all.map((p) => p.destroy()));
  }

  #create(origin: string): Pool {
    const s = this.#settings;
    return new Pool(origin, {
      connections: s.maxConnections,
      pipelining: 1,
      connect: { timeout: s.connectMs },
      headersTimeout: s.headersMs,
      bodyTimeout: s.bodyIdleMs,
    });
  }

  #withGuard(pool: Pool): Dispatcher {
    const guard = this.#settings.guard;
    if (guard === undefined) return pool;
    let d = this.#guarded.get(pool);
    if (d === undefined) {
      d = pool.compose(
        (dispatch) => (opts, handler) => dispatch(opts, new GuardedHandler(handler, guard, opts.headers)),
      );
      this.#guarded.set(pool, d);
    }
    return d;
  }

  #retire(pool: Pool): void {
    const done = pool
      .close()
      .catch(() => undefined)
      .finally(() => this.#retiring.delete(pool));
    this.#retiring.set(pool, done);
  }
}

/** One field of undici's request headers (an object, or a flat [name, value, …] array). */
function headerValue(headers: unknown, name: string): string | undefined {
  if (headers === null || headers === undefined) return undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    return undefined;
  }
  const v = (headers as Record<string, unknown>)[name];
  return v === undefined ? undefined : String(v);
}

/** `http://host:port` for a backend; IPv6 literals get brackets. */
export function originOf(host: string, port: number, protocol: 'http' | 'https' = 'http'): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${protocol}://${h}:${port}`;
}
