// A small, bounded reader for the RESP2 replies a health check gets back from Redis (`PING`,
// `INFO replication`): simple strings, errors, integers and bulk strings, possibly split over
// any number of TCP chunks. Pure: bytes in, a verdict out. Arrays and RESP3 types are not
// needed by a check, so they are reported as unexpected rather than half-parsed. A backend that
// is not Redis (or a hostile one) can send anything, so the reader never buffers more than
// `maxBytes` and reports instead of growing.

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

const CR = 0x0d;
const LF = 0x0a;

/** Parses the first RESP reply at the start of `buf`. Pure. */
export function parseResp(buf: Uint8Array, maxBytes = MAX_RESP_REPLY): RespParse {
  if (buf.length === 0) return { kind: 'incomplete' };
  const type = buf[0] as number;
  const eol = findCrlf(buf, 1, maxBytes);
  if (eol === -1) {
    return buf.length >= maxBytes ? tooLong(maxBytes) : { kind: 'incomplete' };
  }
  const line = Buffer.from(buf.buffer, buf.byteOffset + 1, eol - 1).toString('latin1');
  const afterLine = eol + 2;
  switch (type) {
    case 0x2b: // '+'
      return { kind: 'reply', reply: { type: 'simple', value: line }, consumed: afterLine };
    case 0x2d: // '-'
      return { kind: 'reply', reply: { type: 'error', value: line }, consumed: afterLine };
    case 0x3a: {
      // ':'
      if (!/^-?\d{1,15}$/.test(line)) return { kind: 'bad', reason: `bad RESP integer ${quote(line)}` };
      return { kind: 'reply', reply: { type: 'integer', value: Number(line) }, consumed: afterLine };
    }
    case 0x24: {
      // '$'
      if (line === '-1') return { kind: 'reply', reply: { type: 'bulk', value: null }, consumed: afterLine };
      if (!/^\d{1,10}$/.test(line)) return { kind: 'bad', reason: `bad RESP bulk length ${quote(line)}` };
      const len = Number(line);
      const end = afterLine + len;
      // Judged on the announced length, so an oversized reply fails before it is received.
      if (end + 2 > maxBytes) return tooLong(maxBytes);
      if (buf.length < end + 2) return { kind: 'incomplete' };
      if (buf[end] !== CR || buf[end + 1] !== LF) {
        return { kind: 'bad', reason: 'RESP bulk string not terminated by CRLF' };
      }
      const value = Buffer.from(buf.buffer, buf.byteOffset + afterLine, len).toString('utf8');
      return { kind: 'reply', reply: { type: 'bulk', value }, consumed: end + 2 };
    }
    default:
      return { kind: 'bad', reason: `not a RESP reply (first byte ${describeByte(type)})` };
  }
}

/**
 * Accumulates chunks until one reply is whole. Replies are read one at a time (a check sends a
 * command and waits for its answer), so bytes after a reply are kept for the next `take`.
 */
export class RespReader {
  readonly #max: number;
  #buf: Buffer = Buffer.alloc(0);

  constructor(maxBytes = MAX_RESP_REPLY) {
    this.#max = maxBytes;
  }

  /** Adds `chunk` and returns the first whole reply, if any, removing it from the buffer. */
  push(chunk: Uint8Array): RespParse {
    this.#buf = this.#buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buf, chunk]);
    return this.take();
  }

  /** The next whole reply from what is already buffered. */
  take(): RespParse {
    const r = parseResp(this.#buf, this.#max);
    if (r.kind === 'reply') this.#buf = this.#buf.subarray(r.consumed);
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

/** Index of the CR of the first CRLF at or after `from`, looking no further than `limit`. */
function findCrlf(buf: Uint8Array, from: number, limit: number): number {
  const end = Math.min(buf.length, limit) - 1;
  for (let i = from; i < end; i++) {
    if (buf[i] === CR && buf[i + 1] === LF) return i;
  }
  return -1;
}
