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
import type { Backend, BackendInput, ClusterConfig } from '@ringleader/core';
import { decodeBackend, decodeClusterConfig, encodeBackend } from '@ringleader/core';
import { type BackendPatch, planBackendUpdate, planConfigUpdate, withPath } from './admin-logic.js';
import { hasCode, zkError } from './errors.js';
import { buildMembershipSnapshot, type ChildEntry, type MembershipSnapshot } from './membership-snapshot.js';
import { type ClusterPaths, clusterPaths } from './paths.js';
import type { ZkSession } from './session.js';
import type { ZnodeStat } from './stat.js';

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

/** Creates the persistent folders of a cluster (idempotent). */
export async function ensureClusterPaths(session: ZkSession, cluster = 'default'): Promise<ClusterPaths> {
  const p = clusterPaths(cluster);
  for (const dir of [p.nodes, p.election, p.backends, p.stats]) await session.mkdirp(dir);
  return p;
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

  constructor(opts: { session: ZkSession; cluster?: string; maxAttempts?: number }) {
    this.#session = opts.session;
    this.paths = clusterPaths(opts.cluster);
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
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
    try {
      await this.#session.create(path, text, mode);
    } catch (err) {
      if (!hasCode(err, 'RL_ZK_NO_NODE')) throw err;
      await this.#session.mkdirp(path.slice(0, path.lastIndexOf('/')));
      await this.#session.create(path, text, mode);
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
