// Cluster admin helpers (the CLI and the dashboard): backends and config, written so two
// writers never silently overwrite each other.
//
// - Every payload is validated with the core codec BEFORE ZooKeeper is touched.
// - addBackend is a create: an existing id fails with RL_ZK_NODE_EXISTS.
// - updateBackend / drain / undrain / setConfig are read → merge (RFC 7386 patch) →
//   setData(path, data, readVersion). A concurrent write makes the setData fail with
//   BADVERSION; the patch is then re-applied to the fresh payload, up to `maxAttempts`
//   times (a patch only names the fields it changes, so re-applying it is safe and the
//   other writer's fields survive). With `expectedVersion` (the caller showed a user a
//   payload and wants exactly that one changed) there is no retry: a conflict fails with
//   RL_ZK_BAD_VERSION and the caller re-reads.
import type { Backend, BackendInput, ClusterConfig, ServiceDefinition } from '@ringleader/core';
import {
  DEFAULT_SERVICE,
  decodeBackend,
  decodeClusterConfig,
  decodeService,
  encodeBackend,
  encodeService,
  validateService,
} from '@ringleader/core';
import { hasCode, zkError } from '../errors.js';
import {
  buildMembershipSnapshot,
  type ChildEntry,
  type MembershipSnapshot,
} from '../membership/membership-snapshot.js';
import { type ClusterPaths, clusterPaths } from '../paths.js';
import {
  backendChildAcl,
  type ClusterAclPolicy,
  childNeedsRepair,
  inheritReadAcl,
  ownersNote,
  parseOwnersNote,
  sameAcl,
} from '../security/acl.js';
import type { AclPolicy, ZkAcl } from '../security/types.js';
import type { ZkSession } from '../session/session.js';
import type { ZnodeStat } from '../stat.js';
import { type BackendPatch, planBackendUpdate, planConfigUpdate, withPath } from './admin-logic.js';

export type { BackendPatch } from './admin-logic.js';

export interface BackendRecord {
  readonly backend: Backend;
  readonly path: string;
  /** The znode's data version (pass as expectedVersion to change exactly this payload). */
  readonly version: number;
}

export interface WriteOptions {
  /** Change only this data version; fail with RL_ZK_BAD_VERSION otherwise (no retry). */
  readonly expectedVersion?: number;
}

export interface StoredService {
  readonly name: string;
  readonly path: string;
  readonly version: number;
  /** The stored JSON (undefined when it does not parse). */
  readonly raw?: unknown;
  readonly definition?: ServiceDefinition;
  /** Why the stored payload is invalid (nodes keep their last good definition). */
  readonly error?: { readonly code: string; readonly message: string; readonly field?: string };
}

export interface StoredConfig {
  readonly exists: boolean;
  /** Data version of the `config` znode; -1 when it does not exist. */
  readonly version: number;
  /** The stored JSON as written (sparse), when it parses. */
  readonly raw?: unknown;
  /** The validated config with defaults, when the payload is valid. */
  readonly config?: ClusterConfig;
  readonly error?: { readonly code: string; readonly message: string; readonly field?: string };
}

/**
 * Creates the persistent folders of a cluster (idempotent). When the session holds the
 * cluster credential (an AclPolicy of kind `cluster` for this cluster), it also secures the
 * tree: see secureClusterTree.
 */
export async function ensureClusterPaths(session: ZkSession, cluster = 'default'): Promise<ClusterPaths> {
  const p = clusterPaths(cluster);
  for (const dir of [p.nodes, p.election, p.backends, p.stats, p.services]) await session.mkdirp(dir);
  const policy = session.aclPolicy;
  if (isClusterPolicy(policy) && policy.root === p.root) await secureClusterTree(session, policy);
  return p;
}

function isClusterPolicy(policy: AclPolicy | undefined): policy is ClusterAclPolicy {
  return policy?.kind === 'cluster' && 'root' in policy;
}

export interface AclRepairReport {
  /** Znodes whose ACL was replaced. */
  readonly repaired: readonly string[];
}

/**
 * Brings the ACLs of an existing tree in line with `policy` — for a cluster created before it
 * had a credential, or whose readAcl or backend credential changed:
 * - the folders (root, nodes, election, backends, stats) get exactly the policy's ACL;
 * - `config` and the children of backends/ are replaced with the policy's ACL only when
 *   they let anyone write (world:anyone beyond READ), or read under readAcl `restricted`;
 *   a self-registered backend's own ACL (its credential and the owners) is left alone.
 * setACL needs ADMIN on the znode: a tree owned by another credential fails with
 * RL_ZK_NOT_AUTHORISED naming the znode. The shared ancestor /ringleader is not touched.
 */
export async function secureClusterTree(
  session: ZkSession,
  policy: ClusterAclPolicy,
): Promise<AclRepairReport> {
  const repaired: string[] = [];
  const fix = async (path: string, want: readonly ZkAcl[], onlyIfOpen: boolean) => {
    let current: ZkAcl[];
    try {
      current = (await session.getACL(path)).acl;
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE')) return;
      throw err;
    }
    const needed = onlyIfOpen ? childNeedsRepair(current, policy.readAcl) : !sameAcl(current, want);
    if (!needed) return;
    try {
      await session.setACL(path, want);
      repaired.push(path);
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NO_NODE')) throw err;
    }
  };
  for (const dir of policy.folders) await fix(dir, policy.aclFor(dir) ?? [], false);
  const p = clusterPaths(policy.cluster);
  // Under restricted reads, self-registering backends learn from backends/'s data which ids
  // to grant (security/acl.ts backendChildAcl); under open reads nothing is published there.
  const note = ownersNote(policy);
  const want = note === undefined ? '' : JSON.stringify(note);
  const folder = await session.getData(p.backends);
  if (folder.data.toString() !== want && (note !== undefined || parseOwnersNote(folder.data).length > 0)) {
    await session.setData(p.backends, want, folder.stat.version).catch((err: unknown) => {
      if (!hasCode(err, 'RL_ZK_BAD_VERSION')) throw err; // another node wrote it meanwhile
    });
  }
  const inside = policy.aclFor(p.config) ?? [];
  await fix(p.config, inside, true);
  let children: string[] = [];
  try {
    children = (await session.getChildren(p.backends)).children;
  } catch (err) {
    if (!hasCode(err, 'RL_ZK_NO_NODE')) throw err;
  }
  // Bounded parallelism: a few thousand backends take a few round trips, not thousands.
  for (let i = 0; i < children.length; i += 256) {
    await Promise.all(children.slice(i, i + 256).map((name) => fix(`${p.backends}/${name}`, inside, true)));
  }
  return { repaired };
}

/** Children of `path` with their data; NO_NODE for the folder → 'missing', for a child → skipped. */
export async function readChildrenWithData(
  session: ZkSession,
  path: string,
): Promise<{ parent: ZnodeStat | 'missing'; entries: Map<string, { data: Buffer; stat: ZnodeStat }> }> {
  let listing: { children: string[]; stat: ZnodeStat };
  try {
    listing = await session.getChildren(path);
  } catch (err) {
    if (hasCode(err, 'RL_ZK_NO_NODE')) return { parent: 'missing', entries: new Map() };
    throw err;
  }
  const reads = await Promise.all(
    listing.children.map(async (name) => {
      try {
        return [name, await session.getData(`${path}/${name}`)] as const;
      } catch (err) {
        if (hasCode(err, 'RL_ZK_NO_NODE')) return undefined;
        throw err;
      }
    }),
  );
  const entries = new Map<string, { data: Buffer; stat: ZnodeStat }>();
  for (const r of reads) if (r !== undefined) entries.set(r[0], r[1]);
  return { parent: listing.stat, entries };
}

export class ClusterAdmin {
  readonly paths: ClusterPaths;
  readonly #session: ZkSession;
  readonly #maxAttempts: number;

  /**
   * `service`: the backend operations act on services/<service>/backends instead of the
   * top-level backends/ (the default service).
   */
  constructor(opts: { session: ZkSession; cluster?: string; maxAttempts?: number; service?: string }) {
    this.#session = opts.session;
    const paths = clusterPaths(opts.cluster);
    const service = opts.service;
    this.paths =
      service === undefined || service === DEFAULT_SERVICE
        ? paths
        : Object.freeze({
            ...paths,
            backends: paths.serviceBackends(service),
            backend: (id: string) => paths.serviceBackend(service, id),
          });
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  }

  // ---- services/<name> (docs/zookeeper.md "Services")

  /** The stored definition of a service: decoded (or its problem) and the raw JSON, with the znode version. */
  async getService(name: string): Promise<StoredService> {
    const path = this.paths.service(name);
    const { data, stat } = await this.#read(path, `service "${name}" does not exist`);
    let raw: unknown;
    try {
      raw = JSON.parse(data.toString('utf8'));
    } catch {
      raw = undefined;
    }
    const decoded = decodeService(name, data, path);
    const base = { name, path, version: stat.version, ...(raw !== undefined ? { raw } : {}) };
    if (decoded.ok) return { ...base, definition: decoded.value };
    const { code, message, field } = decoded.error;
    return { ...base, error: field !== undefined ? { code, message, field } : { code, message } };
  }

  /**
   * Writes a service definition (create or replace), validated by the core codec first: an
   * invalid one throws the codec's error and nothing is written. `expectedVersion` as elsewhere.
   */
  async putService(
    name: string,
    value: unknown,
    opts: WriteOptions & { create?: 'only' | 'or-replace' } = {},
  ): Promise<StoredService> {
    const path = this.paths.service(name);
    const checked = validateService(name, value, path);
    if (!checked.ok) throw checked.error;
    const text = encodeService(checked.value);
    if (!text.ok) throw withPath(text.error, path);
    const exists = (await this.#session.exists(path)) !== null;
    if (exists && opts.create === 'only')
      throw zkError('RL_ZK_NODE_EXISTS', `service "${name}" exists (use service set)`, {
        path,
        field: 'name',
      });
    if (!exists) {
      await this.#session.mkdirp(this.paths.services);
      try {
        await this.#session.create(path, text.value, 'persistent');
      } catch (err) {
        if (hasCode(err, 'RL_ZK_NODE_EXISTS'))
          throw zkError('RL_ZK_NODE_EXISTS', `service "${name}" exists (use service set)`, {
            path,
            field: 'name',
          });
        throw err;
      }
      await this.#session.mkdirp(this.paths.serviceBackends(name));
      return { name, path, version: 0, raw: JSON.parse(text.value), definition: checked.value };
    }
    try {
      const stat = await this.#session.setData(path, text.value, opts.expectedVersion ?? -1);
      return { name, path, version: stat.version, raw: JSON.parse(text.value), definition: checked.value };
    } catch (err) {
      if (hasCode(err, 'RL_ZK_BAD_VERSION')) throw conflict(path, 1);
      throw err;
    }
  }

  /** Every service znode, decoded (or its problem), with its backend count. */
  async listServices(): Promise<Array<StoredService & { backends: number }>> {
    const { entries } = await readChildrenWithData(this.#session, this.paths.services);
    const out: Array<StoredService & { backends: number }> = [];
    for (const name of [...entries.keys()].sort()) {
      const e = entries.get(name) as { data: Buffer; stat: ZnodeStat };
      const path = `${this.paths.services}/${name}`;
      const decoded = decodeService(name, e.data, path);
      const backends = await this.#session
        .getChildren(`${path}/backends`)
        .then((r) => r.children.length)
        .catch(() => 0);
      const base = { name, path, version: e.stat.version, backends };
      if (decoded.ok) out.push({ ...base, definition: decoded.value });
      else out.push({ ...base, error: { code: decoded.error.code, message: decoded.error.message } });
    }
    return out;
  }

  /** Deletes a service and its backends folder: every node stops accepting and drains it. */
  async removeService(name: string): Promise<void> {
    const path = this.paths.service(name);
    const removeTree = async (p: string): Promise<void> => {
      let children: string[] = [];
      try {
        children = (await this.#session.getChildren(p)).children;
      } catch (err) {
        if (hasCode(err, 'RL_ZK_NO_NODE')) return;
        throw err;
      }
      for (const c of children) await removeTree(`${p}/${c}`);
      try {
        await this.#session.remove(p);
      } catch (err) {
        if (!hasCode(err, 'RL_ZK_NO_NODE')) throw err;
      }
    };
    if ((await this.#session.exists(path)) === null)
      throw zkError('RL_ZK_NO_NODE', `service "${name}" does not exist`, { path });
    await removeTree(path);
  }

  ensureClusterPaths(): Promise<ClusterPaths> {
    return ensureClusterPaths(this.#session, this.paths.cluster);
  }

  /** Creates `backends/<id>` (persistent, or ephemeral: gone with this session). */
  async addBackend(
    id: string,
    input: BackendInput,
    opts: { ephemeral?: boolean } = {},
  ): Promise<BackendRecord> {
    const path = this.paths.backend(id);
    const encoded = encodeBackend(input);
    if (!encoded.ok) throw withPath(encoded.error, path);
    const decoded = decodeBackend(id, encoded.value, path);
    if (!decoded.ok) throw decoded.error;
    const mode = opts.ephemeral === true ? 'ephemeral' : 'persistent';
    try {
      await this.#createInFolder(path, encoded.value, mode);
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NODE_EXISTS')) {
        throw zkError('RL_ZK_NODE_EXISTS', `backend "${id}" exists (update or remove it)`, {
          path,
          field: 'id',
        });
      }
      throw err;
    }
    return { backend: decoded.value, path, version: 0 };
  }

  async getBackend(id: string): Promise<BackendRecord> {
    const path = this.paths.backend(id);
    const { data, stat } = await this.#read(path, `backend "${id}" does not exist`);
    const decoded = decodeBackend(id, data, path);
    if (!decoded.ok) throw decoded.error;
    return { backend: decoded.value, path, version: stat.version };
  }

  /** Applies `patch` with a versioned write (see the header comment for conflicts). */
  async updateBackend(id: string, patch: BackendPatch, opts: WriteOptions = {}): Promise<BackendRecord> {
    const path = this.paths.backend(id);
    return this.#versioned(path, opts, async () => {
      const { data, stat } = await this.#read(path, `backend "${id}" does not exist`);
      const plan = planBackendUpdate(id, data, patch, path);
      if (!plan.ok) throw plan.error;
      return {
        version: stat.version,
        text: plan.text,
        result: (v: number) => ({ backend: plan.after, path, version: v }),
      };
    });
  }

  /** state → draining: no new requests; in-flight ones finish. */
  drainBackend(id: string, opts: WriteOptions = {}): Promise<BackendRecord> {
    return this.updateBackend(id, { state: 'draining' }, opts);
  }

  undrainBackend(id: string, opts: WriteOptions = {}): Promise<BackendRecord> {
    return this.updateBackend(id, { state: 'active' }, opts);
  }

  async removeBackend(id: string, opts: WriteOptions = {}): Promise<void> {
    const path = this.paths.backend(id);
    try {
      await this.#session.remove(path, opts.expectedVersion ?? -1);
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE'))
        throw zkError('RL_ZK_NO_NODE', `backend "${id}" does not exist`, { path });
      if (hasCode(err, 'RL_ZK_BAD_VERSION')) throw conflict(path, 1);
      throw err;
    }
  }

  /** One read of `backends/`: the same snapshot a MembershipWatcher would build. */
  async listBackends(): Promise<MembershipSnapshot> {
    const folder = this.paths.backends;
    const { parent, entries } = await readChildrenWithData(this.#session, folder);
    const children = new Map<string, ChildEntry>();
    for (const [name, e] of entries) children.set(name, { data: e.data, mzxid: e.stat.mzxid });
    return buildMembershipSnapshot(
      { parent: parent === 'missing' ? 'missing' : { pzxid: parent.pzxid }, children },
      folder,
      (id, path, e) => decodeBackend(id, e.data, path),
    );
  }

  async getConfig(): Promise<StoredConfig> {
    const path = this.paths.config;
    let read: { data: Buffer; stat: ZnodeStat };
    try {
      read = await this.#session.getData(path);
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE')) return { exists: false, version: -1 };
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(read.data.toString('utf8'));
    } catch {
      raw = undefined;
    }
    const decoded = decodeClusterConfig(read.data, path);
    const base = { exists: true, version: read.stat.version, ...(raw !== undefined ? { raw } : {}) };
    if (decoded.ok) return { ...base, config: decoded.value };
    const { code, message, field } = decoded.error;
    return { ...base, error: field !== undefined ? { code, message, field } : { code, message } };
  }

  /**
   * Merges `patch` into the stored config (creating the znode if needed) with a versioned
   * write. `replace: true` ignores the stored payload (repairs one that is not JSON).
   */
  async setConfig(
    patch: Readonly<Record<string, unknown>>,
    opts: WriteOptions & { replace?: boolean } = {},
  ): Promise<StoredConfig> {
    const path = this.paths.config;
    return this.#versioned(path, opts, async () => {
      const cur = await this.#getConfigRaw();
      const plan = planConfigUpdate(opts.replace === true ? undefined : cur?.data, patch, path);
      if (!plan.ok) throw plan.error;
      const raw = JSON.parse(plan.text) as unknown;
      return {
        version: cur?.stat.version ?? -1,
        text: plan.text,
        result: (v: number): StoredConfig => ({ exists: true, version: v, raw, config: plan.config }),
      };
    });
  }

  async #getConfigRaw(): Promise<{ data: Buffer; stat: ZnodeStat } | undefined> {
    try {
      return await this.#session.getData(this.paths.config);
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE')) return undefined;
      throw err;
    }
  }

  async #read(path: string, missing: string): Promise<{ data: Buffer; stat: ZnodeStat }> {
    try {
      return await this.#session.getData(path);
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE')) throw zkError('RL_ZK_NO_NODE', missing, { path });
      throw err;
    }
  }

  /** create, making the parent folder first if an operator deleted it. */
  async #createInFolder(path: string, text: string, mode: 'persistent' | 'ephemeral'): Promise<void> {
    const acl = await this.#aclForNew(path);
    try {
      await this.#session.create(path, text, mode, acl);
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NO_NODE')) throw err;
      await this.#session.mkdirp(path.slice(0, path.lastIndexOf('/')));
      await this.#session.create(path, text, mode, acl);
    }
  }

  /**
   * The ACL of a backend or config znode this admin creates, following the folder's ACL:
   * - a session holding only the backend-registration credential gives its own
   *   backends/<id> all rights for itself, anyone's READ if the folder has it, and all rights
   *   for the owners named in the folder's data (security/acl.ts backendChildAcl);
   * - a session with the cluster credential uses its policy, without READ for anyone when
   *   the folder grants anyone none (nodes configured with readAcl `restricted`).
   * Undefined (the session's policy decides) without a policy or when the folder is missing.
   */
  async #aclForNew(path: string): Promise<ZkAcl[] | undefined> {
    const policy = this.#session.aclPolicy;
    const parent = path.slice(0, path.lastIndexOf('/'));
    if (policy === undefined) return undefined;
    if (policy.kind === 'backend' && parent !== this.paths.backends) return undefined;
    const want = policy.aclFor(path);
    if (policy.kind === 'cluster' && want === undefined) return undefined;
    try {
      // World entries are never redacted by getACL (digest ids are, without ADMIN).
      const { acl } = await this.#session.getACL(parent);
      if (policy.kind === 'cluster') return inheritReadAcl(want ?? [], acl);
      const owners = parseOwnersNote((await this.#session.getData(parent)).data);
      return backendChildAcl(acl, policy.ownId, owners);
    } catch (err) {
      if (hasCode(err, 'RL_ZK_NO_NODE')) return undefined;
      throw err;
    }
  }

  /**
   * The read → plan → versioned write loop. `plan` reads and returns the version it read
   * (-1: the znode does not exist, so it is created). Conflicts retry up to maxAttempts,
   * or not at all with expectedVersion.
   */
  async #versioned<T>(
    path: string,
    opts: WriteOptions,
    plan: () => Promise<{ version: number; text: string; result: (newVersion: number) => T }>,
  ): Promise<T> {
    const attempts = opts.expectedVersion !== undefined ? 1 : this.#maxAttempts;
    for (let attempt = 1; ; attempt++) {
      const p = await plan();
      if (opts.expectedVersion !== undefined && p.version !== opts.expectedVersion)
        throw conflict(path, attempt);
      try {
        if (p.version < 0) {
          await this.#createInFolder(path, p.text, 'persistent');
          return p.result(0);
        }
        const stat = await this.#session.setData(path, p.text, p.version);
        return p.result(stat.version);
      } catch (err) {
        const lost = hasCode(err, 'RL_ZK_BAD_VERSION', 'RL_ZK_NODE_EXISTS');
        if (!lost) throw err;
        if (attempt >= attempts) throw conflict(path, attempt);
      }
    }
  }
}

function conflict(path: string, attempts: number) {
  return zkError(
    'RL_ZK_BAD_VERSION',
    `${path} was changed by another writer (${attempts} attempt${attempts === 1 ? '' : 's'}); re-read and retry`,
    { path },
  );
}
