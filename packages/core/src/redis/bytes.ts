// The byte queue both RESP readers stand on. Bytes arrive in chunks; an element may straddle
// chunks. A chunk is kept as is (zero copy) while the element being read lies inside it;
// only the unread tail is joined with later chunks, and only once enough bytes are there to
// make progress, so each byte is copied at most twice (once on a join, once into `raw` when an
// element spanned chunks) and a big bulk string arriving in many chunks is joined once.
// Chunks are owned from push() on: a caller must not reuse a chunk's memory afterwards.

import type { RespErrorCode } from './limits.js';
import { RespProtocolError } from './limits.js';

const EMPTY = Buffer.alloc(0);
/** readLength's answer when the line is not complete yet (never a real offset: > 0 always). */
export const NEED = 0;
/** More than 15 digits cannot be a length under any limit and would lose precision. */
const MAX_DIGITS = 15;

export abstract class RespBuffer {
  /** The current chunk (or join of chunks). */
  protected buf: Buffer = EMPTY;
  /** Start of the element being read, in buf (its earlier bytes are in `parts`). */
  protected start = 0;
  /** Where reading resumes, in buf. */
  protected pos = 0;
  /** Value of the last integer line read by readLength. */
  protected int = 0;
  /** Bytes of the current element already read, from chunks since released. */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Chunks received but not yet joined into buf. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pendingBytes === 0 && this.pos === this.buf.length) {
      // Everything read so far: the new chunk becomes buf as it is.
      this.keepRead();
      this.buf = chunk;
      this.start = 0;
      this.pos = 0;
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  /** Bytes held: the part of the current element read so far and everything not yet read. */
  get bufferedBytes(): number {
    return this.partsBytes + (this.buf.length - this.start) + this.pendingBytes;
  }

  /** Bytes of the current element so far, from its first byte to pos. */
  protected elementBytes(): number {
    return this.partsBytes + (this.pos - this.start);
  }

  /** Bytes available from pos, joined or not. */
  protected available(): number {
    return this.buf.length - this.pos + this.pendingBytes;
  }

  /** Joins the pending chunks after the unread bytes; false when nothing is pending. */
  protected more(): boolean {
    if (this.pendingBytes === 0) return false;
    const tail = this.buf.subarray(this.pos);
    this.keepRead();
    this.pending.unshift(tail);
    this.buf = Buffer.concat(this.pending, tail.length + this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.start = 0;
    this.pos = 0;
    return true;
  }

  /** The element's bytes, start to pos, as one buffer (a subarray when it lies in buf). */
  protected take(): Buffer {
    let raw = this.buf.subarray(this.start, this.pos);
    if (this.parts.length > 0) {
      this.parts.push(raw);
      raw = Buffer.concat(this.parts, this.partsBytes + raw.length);
      this.parts = [];
      this.partsBytes = 0;
    }
    this.start = this.pos;
    return raw;
  }

  /** Drops the bytes before pos that belong to no element (skipped empty commands). */
  protected skip(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.start = this.pos;
  }

  /** Keeps buf[start, pos) of the element in progress before buf is replaced. */
  private keepRead(): void {
    if (this.pos > this.start) {
      this.parts.push(this.buf.subarray(this.start, this.pos));
      this.partsBytes += this.pos - this.start;
    }
  }

  /**
   * Reads the integer line starting at p (just after its type byte) into `this.int` and
   * returns the offset after its CRLF, or NEED when the line is incomplete in buf. Redis's
   * string2ll rules: optional '-', no '+', no leading zeros, no spaces.
   */
  protected readLength(p: number, code: RespErrorCode, replyText: string): number {
    const b = this.buf;
    const end = b.length;
    let i = p;
    let neg = false;
    if (i < end && b[i] === 45) {
      neg = true;
      i++;
    }
    const first = i;
    let v = 0;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      if (i - first >= MAX_DIGITS) throw this.badLength(code, replyText, p, 'too many digits');
    }
    if (i >= end) return NEED;
    const digits = i - first;
    if (b[i] !== 13 || digits === 0) throw this.badLength(code, replyText, p, 'not an integer');
    if (digits > 1 && b[first] === 48) throw this.badLength(code, replyText, p, 'leading zero');
    if (neg && v === 0) throw this.badLength(code, replyText, p, 'negative zero');
    if (i + 1 >= end) return NEED;
    if (b[i + 1] !== 10) {
      const at = this.partsBytes + i - this.start;
      throw new RespProtocolError(
        'RL_RESP_MISSING_CRLF',
        replyText,
        `no LF after the CR of a length at byte ${at} of the element`,
      );
    }
    this.int = neg ? -v : v;
    return i + 2;
  }

  private badLength(code: RespErrorCode, replyText: string, p: number, why: string): RespProtocolError {
    const shown = JSON.stringify(this.buf.subarray(p, Math.min(this.buf.length, p + 20)).toString('latin1'));
    const at = this.partsBytes + p - this.start;
    return new RespProtocolError(
      code,
      replyText,
      `${why} in the length ${shown} at byte ${at} of the element`,
    );
  }
}
