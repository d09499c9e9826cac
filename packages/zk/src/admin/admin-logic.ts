// The pure half of the cluster admin helpers: JSON merge patches (RFC 7386) and the
// validation that happens BEFORE anything is written to ZooKeeper.
import {
  type Backend,
  type ClusterConfig,
  decodeBackend,
  decodeClusterConfig,
  encodeBackend,
  RingleaderError,
} from '@ringleader/core';
import { zkError } from '../errors.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * RFC 7386 JSON merge patch: objects merge key by key, `null` deletes a key, anything
 * else (arrays included) replaces. Returns a new value; neither input is modified.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A patch for a native backend payload: any subset of its fields; `null` removes zone/meta. */
export interface BackendPatch {
  readonly host?: string;
  readonly port?: number;
  readonly weight?: number | null;
  readonly state?: 'active' | 'draining' | null;
  readonly zone?: string | null;
  readonly meta?: Readonly<Record<string, Json>> | null;
}

/**
 * The payload to write for `patch` applied to the stored `current` payload of backend `id`.
 * Refuses payloads in a foreign registration format (ServerSet, Nerve, Curator): their owner
 * is another tool, which would overwrite or misread a native rewrite. Never throws.
 */
export function planBackendUpdate(
  id: string,
  current: Buffer,
  patch: BackendPatch,
  path: string,
): { ok: true; text: string; before: Backend; after: Backend } | { ok: false; error: RingleaderError } {
  const before = decodeBackend(id, current, path);
  if (!before.ok) return { ok: false, error: before.error };
  if (before.value.format !== 'native') {
    return {
      ok: false,
      error: zkError(
        'RL_ZK_FOREIGN_PAYLOAD',
        `backend "${id}" is registered in ${before.value.format} format by another tool; change it there`,
        { path, field: 'format' },
      ),
    };
  }
  const merged = mergePatch(JSON.parse(current.toString('utf8')), patch);
  const encoded = encodeBackend(merged as Parameters<typeof encodeBackend>[0]);
  if (!encoded.ok) return { ok: false, error: withPath(encoded.error, path) };
  const after = decodeBackend(id, encoded.value, path);
  if (!after.ok) return { ok: false, error: after.error };
  return { ok: true, text: encoded.value, before: before.value, after: after.value };
}

/** The core error with the znode path filled in (the encoder does not know it). */
export function withPath(e: RingleaderError, path: string): RingleaderError {
  if (e.path !== undefined) return e;
  const opts: { field?: string; path: string; status: number; cause: unknown } = {
    path,
    status: e.status,
    cause: e.cause,
  };
  if (e.field !== undefined) opts.field = e.field;
  return new RingleaderError(e.code, e.message, opts);
}

/**
 * The payload to write for a config `patch` merged over the stored payload (`undefined`:
 * no `config` znode yet, or a replace: the patch is merged over `{}`). The stored JSON stays
 * sparse (defaults are not written out); the merged result must decode. Never throws.
 */
export function planConfigUpdate(
  current: Buffer | undefined,
  patch: Readonly<Record<string, unknown>>,
  path: string,
): { ok: true; text: string; config: ClusterConfig } | { ok: false; error: RingleaderError } {
  let base: unknown = {};
  if (current !== undefined && current.length > 0) {
    try {
      base = JSON.parse(current.toString('utf8'));
    } catch {
      // Garbage cannot be patched: setConfig(..., { replace: true }) overwrites it.
      const parsed = decodeClusterConfig(current, path);
      return { ok: false, error: parsed.ok ? zkError('RL_ZK_ERROR', 'unreachable', { path }) : parsed.error };
    }
  }
  let text: string;
  try {
    text = JSON.stringify(mergePatch(base, patch));
  } catch {
    // A stored payload nested deeper than the stack (a hostile write): refuse with a code.
    return {
      ok: false,
      error: zkError('RL_ZK_BAD_ARGUMENTS', 'the stored config is nested too deeply to patch; replace it', {
        path,
      }),
    };
  }
  const decoded = decodeClusterConfig(text, path);
  if (!decoded.ok) return { ok: false, error: withPath(decoded.error, path) };
  return { ok: true, text, config: decoded.value };
}
