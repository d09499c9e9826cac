// ServicesWatcher: `/ringleader/<cluster>/services` → an immutable ServicesView (every service's
// last good definition, the current znode's problem if any, and its membership).
//
// The definitions are the children of services/ and their payloads, so one ChildrenCache
// (membership-cache.ts: watch re-arming, session generations, bounded reads, back-off) keeps
// them; each payload is decoded once per mzxid. Each service's backends are a MembershipWatcher
// on services/<name>/backends, opened when the service appears and closed when it goes.
//
// An invalid definition keeps the service's last good one (never a half-valid one) and is
// reported (a warn log naming path and code, once per distinct problem); a deleted znode
// removes the service. Errors and suspended sessions keep the current view. Bursts are
// coalesced by the caches; a view is published only when something in it changed.
import { EventEmitter } from 'node:events';
import { decodeService, type Result, type ServiceDefinition } from '@ringleader/core';
import { type Logger, silentLogger } from '../logger.js';
import { MembershipWatcher } from '../membership/membership.js';
import { ChildrenCache } from '../membership/membership-cache.js';
import type { ChildrenView, MembershipSnapshot } from '../membership/membership-snapshot.js';
import { clusterPaths, joinPath } from '../paths.js';
import type { ZkSession } from '../session/session.js';

export interface ServiceRejection {
  readonly code: string;
  readonly message: string;
  readonly path: string;
  readonly field?: string | undefined;
}

export interface ServiceState {
  readonly name: string;
  /** The last good definition; undefined while the znode has never been valid. */
  readonly definition: ServiceDefinition | undefined;
  /** The current znode's problem, while it stays invalid. */
  readonly rejected?: ServiceRejection | undefined;
  /** Its backends; undefined until their first complete read. */
  readonly membership: MembershipSnapshot | undefined;
}

export type ServicesView = ReadonlyMap<string, ServiceState>;

export type DecodeService = (name: string, data: Buffer, path: string) => Result<ServiceDefinition>;

export interface ServicesWatcherOptions {
  readonly session: ZkSession;
  readonly cluster?: string;
  readonly logger?: Logger;
  /** The definition decoder (default: core's decodeService). */
  readonly decode?: DecodeService;
  /** Coalescing window and bound of the caches (as MembershipWatcher's). */
  readonly coalesceMs?: number;
  readonly maxWaitMs?: number;
}

export interface ServicesEvents {
  services: [ServicesView];
}

interface Entry {
  mzxid: bigint;
  definition: ServiceDefinition | undefined;
  rejected: ServiceRejection | undefined;
  members: MembershipWatcher | undefined;
}

const rejectionKey = (r: ServiceRejection | undefined) => (r ? `${r.code}\u0000${r.message}` : '');

export class ServicesWatcher extends EventEmitter<ServicesEvents> {
  readonly path: string;
  readonly #opts: ServicesWatcherOptions;
  readonly #log: Logger;
  readonly #decode: DecodeService;
  readonly #cache: ChildrenCache;
  readonly #entries = new Map<string, Entry>();
  #current: ServicesView | undefined;
  #closed = false;

  constructor(opts: ServicesWatcherOptions) {
    super();
    this.#opts = opts;
    this.path = clusterPaths(opts.cluster).services;
    this.#log = (opts.logger ?? silentLogger).child({ component: 'services' });
    this.#decode = opts.decode ?? ((name, data, path) => decodeService(name, data, path));
    this.#cache = new ChildrenCache({
      session: opts.session,
      path: this.path,
      logger: this.#log,
      onFlush: (view) => this.#onDefinitions(view),
      ...(opts.coalesceMs !== undefined ? { coalesceMs: opts.coalesceMs } : {}),
      ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
    });
  }

  /** The view in force; undefined until the first complete read of services/. */
  get current(): ServicesView | undefined {
    return this.#current;
  }

  start(): this {
    if (!this.#closed) this.#cache.start();
    return this;
  }

  close(): void {
    this.#closed = true;
    this.#cache.close();
    for (const e of this.#entries.values()) e.members?.close();
    this.#entries.clear();
  }

  #onDefinitions(view: ChildrenView): void {
    if (this.#closed) return;
    for (const [name, e] of this.#entries) {
      if (view.children.has(name)) continue;
      e.members?.close();
      this.#entries.delete(name);
      this.#log.info({ service: name }, 'service deleted');
    }
    for (const [name, child] of view.children) {
      const e = this.#entries.get(name);
      if (e !== undefined && e.mzxid === child.mzxid) continue;
      const path = joinPath(this.path, name);
      const r = this.#decode(name, child.data, path);
      const entry: Entry = e ?? {
        mzxid: child.mzxid,
        definition: undefined,
        rejected: undefined,
        members: undefined,
      };
      entry.mzxid = child.mzxid;
      const before = rejectionKey(entry.rejected);
      if (r.ok) {
        entry.definition = r.value;
        entry.rejected = undefined;
      } else {
        entry.rejected = { code: r.error.code, message: r.error.message, path, field: r.error.field };
        if (rejectionKey(entry.rejected) !== before)
          this.#log.warn(
            {
              path,
              code: r.error.code,
              field: r.error.field,
              keeping: entry.definition ? 'last good' : 'nothing',
            },
            `service definition rejected: ${r.error.message}`,
          );
      }
      // Backends are watched once the name is a valid service name (the codec checked it).
      if (entry.members === undefined && entry.definition !== undefined)
        entry.members = this.#watchBackends(name);
      this.#entries.set(name, entry);
    }
    this.#publish();
  }

  #watchBackends(name: string): MembershipWatcher {
    const w = new MembershipWatcher({
      session: this.#opts.session,
      path: clusterPaths(this.#opts.cluster).serviceBackends(name),
      logger: this.#log.child({ service: name }),
      ...(this.#opts.coalesceMs !== undefined ? { coalesceMs: this.#opts.coalesceMs } : {}),
      ...(this.#opts.maxWaitMs !== undefined ? { maxWaitMs: this.#opts.maxWaitMs } : {}),
    });
    w.on('snapshot', () => this.#publish());
    return w.start();
  }

  #publish(): void {
    const next = new Map<string, ServiceState>();
    for (const name of [...this.#entries.keys()].sort()) {
      const e = this.#entries.get(name) as Entry;
      next.set(
        name,
        Object.freeze({
          name,
          definition: e.definition,
          rejected: e.rejected,
          membership: e.members?.current,
        }),
      );
    }
    if (this.#current !== undefined && sameView(this.#current, next)) return;
    this.#current = next;
    // A throwing listener must not break the watch loops (this runs in timer callbacks).
    try {
      this.emit('services', next);
    } catch (err) {
      this.#log.error({ err }, 'services listener threw');
    }
  }
}

function sameView(a: ServicesView, b: ServicesView): boolean {
  if (a.size !== b.size) return false;
  for (const [name, x] of a) {
    const y = b.get(name);
    if (y === undefined) return false;
    if (x.definition !== y.definition || x.membership !== y.membership) return false;
    if (rejectionKey(x.rejected) !== rejectionKey(y.rejected)) return false;
  }
  return true;
}
