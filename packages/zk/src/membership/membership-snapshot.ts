// Membership snapshot assembly: children of `backends/` + their payloads → one immutable,
// deterministic value. Pure: no I/O, no clock.
//
// Version: the zxid of the newest ZooKeeper change the snapshot reflects,
//   version = max(pzxid of backends/, mzxid of every child read)
// pzxid moves on every child create/delete, mzxid on every create/setData of that child,
// so the version moves on every membership change and on nothing else. zxids are global
// to the ensemble: nodes that see the same membership compute the SAME version, whatever
// order their notifications came in. A missing `backends/` folder has version 0.
// (A zxid is epoch<<32 | counter; it is exact as a JS number while the ensemble's
// leader epoch stays below 2^21.)

import { type Backend, stableStringify } from '@ringleader/core';

/** One child of `backends/` as last read from ZooKeeper. */
export interface ChildEntry {
  readonly data: Buffer;
  readonly mzxid: bigint;
}

/** What a children cache knows about a folder. */
export interface ChildrenView {
  /** The folder's pzxid, or 'missing' when ZooKeeper answered that it does not exist. */
  readonly parent: { readonly pzxid: bigint } | 'missing';
  /** Children whose data has been read, by znode name. */
  readonly children: ReadonlyMap<string, ChildEntry>;
  /** Children the server refused to read (e.g. RL_ZK_NOT_AUTHORISED): reported, not routed. */
  readonly unreadable?: ReadonlyMap<string, { readonly code: string; readonly message: string }>;
}

/** An excluded child: its payload failed validation. */
export interface RejectedBackend {
  readonly id: string;
  readonly path: string;
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

export interface MembershipSnapshot {
  /** max(pzxid of backends/, mzxid of each child); 0 when the folder is missing. */
  readonly version: number;
  /** Whether `backends/` exists. Missing (deleted by an operator) means "no backends". */
  readonly folder: 'present' | 'missing';
  /** Valid backends, sorted by id. */
  readonly backends: readonly Backend[];
  /** Children whose payload was rejected, sorted by id. */
  readonly rejected: readonly RejectedBackend[];
}

export interface BackendDecodeError {
  readonly code: string;
  readonly message: string;
  readonly field?: string | undefined;
}

/** The core codec's shape: `decodeBackend(id, data, path)` → Result<Backend>. */
export type DecodeBackend = (
  id: string,
  data: Buffer,
  path: string,
) =>
  | { readonly ok: true; readonly value: Backend }
  | { readonly ok: false; readonly error: BackendDecodeError };

export type DecodedBackend =
  | { readonly ok: true; readonly value: Backend }
  | { readonly ok: false; readonly error: BackendDecodeError };

/** Remembers each child's decode result per mzxid, so a burst decodes each payload once. */
export class DecodeMemo {
  readonly #decode: DecodeBackend;
  readonly #byId = new Map<string, { mzxid: bigint; result: DecodedBackend }>();

  constructor(decode: DecodeBackend) {
    this.#decode = decode;
  }

  get(id: string, path: string, entry: ChildEntry): DecodedBackend {
    const hit = this.#byId.get(id);
    if (hit !== undefined && hit.mzxid === entry.mzxid) return hit.result;
    let result: DecodedBackend;
    try {
      result = this.#decode(id, entry.data, path);
    } catch (err) {
      // A codec bug must not take membership down: report it like a bad payload.
      result = { ok: false, error: { code: 'RL_BAD_BACKEND_PAYLOAD', message: String(err) } };
    }
    this.#byId.set(id, { mzxid: entry.mzxid, result });
    return result;
  }

  /** Drops one child's entry (it is gone). */
  forget(id: string): void {
    this.#byId.delete(id);
  }

  /** Drops entries of children that are gone. */
  retain(ids: ReadonlySet<string> | ReadonlyMap<string, unknown>): void {
    for (const id of this.#byId.keys()) if (!ids.has(id)) this.#byId.delete(id);
  }
}

/** The snapshot version for a view (see the header comment). */
export function viewVersion(view: ChildrenView): bigint {
  if (view.parent === 'missing') return 0n;
  let v = view.parent.pzxid;
  for (const e of view.children.values()) if (e.mzxid > v) v = e.mzxid;
  return v;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Builds the immutable snapshot. O(n log n) for n children; decoding goes through
 * `decode` (a DecodeMemo in the watcher, so unchanged payloads are not decoded again).
 */
export function buildMembershipSnapshot(
  view: ChildrenView,
  folderPath: string,
  decode: (id: string, path: string, entry: ChildEntry) => DecodedBackend,
): MembershipSnapshot {
  const backends: Backend[] = [];
  const rejected: RejectedBackend[] = [];
  if (view.parent !== 'missing') {
    for (const [id, { code, message }] of view.unreadable ?? []) {
      if (!view.children.has(id))
        rejected.push(Object.freeze({ id, path: `${folderPath}/${id}`, code, message }));
    }
    for (const [id, entry] of view.children) {
      const path = `${folderPath}/${id}`;
      const r = decode(id, path, entry);
      if (r.ok) backends.push(Object.freeze(r.value));
      else {
        const { code, message, field } = r.error;
        rejected.push(
          Object.freeze(
            field === undefined ? { id, path, code, message } : { id, path, code, message, field },
          ),
        );
      }
    }
  }
  backends.sort(byId);
  rejected.sort(byId);
  return Object.freeze({
    version: Number(viewVersion(view)),
    folder: view.parent === 'missing' ? 'missing' : 'present',
    backends: Object.freeze(backends),
    rejected: Object.freeze(rejected),
  });
}

/** JSON with object keys sorted: a canonical form for equality checks. */
/** True when two snapshots carry the same version, members and rejections. */
export function sameSnapshot(a: MembershipSnapshot | undefined, b: MembershipSnapshot): boolean {
  if (a === undefined) return false;
  if (a.version !== b.version || a.folder !== b.folder) return false;
  if (a.backends.length !== b.backends.length || a.rejected.length !== b.rejected.length) return false;
  return stableStringify([a.backends, a.rejected]) === stableStringify([b.backends, b.rejected]);
}
