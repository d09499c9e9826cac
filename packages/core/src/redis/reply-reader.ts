// Backend → proxy: frames whole replies, RESP2 and RESP3 alike, without decoding them. The
// proxy only needs each reply's bytes to pass on in order; decodeReply is for the few it
// merges. State between chunks: the position of the next element header and, for each open
// aggregate, how many elements it still owes (a stack no deeper than maxDepth).

import { NEED, RespBuffer } from './bytes.js';
import { type RespLimits, RespProtocolError, resolveLimits } from './limits.js';

const LF = 10;
const CR = 13;

const BAD_REPLY = 'ERR Protocol error: invalid reply from the backend';

// Type bytes. Lines: + - : _ , # (   Lengths: $ ! =   Aggregates: * ~ > % |
const T_SIMPLE = 43;
const T_ERROR = 45;
const T_INTEGER = 58;
const T_NULL = 95;
const T_DOUBLE = 44;
const T_BOOL = 35;
const T_BIGNUM = 40;
const T_BULK = 36;
const T_BLOBERROR = 33;
const T_VERBATIM = 61;
const T_ARRAY = 42;
const T_SET = 126;
const T_PUSH = 62;
const T_MAP = 37;
const T_ATTRIBUTE = 124;

export class RespReplyReader extends RespBuffer {
  private readonly limits: Required<RespLimits>;
  /** Elements still owed by each open aggregate, outermost first. */
  private readonly owed: number[] = [];
  private depth = 0;
  /** Length of the bulk body awaited, or -1. */
  private bodyLen = -1;

  constructor(limits?: Partial<RespLimits>) {
    super();
    this.limits = resolveLimits(limits);
  }

  /** Raw bytes of the next complete reply, or null until more bytes arrive. */
  next(): Buffer | null {
    for (;;) {
      if (this.bodyLen >= 0) {
        const len = this.bodyLen;
        if (this.buf.length - this.pos < len + 2) {
          if (this.available() >= len + 2 && this.more()) continue;
          return null;
        }
        if (this.buf[this.pos + len] !== CR || this.buf[this.pos + len + 1] !== LF) {
          throw new RespProtocolError(
            'RL_RESP_MISSING_CRLF',
            BAD_REPLY,
            `a bulk reply of ${len} bytes is not followed by CRLF`,
          );
        }
        this.pos += len + 2;
        this.bodyLen = -1;
        if (this.completed()) return this.take();
        continue;
      }
      if (this.pos >= this.buf.length) {
        if (this.more()) continue;
        return null;
      }
      const r = this.element();
      if (r === NEED) {
        if (this.more()) continue;
        return null;
      }
      if (r === DONE) return this.take();
    }
  }

  /** Reads one element header (and a line's body). */
  private element(): number {
    const b = this.buf;
    const t = b[this.pos]!;
    switch (t) {
      case T_SIMPLE:
      case T_ERROR:
      case T_INTEGER:
      case T_NULL:
      case T_DOUBLE:
      case T_BOOL:
      case T_BIGNUM: {
        const lf = b.indexOf(LF, this.pos + 1);
        if (lf < 0) {
          const have = this.elementBytes() + (b.length - this.pos);
          if (b.length - this.pos > this.limits.maxInlineBytes) throw this.lineTooLong(have);
          return NEED;
        }
        if (lf - this.pos > this.limits.maxInlineBytes) throw this.lineTooLong(lf - this.pos);
        if (b[lf - 1] !== CR || lf - 1 <= this.pos) {
          throw new RespProtocolError(
            'RL_RESP_MISSING_CRLF',
            BAD_REPLY,
            'a reply line ends in LF without CR',
          );
        }
        this.pos = lf + 1;
        return this.completed() ? DONE : MORE;
      }
      case T_BULK:
      case T_BLOBERROR:
      case T_VERBATIM: {
        const after = this.readLength(this.pos + 1, 'RL_RESP_BAD_LENGTH', BAD_REPLY);
        if (after === NEED) return NEED;
        const len = this.int;
        this.pos = after;
        if (len === -1 && t === T_BULK) return this.completed() ? DONE : MORE;
        if (len < 0) {
          throw new RespProtocolError(
            'RL_RESP_BAD_LENGTH',
            BAD_REPLY,
            `bulk reply length ${len} is negative`,
          );
        }
        if (len > this.limits.maxBulkBytes) {
          throw new RespProtocolError(
            'RL_RESP_TOO_LARGE',
            BAD_REPLY,
            `a bulk reply of ${len} bytes is over the limit of ${this.limits.maxBulkBytes}`,
          );
        }
        this.bodyLen = len;
        return MORE;
      }
      case T_ARRAY:
      case T_SET:
      case T_PUSH:
      case T_MAP:
      case T_ATTRIBUTE: {
        const after = this.readLength(this.pos + 1, 'RL_RESP_BAD_LENGTH', BAD_REPLY);
        if (after === NEED) return NEED;
        const n = this.int;
        this.pos = after;
        if (n === -1 && t === T_ARRAY) return this.completed() ? DONE : MORE;
        if (n < 0) {
          throw new RespProtocolError('RL_RESP_BAD_LENGTH', BAD_REPLY, `aggregate length ${n} is negative`);
        }
        if (n > this.limits.maxArgs) {
          throw new RespProtocolError(
            'RL_RESP_TOO_MANY_ARGS',
            BAD_REPLY,
            `an aggregate reply of ${n} elements is over the limit of ${this.limits.maxArgs}`,
          );
        }
        // A map owes a key and a value per entry; an attribute also owes the reply it annotates.
        const owed = t === T_MAP ? 2 * n : t === T_ATTRIBUTE ? 2 * n + 1 : n;
        if (owed === 0) return this.completed() ? DONE : MORE;
        if (this.depth >= this.limits.maxDepth) {
          throw new RespProtocolError(
            'RL_RESP_TOO_DEEP',
            BAD_REPLY,
            `a reply nests more than ${this.limits.maxDepth} aggregates deep`,
          );
        }
        this.owed[this.depth++] = owed;
        return MORE;
      }
      default:
        throw new RespProtocolError(
          'RL_RESP_BAD_TYPE',
          BAD_REPLY,
          `a reply element starts with byte 0x${t.toString(16).padStart(2, '0')}, which is no RESP type`,
        );
    }
  }

  /** An element ended: settles the aggregates it completes; true when the reply is whole. */
  private completed(): boolean {
    while (this.depth > 0) {
      if (--this.owed[this.depth - 1]! > 0) return false;
      this.depth--;
    }
    return true;
  }

  private lineTooLong(bytes: number): RespProtocolError {
    return new RespProtocolError(
      'RL_RESP_TOO_LARGE',
      BAD_REPLY,
      `a reply line of ${bytes}+ bytes is over the limit of ${this.limits.maxInlineBytes}`,
    );
  }
}

/** element(): the reply is complete. */
const DONE = -1;
/** element(): read, the reply goes on. */
const MORE = -2;
