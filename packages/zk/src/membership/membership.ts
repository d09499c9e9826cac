// MembershipWatcher: `/ringleader/<cluster>/backends` → immutable MembershipSnapshots.
//
// ChildrenCache (membership-cache.ts) keeps the children and payloads in step with
// ZooKeeper and flushes once per coalesced burst; here each flush is decoded with the core
// codec (native, ServerSet, Nerve, Curator payloads; each payload decoded once per mzxid)
// and assembled from the previous snapshot and the names that changed (membership-assemble.ts;
// a full build on the first read and after the folder went missing). A 'snapshot' event fires
// only when the result differs from the current one (version, members or rejections). Invalid payloads are
// reported ('rejected' event, a warn log naming path and code) and excluded; they never
// remove valid backends. Read errors and suspended sessions keep the current snapshot.
import { EventEmitter } from 'node:events';
import { decodeBackend } from '@ringleader/core';
import { firstValue } from '../first-value.js';
import { type Logger, silentLogger } from '../logger.js';
import { clusterPaths } from '../paths.js';
import type { ZkSession } from '../session/session.js';
import { MembershipAssembler } from './membership-assemble.js';
import { ChildrenCache } from './membership-cache.js';
import {
  type DecodeBackend,
  DecodeMemo,
  type MembershipSnapshot,
  type RejectedBackend,
} from './membership-snapshot.js';

export interface MembershipWatcherOptions {
  readonly session: ZkSession;
  /** Cluster name (default `default`). */
  readonly cluster?: string;
  /** The folder to watch (default the cluster's `backends/`; a service's `services/<name>/backends`). */
  readonly path?: string;
  /** Coalescing window after the first change (default 5 ms) and its bound (default 50 ms). */
  readonly coalesceMs?: number;
  readonly maxWaitMs?: number;
  /** Retry back-off after a failed read (default 100 → 2000 ms). */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: Logger;
  /** The payload decoder (default: the core codec's decodeBackend). */
  readonly decode?: DecodeBackend;
}

export interface MembershipEvents {
  snapshot: [MembershipSnapshot];
  /** A payload newly rejected (each (id, code, message) once while it stays rejected). */
  rejected: [RejectedBackend];
}

const rejectionKey = (r: RejectedBackend) => `${r.id}\u0000${r.code}\u0000${r.message}`;

export class MembershipWatcher extends EventEmitter<MembershipEvents> {
  readonly path: string;
  readonly #log: Logger;
  readonly #memo: DecodeMemo;
  readonly #cache: ChildrenCache;
  readonly #assembler: MembershipAssembler;
  #current: MembershipSnapshot | undefined;
  #closed = false;

  constructor(opts: MembershipWatcherOptions) {
    super();
    this.path = opts.path ?? clusterPaths(opts.cluster).backends;
    this.#log = (opts.logger ?? silentLogger).child({ component: 'membership' });
    this.#memo = new DecodeMemo(opts.decode ?? (decodeBackend as DecodeBackend));
    this.#assembler = new MembershipAssembler(this.path, (id, path, entry) =>
      this.#memo.get(id, path, entry),
    );
    this.#cache = new ChildrenCache({
      session: opts.session,
      path: this.path,
      logger: this.#log,
      onFlush: (view, changed) => {
        if (changed === undefined) this.#memo.retain(view.children);
        else for (const id of changed) if (!view.children.has(id)) this.#memo.forget(id);
        this.#publish(this.#assembler.apply(view, changed));
      },
      ...(opts.coalesceMs !== undefined ? { coalesceMs: opts.coalesceMs } : {}),
      ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
      ...(opts.retryMinMs !== undefined ? { retryMinMs: opts.retryMinMs } : {}),
      ...(opts.retryMaxMs !== undefined ? { retryMaxMs: opts.retryMaxMs } : {}),
    });
  }

  /** The snapshot in force; undefined until the first complete read. */
  get current(): MembershipSnapshot | undefined {
    return this.#current;
  }

  /** Starts watching (idempotent). The session may still be connecting. */
  start(): this {
    if (!this.#closed) this.#cache.start();
    return this;
  }

  /** Resolves with the first snapshot (at once if there is one). */
  ready(timeoutMs = 10_000): Promise<MembershipSnapshot> {
    return firstValue(this, 'snapshot', this.#current, timeoutMs, `no membership snapshot of ${this.path}`);
  }

  /** Re-reads everything now (normally unneeded: watches and new sessions drive reads). */
  refresh(): void {
    this.#cache.refresh();
  }

  close(): void {
    this.#closed = true;
    this.#cache.close();
  }

  #publish(next: MembershipSnapshot): void {
    const prev = this.#current;
    if (prev === next) return; // the assembler hands back the same object when nothing moved
    this.#current = next;
    let fresh: RejectedBackend[] = [];
    if (prev?.rejected !== next.rejected) {
      const known = new Set((prev?.rejected ?? []).map(rejectionKey));
      fresh = next.rejected.filter((r) => !known.has(rejectionKey(r)));
    }
    for (const r of fresh) {
      this.#log.warn(
        { path: r.path, code: r.code, field: r.field },
        `backend payload rejected: ${r.message}`,
      );
    }
    this.#log.debug(
      { version: next.version, backends: next.backends.length, rejected: next.rejected.length },
      'membership snapshot',
    );
    // A throwing listener must not break the watch loop (this runs in a timer callback).
    try {
      for (const r of fresh) this.emit('rejected', r);
      this.emit('snapshot', next);
    } catch (err) {
      this.#log.error({ err }, 'membership listener threw');
    }
  }
}
