// ZooKeeper ACLs for a ringleader cluster (pure: no I/O; the session applies them on create,
// admin/admin.ts repairs folders with setACL). See docs/security.md for the model.
//
// With a cluster credential (digest `user:password`), every znode under /ringleader/<cluster>
// is created with:
//   digest:<cluster id>  cdrwa   — the only writer (create, delete, setData, setACL)
//   world:anyone         r       — only with readAcl 'open' (the default)
// and backends/ additionally grants the optional backend-registration credential `cd` (plus
// `r` with readAcl 'restricted', so it can read the folder's ACL): it can create and delete
// children of backends/ — its own ephemeral registration — and write nothing else.
//
// ZooKeeper checks CREATE and DELETE on the PARENT, WRITE/ADMIN/READ on the znode itself.
// So `d` on backends/ lets the backend credential delete ANY child of backends/ (ZooKeeper has
// no per-child delete right); what it cannot do is change another backend's payload, the
// config, the election, the leader or the node registry.
//
// The digest id is what ZooKeeper's DigestAuthenticationProvider derives from `user:password`:
// `user:base64(sha1("user:password"))`; only the id, never the password, goes into an ACL.
import { createHash } from 'node:crypto';
import { zkError } from '../errors.js';
import { clusterPaths, ROOT } from '../paths.js';
import type { AclPolicy, ZkAcl, ZkAuth } from './types.js';

/** ZooKeeper permission bits (ZooDefs.Perms). */
export const PERMS = { read: 1, write: 2, create: 4, delete: 8, admin: 16, all: 31 } as const;

/** Who may read the cluster's znodes: anyone (`open`) or only the credentials (`restricted`). */
export type ReadAcl = 'open' | 'restricted';
export const READ_ACLS: readonly ReadAcl[] = ['open', 'restricted'];

const CREDENTIAL_RE = /^([^:\s]+):(.+)$/s;

/** True for `user:password` with a non-empty user without spaces and a non-empty password. */
export function isDigestCredential(text: string): boolean {
  return CREDENTIAL_RE.test(text);
}

/** `user:base64(sha1(user:password))`, as ZooKeeper's digest provider computes it. */
export function digestId(credential: string): string {
  const m = CREDENTIAL_RE.exec(credential);
  if (!m) throw zkError('RL_ZK_BAD_ARGUMENTS', 'a digest credential has the form user:password');
  return `${m[1]}:${createHash('sha1').update(credential, 'utf8').digest('base64')}`;
}

/** An ACL entry for a digest credential's id. */
export function digestAcl(credential: string, perms: number): ZkAcl {
  return { perms, scheme: 'digest', id: digestId(credential) };
}

const world = (perms: number): ZkAcl => ({ perms, scheme: 'world', id: 'anyone' });

export interface ClusterAclOptions {
  readonly cluster?: string;
  /** The cluster credential `user:password`: the only writer. */
  readonly credential: string;
  /** The backend-registration credential `user:password` (only its id is used). */
  readonly backendCredential?: string;
  /** Default `open`. */
  readonly readAcl?: ReadAcl;
}

export interface ClusterAclPolicy extends AclPolicy {
  readonly kind: 'cluster';
  readonly cluster: string;
  readonly root: string;
  readonly readAcl: ReadAcl;
  /** The persistent folders whose ACL ensureClusterPaths creates and repairs, in order. */
  readonly folders: readonly string[];
}

/** The ACL plan of a cluster whose writer holds `credential`. */
export function clusterAclPolicy(opts: ClusterAclOptions): ClusterAclPolicy {
  const p = clusterPaths(opts.cluster ?? 'default');
  const readAcl = opts.readAcl ?? 'open';
  const ownId = digestId(opts.credential);
  const owner: ZkAcl = { perms: PERMS.all, scheme: 'digest', id: ownId };
  const reads = readAcl === 'open' ? [world(PERMS.read)] : [];
  const inside = Object.freeze([owner, ...reads]);
  const backendPerms = PERMS.create | PERMS.delete | (readAcl === 'restricted' ? PERMS.read : 0);
  const backendId = opts.backendCredential === undefined ? undefined : digestId(opts.backendCredential);
  const backendsFolder = Object.freeze([
    owner,
    ...(backendId !== undefined && backendId !== ownId
      ? [{ perms: backendPerms, scheme: 'digest', id: backendId }]
      : []),
    ...reads,
  ]);
  // Ancestors (/ringleader) are shared by every cluster of the ensemble: anyone may create
  // a sibling cluster root under them, nobody else may delete or re-ACL them.
  const ancestors = Object.freeze([owner, world(PERMS.create | (readAcl === 'open' ? PERMS.read : 0))]);
  return Object.freeze({
    kind: 'cluster' as const,
    cluster: p.cluster,
    ownId,
    root: p.root,
    readAcl,
    folders: Object.freeze([p.root, p.nodes, p.election, p.backends, p.stats]),
    aclFor(path: string): readonly ZkAcl[] | undefined {
      if (path === p.backends) return backendsFolder;
      if (path === p.root || path.startsWith(`${p.root}/`)) return inside;
      if (path === ROOT) return ancestors;
      return undefined;
    },
  });
}

/**
 * The policy of a session holding only the backend-registration credential. Its own
 * `backends/<id>` znode inherits the folder's ACL (see backendChildAcl), which ClusterAdmin
 * reads first; anything else it might create gets the library default.
 */
export function backendAclPolicy(credential: string): AclPolicy {
  const ownId = digestId(credential);
  return Object.freeze({ kind: 'backend' as const, ownId, aclFor: () => undefined });
}

/**
 * ACL for a backend's own znode under backends/: the creator gets all rights on it,
 * `world:anyone` gets READ when the folder grants it, and the cluster's owner ids
 * (`owners`, see OwnersNote) get all rights, so the nodes can read it under restricted reads
 * and the cluster credential can drain it.
 *
 * Why the owners come from the folder's data and not its ACL: ZooKeeper redacts digest ids
 * in getACL (`user:x`) for a client without ADMIN on the znode, and the backend credential
 * must not have ADMIN (it could re-open the folder). Under readAcl `open` the owners are not
 * published (the folder's data would be world-readable, and a digest id is a SHA-1 of the
 * password); the cluster credential can then delete a self-registered backend (DELETE is
 * checked on the folder) but not rewrite it.
 */
export function backendChildAcl(
  folderAcl: readonly ZkAcl[],
  ownId: string,
  owners: readonly string[] = [],
): ZkAcl[] {
  const out: ZkAcl[] = [{ perms: PERMS.all, scheme: 'digest', id: ownId }];
  for (const id of owners) {
    if (id !== ownId && !out.some((x) => x.id === id)) out.push({ perms: PERMS.all, scheme: 'digest', id });
  }
  const worldReads = folderAcl.some(
    (e) => e.scheme === 'world' && e.id === 'anyone' && (e.perms & PERMS.read) !== 0,
  );
  if (worldReads) out.push(world(PERMS.read));
  return out;
}

/**
 * What the cluster credential writes into the data of backends/ under readAcl `restricted`
 * (readable only by the credentials): the digest ids a self-registered backend must grant.
 */
export interface OwnersNote {
  readonly aclOwners: readonly string[];
}

/** The owners note for a policy (undefined under open reads: nothing is published). */
export function ownersNote(policy: ClusterAclPolicy): OwnersNote | undefined {
  return policy.readAcl === 'restricted' ? { aclOwners: [policy.ownId] } : undefined;
}

/** Reads an owners note from the folder's data; anything else (empty, foreign) → []. */
export function parseOwnersNote(data: Buffer | string | undefined): string[] {
  if (data === undefined || data.length === 0) return [];
  try {
    const v = JSON.parse(data.toString()) as unknown;
    const list = (v as { aclOwners?: unknown } | null)?.aclOwners;
    return Array.isArray(list)
      ? list.filter((x): x is string => typeof x === 'string' && isDigestCredential(x)).slice(0, 8)
      : [];
  } catch {
    return [];
  }
}

/**
 * `want` for a new child, minus the `world:anyone` entries when its parent grants anyone no
 * READ (a cluster whose nodes run with readAcl `restricted`): a CLI that does not know the
 * nodes' read setting follows the tree's.
 */
export function inheritReadAcl(want: readonly ZkAcl[], parentAcl: readonly ZkAcl[]): ZkAcl[] {
  const parentOpen = parentAcl.some(
    (e) => e.scheme === 'world' && e.id === 'anyone' && (e.perms & PERMS.read) !== 0,
  );
  return parentOpen ? [...want] : want.filter((e) => !(e.scheme === 'world' && e.id === 'anyone'));
}

export interface ZkSecurityOptions {
  readonly cluster: string;
  /** The cluster credential `user:password`, if any. */
  readonly credential?: string | undefined;
  /** The backend-registration credential `user:password`, if any. */
  readonly backendCredential?: string | undefined;
  readonly readAcl?: ReadAcl | undefined;
}

/**
 * What a ZkSession needs for a cluster: the digest credential to authenticate with and the
 * ACL policy of what it creates. With the cluster credential: that, and the cluster policy
 * (granting the backend credential's id on backends/). With only the backend credential: a
 * self-registering backend. With neither: open ACLs, as before.
 */
export function zkSecurity(o: ZkSecurityOptions): { auth?: ZkAuth[]; acl?: AclPolicy } {
  if (o.credential !== undefined) {
    return {
      auth: [{ scheme: 'digest', credentials: o.credential }],
      acl: clusterAclPolicy({
        cluster: o.cluster,
        credential: o.credential,
        ...(o.backendCredential !== undefined ? { backendCredential: o.backendCredential } : {}),
        ...(o.readAcl !== undefined ? { readAcl: o.readAcl } : {}),
      }),
    };
  }
  if (o.backendCredential !== undefined) {
    return {
      auth: [{ scheme: 'digest', credentials: o.backendCredential }],
      acl: backendAclPolicy(o.backendCredential),
    };
  }
  return {};
}

/** Same entries regardless of order. */
export function sameAcl(a: readonly ZkAcl[], b: readonly ZkAcl[]): boolean {
  const key = (e: ZkAcl) => `${e.scheme}\u0000${e.id}\u0000${e.perms}`;
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.length === sb.length && sa.every((k, i) => k === sb[i]);
}

/**
 * True when a child of backends/ (or the config znode) carries an ACL that lets someone
 * other than the credentials change it: `world:anyone` with more than READ (left from before
 * the cluster had a credential), or READ for anyone under readAcl 'restricted'.
 */
export function childNeedsRepair(acl: readonly ZkAcl[], readAcl: ReadAcl): boolean {
  return acl.some(
    (e) =>
      e.scheme === 'world' &&
      e.id === 'anyone' &&
      (readAcl === 'restricted' ? e.perms !== 0 : (e.perms & ~PERMS.read) !== 0),
  );
}

/** `cdrwa`-style text of a permission set (for messages and docs). */
export function permsText(perms: number): string {
  const bits: Array<[number, string]> = [
    [PERMS.create, 'c'],
    [PERMS.delete, 'd'],
    [PERMS.read, 'r'],
    [PERMS.write, 'w'],
    [PERMS.admin, 'a'],
  ];
  return bits.map(([b, ch]) => ((perms & b) !== 0 ? ch : '')).join('') || '-';
}

/** `digest:alice:…:cdrwa, world:anyone:r`, the way zkCli.sh prints getAcl. */
export function aclText(acl: readonly ZkAcl[]): string {
  return acl.map((e) => `${e.scheme}:${e.id}:${permsText(e.perms)}`).join(', ');
}

/**
 * Rate limit for repeated reports (the same NOAUTH on every retry): `due(key, now)` is true
 * once per `intervalMs` per key.
 */
export class ReportThrottle {
  readonly intervalMs: number;
  readonly #last = new Map<string, number>();

  constructor(intervalMs = 60_000) {
    this.intervalMs = intervalMs;
  }

  due(key: string, now: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    if (this.#last.size > 1000) this.#last.clear(); // bounded: keys are op+path of a few folders
    this.#last.set(key, now);
    return true;
  }
}
