// ChildrenCache: a folder's children and their payloads, kept in step with ZooKeeper
// (what Curator's PathChildrenCache does), delivered in coalesced flushes.
//
// - One getChildren watch on the folder, one data watch per child. Watches are one-shot:
//   each callback re-arms by reading again (the read sets the next watch), so no change
//   between the event and the new watch is missed. The same stable function is passed for
//   every registration (the client de-duplicates watchers per path by identity, so
//   listeners never pile up).
// - The folder missing (NO_NODE, i.e. a connected server said so) → 'missing' plus an
//   exists watch; its creation re-arms everything.
// - Errors never clear anything: a failed read keeps the last good entry and is retried
//   with back-off (and at once when the session reconnects). Only positive answers from
//   the server (a children list without a name, NO_NODE) remove entries. So while the
//   session is suspended nothing is emptied (Finagle's Stabilizer).
// - A new session (generation) loses every watch: all are re-armed and all data re-read.
// - Responses on one session arrive in request order; a payload is also only replaced by
//   one with a newer or equal mzxid.
// - At most `maxInFlight` child reads are outstanding; the rest wait in a queue. A folder of
//   10 000 children read all at once put the session's liveness ping behind 10 000 replies
//   on the same connection (ZooKeeper answers a session's requests in order), and every
//   node suspended its session — the leader stopped proxying (found by test/hostile).
// - Each flush names what changed since the previous one (`changed`: children set, deleted
//   or turned unreadable), so the consumer updates its result from the previous one instead
//   of rebuilding over every child (undefined: start over, e.g. after the folder went missing).
//   The view's maps are the cache's own, read-only and valid during the callback only: a
//   copy of 10 000 entries per flush was most of a small change's cost.
import type { RingleaderError } from '@ringleader/core';
import { hasCode } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { NotAuthorisedLog } from '../security/noauth.js';
import type { NewSession, SessionStateChange, WatchEvent, ZkSession } from '../session/session.js';
import { Coalescer, realTimers, type Timers } from './membership-coalesce.js';
import type { ChildEntry, ChildrenView } from './membership-snapshot.js';

/**
 * A child's payload kept as a one-byte (latin1) string, not as the client's Buffer: each of
 * those is a Buffer plus its own ArrayBuffer and malloc'd store (~0.38 KB per child at
 * 10 000, heap snapshot), where a one-byte string is its bytes in the V8 heap, which compacts.
 * latin1 maps each byte to one character and back, so `data` is the exact bytes, made on
 * demand (a payload is decoded once per change).
 */
class CachedChild implements ChildEntry {
  /** The payload's bytes, one character each. */
  readonly bytes: string;
  readonly mzxid: bigint;
  constructor(bytes: string, mzxid: bigint) {
    this.bytes = bytes;
    this.mzxid = mzxid;
  }
  get data(): Buffer {
    return Buffer.from(this.bytes, 'latin1');
  }
}

export type CacheState = 'idle' | 'running' | 'closed';

export interface ChildrenCacheOptions {
  readonly session: ZkSession;
  /** The folder, e.g. /ringleader/default/backends. */
  readonly path: string;
  /** Coalescing window (default 5 ms) and its upper bound (default 50 ms), see Coalescer. */
  readonly coalesceMs?: number;
  readonly maxWaitMs?: number;
  /** Retry back-off after a failed read: doubles from min to max (default 100 → 2000 ms). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: Logger;
  readonly timers?: Timers;
  /** Child reads outstanding at once (default 64); more wait in a queue. */
  readonly maxInFlight?: number;
  /**
   * Called after each coalesced burst (never before the folder was read) with the view and the
   * names changed since the previous flush (undefined: everything may have changed). The view
   * is read-only and valid during the call only.
   */
  readonly onFlush: (view: ChildrenView, changed: ReadonlySet<string> | undefined) => void;
}

/** While reads are queued, views are delivered at most this often. */
const BACKLOG_FLUSH_MS = 1000;

/** Errors worth retrying as they are: the session or the connection, not the request. */
const TRANSIENT = [
  'RL_ZK_TIMEOUT',
  'RL_ZK_CONNECTION_LOSS',
  'RL_ZK_SESSION_EXPIRED',
  'RL_ZK_UNREACHABLE',
] as const;

export class ChildrenCache {
  readonly #session: ZkSession;
  readonly #path: string;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #noauth: NotAuthorisedLog;
  readonly #timers: Timers;
  readonly #coalescer: Coalescer;
  readonly #onFlush: (view: ChildrenView, changed: ReadonlySet<string> | undefined) => void;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;

  #state: CacheState = 'idle';
  #gen = -1;
  #parent: { readonly pzxid: bigint } | 'missing' | undefined;
  readonly #children = new Map<string, CachedChild>();
  /**
   * Names the last children list held (each has, or is getting, a data watch), with the number
   * of the list that last named them. Marking names with the list's number finds the new ones in
   * one lookup each, and the removed ones (unmarked) only when the counts say there are some:
   * a Set of every name per list cost 5–10 ms at 10 000 children, per change (fresh strings,
   * hashed and compared whole), against ~1 ms for this.
   */
  readonly #listed = new Map<string, number>();
  #listNo = 0;
  /** After refresh or a missing folder: the next list must also sweep the entries it no longer names. */
  #sweep = true;
  /** Children the server refused to read (not transient), by name → error code. */
  readonly #unreadable = new Map<string, { code: string; message: string }>();
  #synced = false;
  #retryChildren = false;
  readonly #retryData = new Set<string>();
  #retryTimer: unknown;
  #retryDelayMs: number;
  readonly #maxInFlight: number;
  /** Child reads waiting for a slot, in arrival order, without duplicates. */
  readonly #queued = new Set<string>();
  #active = 0;
  #lastFlushAt = -Infinity;
  /** Names changed since the last flush; undefined when the next flush must start over. */
  #changed: Set<string> | undefined;

  readonly #onFolderEvent = (_ev: WatchEvent): void => this.#readChildren();
  readonly #onChildEvent = (ev: WatchEvent): void => {
    const name = ev.path.startsWith(this.#prefix) ? ev.path.slice(this.#prefix.length) : '';
    if (name !== '' && !name.includes('/')) this.#readData(name);
  };
  readonly #onSession = (s: NewSession): void => {
    if (this.#state !== 'running' || s.generation === this.#gen) return;
    this.#gen = s.generation;
    this.#log.debug({ path: this.#path, generation: s.generation }, 'new session: re-arming watches');
    this.refresh();
  };
  readonly #onState = (c: SessionStateChange): void => {
    if (c.to === 'connected' && this.#retryTimer !== undefined) this.#retryNow();
  };

  constructor(opts: ChildrenCacheOptions) {
    this.#session = opts.session;
    this.#path = opts.path;
    this.#prefix = `${opts.path}/`;
    this.#log = opts.logger ?? silentLogger;
    this.#noauth = new NotAuthorisedLog(this.#log);
    this.#timers = opts.timers ?? realTimers;
    this.#onFlush = opts.onFlush;
    this.#retryMinMs = opts.retryMinMs ?? 100;
    this.#retryMaxMs = Math.max(this.#retryMinMs, opts.retryMaxMs ?? 2000);
    this.#retryDelayMs = this.#retryMinMs;
    this.#maxInFlight = Math.max(1, opts.maxInFlight ?? 64);
    this.#coalescer = new Coalescer({
      delayMs: opts.coalesceMs ?? 5,
      maxWaitMs: opts.maxWaitMs ?? 50,
      timers: this.#timers,
      flush: () => this.#flush(),
    });
  }

  get state(): CacheState {
    return this.#state;
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#gen = this.#session.generation;
    this.#session.on('session', this.#onSession);
    this.#session.on('state', this.#onState);
    this.#readChildren();
  }

  /**
   * Re-reads the folder and every child, re-arming every watch (done on each new session).
   * Entries stay in force until the server answers otherwise.
   */
  refresh(): void {
    if (this.#state !== 'running') return;
    this.#listed.clear(); // every child is "new": re-read with a fresh watch
    this.#sweep = true;
    this.#retryChildren = false;
    this.#retryData.clear();
    this.#readChildren();
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#session.off('session', this.#onSession);
    this.#session.off('state', this.#onState);
    this.#coalescer.cancel();
    this.#queued.clear();
    if (this.#retryTimer !== undefined) this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #flush(): void {
    if (this.#state !== 'running' || this.#parent === undefined) return;
    // A backlog of queued reads (thousands of children changed at once): a view per 50 ms
    // would rebuild every snapshot over all members dozens of times; one a second will do.
    const now = performance.now();
    if (this.#queued.size > 0 && now - this.#lastFlushAt < BACKLOG_FLUSH_MS) {
      this.#coalescer.markDirty();
      return;
    }
    if (!this.#synced) {
      // The first view waits for every read in flight: a starting node must not route
      // to half of the members.
      if (this.#coalescer.inFlight > 0) {
        this.#coalescer.markDirty();
        return;
      }
      this.#synced = true;
    }
    this.#lastFlushAt = now;
    const changed = this.#changed;
    this.#changed = new Set();
    this.#onFlush({ parent: this.#parent, children: this.#children, unreadable: this.#unreadable }, changed);
  }

  #readChildren(): void {
    if (this.#state !== 'running') return;
    const c = this.#coalescer;
    c.readStarted();
    this.#session
      .getChildren(this.#path, this.#onFolderEvent)
      .then(
        ({ children, stat }) => {
          if (this.#state !== 'running') return;
          this.#parent = { pzxid: stat.pzxid };
          this.#list(children);
          this.#succeeded();
        },
        (err: unknown) => {
          if (this.#state !== 'running') return;
          if (hasCode(err, 'RL_ZK_NO_NODE')) this.#folderMissing();
          else this.#failed(undefined, err);
        },
      )
      .finally(() => c.readEnded());
  }

  /** Follows a children list: reads the new names, forgets the ones it no longer holds. */
  #list(children: readonly string[]): void {
    const no = ++this.#listNo;
    const listed = this.#listed;
    const fresh: string[] = [];
    for (const name of children) {
      if (!listed.has(name)) fresh.push(name);
      listed.set(name, no);
    }
    const gone = (name: string) => listed.get(name) !== no;
    if (listed.size > children.length) {
      for (const [name, n] of listed)
        if (n !== no) {
          listed.delete(name);
          this.#forget(name);
        }
    }
    if (this.#sweep) {
      this.#sweep = false;
      for (const name of this.#children.keys()) if (gone(name)) this.#forget(name);
      for (const name of this.#unreadable.keys()) if (gone(name)) this.#forget(name);
      for (const name of this.#retryData) if (gone(name)) this.#retryData.delete(name);
    }
    for (const name of fresh) this.#readData(name);
  }

  /** A child the server no longer lists. */
  #forget(name: string): void {
    if (this.#children.delete(name)) this.#changed?.add(name);
    if (this.#unreadable.delete(name)) this.#changed?.add(name);
    this.#retryData.delete(name);
  }

  /** A connected server said the folder does not exist: no children; wait for it. */
  #folderMissing(): void {
    if (this.#parent !== 'missing') this.#log.warn({ path: this.#path }, 'folder is missing: no children');
    this.#parent = 'missing';
    this.#changed = undefined;
    this.#children.clear();
    this.#unreadable.clear();
    this.#listed.clear();
    this.#sweep = true;
    this.#retryData.clear();
    this.#coalescer.markDirty();
    const c = this.#coalescer;
    c.readStarted();
    this.#session
      .exists(this.#path, this.#onFolderEvent)
      .then(
        (stat) => {
          if (this.#state === 'running' && stat !== null) this.#readChildren(); // created meanwhile
        },
        (err: unknown) => {
          if (this.#state === 'running') this.#failed(undefined, err);
        },
      )
      .finally(() => c.readEnded());
  }

  /** Reads a child now, or queues it while maxInFlight reads are outstanding. */
  #readData(name: string): void {
    if (this.#state !== 'running' || this.#queued.has(name)) return;
    // Counted as in flight from now on, so the first snapshot waits for queued reads too.
    this.#coalescer.readStarted();
    if (this.#active >= this.#maxInFlight) this.#queued.add(name);
    else this.#startRead(name);
  }

  #nextReads(): void {
    for (const name of this.#queued) {
      if (this.#active >= this.#maxInFlight || this.#state !== 'running') return;
      this.#queued.delete(name);
      this.#startRead(name);
    }
  }

  #startRead(name: string): void {
    const c = this.#coalescer;
    this.#active++;
    this.#session
      .getData(this.#prefix + name, this.#onChildEvent)
      .then(
        ({ data, stat }) => {
          if (this.#state !== 'running') return;
          // Unlisted meanwhile (a list without it, or a refresh that lists again): the next list
          // decides; an entry kept here would outlive its removal.
          if (!this.#listed.has(name)) return this.#succeeded();
          if (this.#unreadable.delete(name)) this.#changed?.add(name);
          const old = this.#children.get(name);
          const bytes = data.toString('latin1');
          if (
            old === undefined ||
            stat.mzxid > old.mzxid ||
            (stat.mzxid === old.mzxid && bytes !== old.bytes)
          ) {
            this.#children.set(name, new CachedChild(bytes, stat.mzxid));
            this.#changed?.add(name);
          }
          this.#succeeded();
        },
        (err: unknown) => {
          if (this.#state !== 'running') return;
          if (hasCode(err, 'RL_ZK_NO_NODE')) {
            this.#children.delete(name);
            this.#unreadable.delete(name);
            this.#changed?.add(name);
            this.#listed.delete(name);
            this.#coalescer.markDirty();
          } else this.#failed(name, err);
        },
      )
      .finally(() => {
        this.#active--;
        c.readEnded();
        this.#nextReads();
      });
  }

  #succeeded(): void {
    this.#retryDelayMs = this.#retryMinMs;
    this.#coalescer.markDirty();
  }

  /** Keeps the last good state and schedules a retry of the read that failed. */
  #failed(name: string | undefined, err: unknown): void {
    if (hasCode(err, 'RL_ZK_CLOSED')) return;
    const e = err as RingleaderError;
    if (name === undefined) this.#retryChildren = true;
    else {
      this.#retryData.add(name);
      if (!hasCode(err, ...TRANSIENT) && !this.#unreadable.has(name)) {
        this.#unreadable.set(name, { code: e.code ?? 'RL_ZK_ERROR', message: String(e.message) });
        this.#changed?.add(name);
        this.#coalescer.markDirty();
      }
    }
    if (name !== undefined || !this.#noauth.report(err))
      this.#log.debug(
        { path: name === undefined ? this.#path : this.#prefix + name, code: e.code },
        'read failed',
      );
    if (this.#retryTimer !== undefined) return;
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(this.#retryMaxMs, delay * 2);
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#retryNow();
    }, delay);
  }

  #retryNow(): void {
    if (this.#retryTimer !== undefined) this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    if (this.#state !== 'running') return;
    if (this.#retryChildren) {
      this.#retryChildren = false;
      this.#readChildren();
    }
    const names = [...this.#retryData];
    this.#retryData.clear();
    for (const name of names) this.#readData(name);
  }
}
