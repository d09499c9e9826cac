// What a read of the `config` znode does to the config in force. Pure: unit-tested
// without ZooKeeper.
//
//   read                     → config in force                         'config' event?
//   valid payload            → the decoded config (source 'znode')     if it differs
//   invalid payload          → unchanged (last good); before any good  no (a 'rejected'
//                              read: the caller's fallback                 report instead)
//   znode missing            → the caller's fallback (source 'fallback') if it differs
//
// "Differs" compares the effective config only (canonical JSON), so rewriting the znode
// with the same content, or a fallback equal to the stored config, fires nothing.
import type { ClusterConfig } from '@ringleader/core';
import { stableStringify } from './membership-snapshot.js';

export type ConfigSource = 'znode' | 'fallback';

export interface ConfigSnapshot {
  readonly config: ClusterConfig;
  readonly source: ConfigSource;
  /** mzxid of the `config` znode the config came from; 0 for the fallback. */
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
    if (r.ok) next = { config: r.value, source: 'znode', version: Number(read.mzxid) };
    else {
      const { code, message, field } = r.error;
      rejection = {
        path,
        code,
        message,
        version: Number(read.mzxid),
        ...(field !== undefined ? { field } : {}),
      };
      next = prev ?? { config: fallback, source: 'fallback', version: 0 };
    }
  }
  const changed = prev === undefined || stableStringify(prev.config) !== stableStringify(next.config);
  return {
    next: Object.freeze(next),
    changed,
    ...(rejection !== undefined ? { rejection: Object.freeze(rejection) } : {}),
  };
}
