// Incremental snapshot assembly: the next MembershipSnapshot from the previous one and the
// names that changed since (the children cache keeps that set per flush). Pure: no I/O.
//
// A full build (buildMembershipSnapshot) decodes, sorts and compares every child: at 10 000
// children that cost tens of ms per change on every node (and 50 watchers in one process
// multiplied it). Here a flush costs O(k log n) decisions for k changed children plus one
// O(n) array copy (copy-on-write: a published snapshot is never mutated, so a reader of the
// old one keeps a consistent view). The result equals buildMembershipSnapshot's on the same
// view (a property test checks it), so every node still computes the same snapshot.
//
//   empty ──apply(view, undefined)──▶ built ──apply(view, changed)──▶ built
//   (undefined `changed`, a 'missing' folder or more than a quarter of the children changed:
//    a full build instead, whose result seeds the next increments)

import type { Backend } from '@ringleader/core';
import {
  buildMembershipSnapshot,
  type ChildEntry,
  type ChildrenView,
  type DecodedBackend,
  type MembershipSnapshot,
  type RejectedBackend,
} from './membership-snapshot.js';

export type AssemblerState = 'empty' | 'built';

type Decode = (id: string, path: string, entry: ChildEntry) => DecodedBackend;

/** Index of the first element whose id is >= id (the id-sorted arrays of a snapshot). */
export function lowerBound(xs: readonly { readonly id: string }[], id: string): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]!.id < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Puts `item` at its id (replacing one with the same id) or removes that id (item undefined). */
function place<T extends { readonly id: string }>(xs: T[], id: string, item: T | undefined): void {
  const i = lowerBound(xs, id);
  const here = i < xs.length && xs[i]!.id === id;
  if (item === undefined) {
    if (here) xs.splice(i, 1);
  } else if (here) xs[i] = item;
  else xs.splice(i, 0, item);
}

function rejection(id: string, path: string, code: string, message: string, field?: string): RejectedBackend {
  return Object.freeze(
    field === undefined ? { id, path, code, message } : { id, path, code, message, field },
  );
}

function sameRejection(a: RejectedBackend | undefined, b: RejectedBackend | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.code === b.code && a.message === b.message && a.field === b.field && a.path === b.path;
}

/** Field-wise equality of two decoded backends (the codec builds plain frozen data). */
function sameBackend(a: Backend | undefined, b: Backend | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Above this share of changed children a full build is cheaper than k binary-search splices. */
const FULL_BUILD_SHARE = 0.25;

export class MembershipAssembler {
  readonly #folder: string;
  readonly #decode: Decode;
  #state: AssemblerState = 'empty';
  #snap: MembershipSnapshot | undefined;
  /** Each child's mzxid as last assembled, to keep the version's max without a full scan. */
  readonly #mzxid = new Map<string, bigint>();
  #maxChild = 0n;
  /** What the last snapshot held per id (a backend or a rejection). */
  readonly #backendById = new Map<string, Backend>();
  readonly #rejectedById = new Map<string, RejectedBackend>();

  readonly #fullShare: number;

  /** `fullBuildShare`: the share of changed children above which a full build is done (tests). */
  constructor(folderPath: string, decode: Decode, fullBuildShare = FULL_BUILD_SHARE) {
    this.#folder = folderPath;
    this.#decode = decode;
    this.#fullShare = fullBuildShare;
  }

  get state(): AssemblerState {
    return this.#state;
  }

  /**
   * The snapshot for `view`, given the names changed since the previous call (undefined:
   * unknown, rebuild). Returns the previous snapshot object itself when nothing changed.
   */
  apply(view: ChildrenView, changed: ReadonlySet<string> | undefined): MembershipSnapshot {
    const prev = this.#snap;
    if (
      prev === undefined ||
      changed === undefined ||
      view.parent === 'missing' ||
      prev.folder === 'missing' ||
      changed.size > this.#fullShare * Math.max(1, view.children.size)
    )
      return this.#full(view, prev);
    const pzxid = view.parent.pzxid;
    let rescan = false;
    let backends: Backend[] | undefined;
    let rejected: RejectedBackend[] | undefined;
    for (const id of changed) {
      const path = `${this.#folder}/${id}`;
      const entry = view.children.get(id);
      const oldMzxid = this.#mzxid.get(id);
      if (oldMzxid !== undefined && oldMzxid === this.#maxChild && entry?.mzxid !== oldMzxid) rescan = true;
      let nextBackend: Backend | undefined;
      let nextRejected: RejectedBackend | undefined;
      if (entry !== undefined) {
        this.#mzxid.set(id, entry.mzxid);
        if (entry.mzxid > this.#maxChild) this.#maxChild = entry.mzxid;
        const r = this.#decode(id, path, entry);
        if (r.ok) nextBackend = Object.freeze(r.value);
        else nextRejected = rejection(id, path, r.error.code, r.error.message, r.error.field);
      } else {
        this.#mzxid.delete(id);
        const u = view.unreadable?.get(id);
        if (u !== undefined) nextRejected = rejection(id, path, u.code, u.message);
      }
      const oldBackend = this.#backendById.get(id);
      if (!sameBackend(oldBackend, nextBackend)) {
        backends ??= [...prev.backends];
        place(backends, id, nextBackend);
        if (nextBackend === undefined) this.#backendById.delete(id);
        else this.#backendById.set(id, nextBackend);
      } else if (nextBackend !== undefined) this.#backendById.set(id, oldBackend ?? nextBackend);
      if (!sameRejection(this.#rejectedById.get(id), nextRejected)) {
        rejected ??= [...prev.rejected];
        place(rejected, id, nextRejected);
        if (nextRejected === undefined) this.#rejectedById.delete(id);
        else this.#rejectedById.set(id, nextRejected);
      }
    }
    if (rescan) {
      this.#maxChild = 0n;
      for (const m of this.#mzxid.values()) if (m > this.#maxChild) this.#maxChild = m;
    }
    let top = this.#maxChild; // bigints: Math.max does not take them
    if (pzxid > top) top = pzxid;
    const version = Number(top);
    if (backends === undefined && rejected === undefined && version === prev.version) return prev;
    const next: MembershipSnapshot = Object.freeze({
      version,
      folder: 'present',
      backends: backends === undefined ? prev.backends : Object.freeze(backends),
      rejected: rejected === undefined ? prev.rejected : Object.freeze(rejected),
    });
    this.#snap = next;
    return next;
  }

  #full(view: ChildrenView, prev: MembershipSnapshot | undefined): MembershipSnapshot {
    const next = buildMembershipSnapshot(view, this.#folder, this.#decode);
    this.#state = 'built';
    this.#mzxid.clear();
    this.#maxChild = 0n;
    if (view.parent !== 'missing') {
      for (const [id, e] of view.children) {
        this.#mzxid.set(id, e.mzxid);
        if (e.mzxid > this.#maxChild) this.#maxChild = e.mzxid;
      }
    }
    this.#backendById.clear();
    for (const b of next.backends) this.#backendById.set(b.id, b);
    this.#rejectedById.clear();
    for (const r of next.rejected) this.#rejectedById.set(r.id, r);
    // Keep the previous object when nothing moved, as the incremental path does.
    const same =
      prev !== undefined &&
      prev.version === next.version &&
      prev.folder === next.folder &&
      prev.backends.length === next.backends.length &&
      prev.rejected.length === next.rejected.length &&
      prev.backends.every((b, i) => sameBackend(b, next.backends[i])) &&
      prev.rejected.every((r, i) => sameRejection(r, next.rejected[i]));
    if (same) {
      for (const b of prev.backends) this.#backendById.set(b.id, b);
      return prev;
    }
    this.#snap = next;
    return next;
  }
}
