// A value or a typed error. Codecs return this instead of throwing, so a malformed
// znode payload can never unwind through a ZooKeeper watch callback.

import type { RingleaderError } from './errors.js';

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: RingleaderError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(error: RingleaderError): Result<T> {
  return { ok: false, error };
}

/** The value, or throws the error: for callers (CLI, tests) where failing loudly is right. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw result.error;
}
