// What a read of the `config` znode does to the config in force. Pure: unit-tested
// without ZooKeeper.
//
//   read                     → config in force                         'config' event?
//   valid payload            → the decoded config (source 'znode')     if it differs
//   invalid payload          → the newest of the last good config this  no (a 'rejected'
//                              node had and the cluster's published       report instead),
//                              last good (`config-last-good`);           unless that changes
//                              with neither: 'unknown' — the node does    what is in force
//                              not serve (it would route keys unlike
//                              the nodes that kept the last good one)
//   znode missing            → the caller's fallback (source 'fallback') if it differs
//
// "Differs" compares the effective config (canonical JSON) and whether it is known, so
// rewriting the znode with the same content, or a fallback equal to the stored config, fires
// nothing.
import type { ClusterConfig } from '@ringleader/core';
import { stableStringify } from '@ringleader/core';

/**
 * Where the config in force came from: the `config` znode, the cluster's published last good
 * copy (the znode is invalid now), the node's own fallback (the znode is missing), or nowhere
 * ('unknown': the znode is invalid and no last good config can be learnt; `config` is then the
 * fallback, never served with).
 */
export type ConfigSource = 'znode' | 'last-good' | 'fallback' | 'unknown';

export interface ConfigSnapshot {
  readonly config: ClusterConfig;
  readonly source: ConfigSource;
  /** mzxid of the `config` znode the config came from; 0 for the fallback and 'unknown'. */
  readonly version: number;
}

/** The validated copy of the last valid `config` payload, as published under `config-last-good`. */
export interface LastGoodConfig {
  readonly config: ClusterConfig;
  /** mzxid of the `config` znode write it was decoded from. */
  readonly version: number;
}

export interface ConfigRejection {
  readonly path: string;
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  /** mzxid of the rejected payload. */
  readonly version: number;
}

export type ConfigRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'data'; readonly data: Buffer; readonly mzxid: bigint };

export type DecodeConfig = (
  data: Buffer,
  path: string,
) =>
  | { readonly ok: true; readonly value: ClusterConfig }
  | {
      readonly ok: false;
      readonly error: {
        readonly code: string;
        readonly message: string;
        readonly field?: string | undefined;
      };
    };

export interface ConfigStep {
  /** The config in force after the read. */
  readonly next: ConfigSnapshot;
  /** True when the effective config differs from the one before (or there was none). */
  readonly changed: boolean;
  readonly rejection?: ConfigRejection;
}

export function applyConfigRead(
  prev: ConfigSnapshot | undefined,
  read: ConfigRead,
  fallback: ClusterConfig,
  decode: DecodeConfig,
  path: string,
  lastGood?: LastGoodConfig,
): ConfigStep {
  let next: ConfigSnapshot;
  let rejection: ConfigRejection | undefined;
  if (read.kind === 'missing') {
    next = { config: fallback, source: 'fallback', version: 0 };
  } else {
    let r: ReturnType<DecodeConfig>;
    try {
      r = decode(read.data, path);
    } catch (err) {
      r = { ok: false, error: { code: 'RL_BAD_CONFIG', message: String(err) } };
    }
    // The same write read again (the published copy changed, a watch re-armed) is the same
    // snapshot, not a new one.
    if (r.ok && prev?.source === 'znode' && prev.version === Number(read.mzxid)) next = prev;
    else if (r.ok) next = { config: r.value, source: 'znode', version: Number(read.mzxid) };
    else {
      const { code, message, field } = r.error;
      rejection = {
        path,
        code,
        message,
        version: Number(read.mzxid),
        ...(field !== undefined ? { field } : {}),
      };
      next = lastGoodInForce(prev, lastGood, fallback);
    }
  }
  const changed =
    prev === undefined ||
    (prev.source === 'unknown') !== (next.source === 'unknown') ||
    stableStringify(prev.config) !== stableStringify(next.config);
  return {
    next: Object.freeze(next),
    changed,
    ...(rejection !== undefined ? { rejection: Object.freeze(rejection) } : {}),
  };
}

/**
 * While the znode is invalid: the newest good config known — this node's own (if it had one
 * from the znode or the published copy) or the cluster's published copy. A node that served
 * its fallback (the znode was missing) keeps it. Otherwise nothing is known.
 */
function lastGoodInForce(
  prev: ConfigSnapshot | undefined,
  lastGood: LastGoodConfig | undefined,
  fallback: ClusterConfig,
): ConfigSnapshot {
  const own =
    prev !== undefined && (prev.source === 'znode' || prev.source === 'last-good') ? prev : undefined;
  if (lastGood !== undefined && (own === undefined || lastGood.version > own.version))
    return { config: lastGood.config, source: 'last-good', version: lastGood.version };
  if (own !== undefined) return own;
  if (prev?.source === 'fallback') return prev;
  return { config: fallback, source: 'unknown', version: 0 };
}

/** True when the config in force is a newer valid znode payload than the published copy. */
export function shouldPublishLastGood(next: ConfigSnapshot, lastGood: LastGoodConfig | undefined): boolean {
  return next.source === 'znode' && (lastGood === undefined || lastGood.version < next.version);
}

/**
 * The `config-last-good` payload: the valid `config` payload as it was written (so the same
 * codec reads it back, defaults and all), and which `config` write it came from.
 */
export function encodeLastGood(payload: Buffer, version: number, by: string, at: Date): Buffer {
  const config = JSON.parse(payload.toString('utf8')) as unknown;
  return Buffer.from(JSON.stringify({ config, configMzxid: String(version), by, at: at.toISOString() }));
}

/** Reads a `config-last-good` payload back; the inner config goes through the same codec as `config`. */
export function decodeLastGood(data: Buffer, path: string, decode: DecodeConfig): LastGoodConfig | string {
  let v: { config?: unknown; configMzxid?: unknown };
  try {
    v = JSON.parse(data.toString('utf8')) as typeof v;
  } catch {
    return `${path}: not JSON`;
  }
  if (
    v === null ||
    typeof v !== 'object' ||
    typeof v.configMzxid !== 'string' ||
    !/^\d{1,20}$/.test(v.configMzxid)
  )
    return `${path}: configMzxid must be a decimal string`;
  let r: ReturnType<DecodeConfig>;
  try {
    r = decode(Buffer.from(JSON.stringify(v.config ?? null)), path);
  } catch (err) {
    return `${path}: ${String(err)}`;
  }
  if (!r.ok) return `${path}: ${r.error.code}: ${r.error.message}`;
  return { config: r.value, version: Number(v.configMzxid) };
}
