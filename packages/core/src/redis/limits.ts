// Limits of the RESP readers and the one error they throw. A limit is checked as soon as the
// header that announces a size is read, so an oversized element fails before its body arrives
// and a connection never holds more than one element's worth of a refused command.

import { CORE_ERRORS, type CoreErrorCode, RingleaderError } from '../errors.js';

export interface RespLimits {
  /** Longest bulk string (`$<n>`), in bytes. */
  maxBulkBytes: number;
  /** Most elements of one array (`*<n>`): arguments of a command, items of a reply. */
  maxArgs: number;
  /** Longest line without a length prefix: an inline command, a simple string or error. */
  maxInlineBytes: number;
  /** Deepest nesting of aggregate replies (a command is always depth 1). */
  maxDepth: number;
  /**
   * Largest whole command, all its arguments together (Redis's client-query-buffer-limit is
   * 1 GiB). Optional so callers may spell limits with the four fields above only.
   */
  maxCommandBytes?: number;
}

export const RESP_DEFAULT_LIMITS: Readonly<Required<RespLimits>> = Object.freeze({
  maxBulkBytes: 16 * 1024 * 1024,
  maxArgs: 1_048_576,
  maxInlineBytes: 64 * 1024,
  maxDepth: 32,
  maxCommandBytes: 512 * 1024 * 1024,
});

export type RespErrorCode = Extract<CoreErrorCode, `RL_RESP_${string}`>;

/**
 * Malformed or over-limit RESP. `replyText` is what a proxy sends the client before closing
 * (Redis's own wording where Redis has one, without the leading `-` and CRLF); `message` is
 * the catalogue's message with the detail, for logs.
 */
export class RespProtocolError extends RingleaderError {
  readonly replyText: string;

  constructor(code: RespErrorCode, replyText: string, detail: string) {
    super(code, `${CORE_ERRORS[code].message}: ${detail}`, { status: CORE_ERRORS[code].status });
    this.name = 'RespProtocolError';
    this.replyText = replyText;
  }
}

/** The limits with defaults filled in, each checked to be a positive integer. */
export function resolveLimits(limits: Partial<RespLimits> | undefined): Required<RespLimits> {
  const out = { ...RESP_DEFAULT_LIMITS };
  for (const k of Object.keys(out) as (keyof RespLimits)[]) {
    const v = limits?.[k];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`RESP limit ${k} must be a positive integer, got ${String(v)}`);
    }
    out[k] = v;
  }
  return out;
}
