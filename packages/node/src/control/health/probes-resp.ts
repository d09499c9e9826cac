// The RESP2 replies a health check gets back from Redis (`PING`, `INFO replication`): simple
// strings, errors, integers and bulk strings, possibly split over any number of TCP chunks, read
// with core's reply reader (the one the Redis plane uses) under a check's own small limits. Pure:
// bytes in, a verdict out. Arrays and RESP3 types are not needed by a check, so they are reported
// as unexpected. A backend that is not Redis (or a hostile one) can send anything, so the reader
// never holds more than `maxBytes` and reports instead of growing.
import { decodeReply, RespProtocolError, RespReplyReader, type RespValue } from '@ringleader/core';

/** The largest reply a check accepts: `INFO replication` on a busy primary is a few KiB. */
export const MAX_RESP_REPLY = 64 * 1024;

export type RespReply =
  | { readonly type: 'simple'; readonly value: string }
  | { readonly type: 'error'; readonly value: string }
  | { readonly type: 'integer'; readonly value: number }
  /** `null`: the nil bulk string (`$-1`). */
  | { readonly type: 'bulk'; readonly value: string | null };

export type RespParse =
  /** Not a whole reply yet: feed more bytes. */
  | { readonly kind: 'incomplete' }
  /** `consumed` bytes made one reply; the rest belongs to the next one. */
  | { readonly kind: 'reply'; readonly reply: RespReply; readonly consumed: number }
  /** Not a reply a check can use; `reason` is for the probe's detail. */
  | { readonly kind: 'bad'; readonly reason: string };

/**
 * Core's reader (the proxy's own), bounded for a check: a line or a bulk body of at most
 * `maxBytes` (a bulk's length is judged on its header, before the body arrives).
 */
function checkReader(maxBytes: number): RespReplyReader {
  return new RespReplyReader({
    maxBulkBytes: maxBytes,
    maxInlineBytes: maxBytes,
    maxArgs: 1024,
    maxDepth: 2,
  });
}

/** The reply a check can use, from core's decoded value. */
function toReply(v: RespValue): RespReply | string {
  switch (v.type) {
    case 'simple':
    case 'error':
    case 'integer':
      return v;
    case 'bulk':
      return { type: 'bulk', value: v.value === null ? null : v.value.toString('utf8') };
    case 'array':
      return 'an array reply, not one a check reads';
    default:
      return `a RESP3 reply (first byte ${describeByte(v.raw[0] ?? 0)})`;
  }
}

/** Next whole reply from `reader`; `buffered` bytes are held after it. */
function nextReply(reader: RespReplyReader, buffered: number, maxBytes: number): RespParse {
  let raw: Buffer | null;
  let value: RespValue;
  try {
    raw = reader.next();
    if (raw === null) return buffered > maxBytes ? tooLong(maxBytes) : { kind: 'incomplete' };
    value = decodeReply(raw);
  } catch (err) {
    if (err instanceof RespProtocolError)
      return err.code === 'RL_RESP_TOO_LARGE' ? tooLong(maxBytes) : { kind: 'bad', reason: err.message };
    throw err;
  }
  const reply = toReply(value);
  return typeof reply === 'string'
    ? { kind: 'bad', reason: reply }
    : { kind: 'reply', reply, consumed: raw.length };
}

/** Parses the first RESP reply at the start of `buf`. Pure. */
export function parseResp(buf: Uint8Array, maxBytes = MAX_RESP_REPLY): RespParse {
  if (buf.length === 0) return { kind: 'incomplete' };
  const reader = checkReader(maxBytes);
  reader.push(Buffer.from(buf.buffer, buf.byteOffset, buf.length));
  return nextReply(reader, buf.length, maxBytes);
}

/**
 * Accumulates chunks until one reply is whole. Replies are read one at a time (a check sends a
 * command and waits for its answer), so bytes after a reply are kept for the next `take`.
 */
export class RespReader {
  readonly #max: number;
  readonly #reader: RespReplyReader;
  #buffered = 0;

  constructor(maxBytes = MAX_RESP_REPLY) {
    this.#max = maxBytes;
    this.#reader = checkReader(maxBytes);
  }

  /** Adds `chunk` and returns the first whole reply, if any, removing it from the buffer. */
  push(chunk: Uint8Array): RespParse {
    this.#reader.push(Buffer.from(chunk));
    this.#buffered += chunk.length;
    return this.take();
  }

  /** The next whole reply from what is already buffered. */
  take(): RespParse {
    const r = nextReply(this.#reader, this.#buffered, this.#max);
    if (r.kind === 'reply') this.#buffered -= r.consumed;
    return r;
  }
}

/** The value of `field` in an `INFO` section (`field:value` lines), or undefined. Pure. */
export function infoField(info: string, field: string): string | undefined {
  for (const raw of info.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith(`${field}:`)) return line.slice(field.length + 1);
  }
  return undefined;
}

/** A reply as one short printable string, for a probe's detail (`+PONG`, `-ERR …`, `:1`). */
export function describeReply(r: RespReply): string {
  switch (r.type) {
    case 'simple':
      return `+${printable(r.value)}`;
    case 'error':
      return `-${printable(r.value)}`;
    case 'integer':
      return `:${r.value}`;
    case 'bulk':
      return r.value === null ? '$-1 (nil)' : `bulk ${quote(r.value)}`;
  }
}

/** Up to 120 characters with control characters escaped: a detail must stay one log line. */
export function printable(s: string, max = 120): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function quote(s: string): string {
  return `"${printable(s, 40)}"`;
}

/** `0x45 'E'`: a byte named for a detail. */
export function describeByte(b: number): string {
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  return b >= 0x20 && b < 0x7f ? `${hex} '${String.fromCharCode(b)}'` : hex;
}

function tooLong(max: number): RespParse {
  return { kind: 'bad', reason: `reply over ${max} bytes` };
}
