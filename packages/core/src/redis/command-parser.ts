// Client → proxy: the commands a client sends, as Redis reads them (networking.c,
// processMultibulkBuffer / processInlineBuffer). A command is a multibulk array of bulk
// strings; anything not starting with '*' is an inline command. Every header is checked
// against the limits as soon as it is read. Resumable: the state between chunks is the
// position, the arguments read so far and the count still expected; no byte is read twice
// except the few of an incomplete header line.

import { NEED, RespBuffer } from './bytes.js';
import { encodeCommand } from './encode.js';
import { splitInline } from './inline.js';
import { type RespLimits, RespProtocolError, resolveLimits } from './limits.js';

export interface RespCommand {
  /** args[0] is the command name as sent; every item is a subarray of received bytes. */
  args: Buffer[];
  /** The command's exact bytes as received (an inline command: its multibulk encoding). */
  raw: Buffer;
}

const STAR = 42;
const DOLLAR = 36;
const LF = 10;
const CR = 13;

const MBULK_LENGTH = 'ERR Protocol error: invalid multibulk length';
const BULK_LENGTH = 'ERR Protocol error: invalid bulk length';
const TOO_BIG_INLINE = 'ERR Protocol error: too big inline request';

export class RespCommandParser extends RespBuffer {
  private readonly limits: Required<RespLimits>;
  /** Arguments still expected by the multibulk being read; 0 between commands. */
  private expecting = 0;
  /** Length of the bulk string whose body is awaited, or -1 (a header comes next). */
  private bodyLen = -1;
  private args: Buffer[] = [];

  constructor(limits?: Partial<RespLimits>) {
    super();
    this.limits = resolveLimits(limits);
  }

  /** The next complete command, or null until more bytes arrive. Throws RespProtocolError. */
  next(): RespCommand | null {
    for (;;) {
      if (this.expecting === 0) {
        if (this.pos >= this.buf.length) {
          if (this.more()) continue;
          return null;
        }
        const found = this.buf[this.pos] === STAR ? this.multibulkHeader() : this.inline();
        if (found === NEED) {
          if (this.more()) continue;
          return null;
        }
        if (found !== true) return found;
        continue; // a header was read (or an empty command skipped)
      }
      if (this.bodyLen < 0) {
        if (this.pos >= this.buf.length || this.bulkHeader() === NEED) {
          if (this.more()) continue;
          return null;
        }
      }
      const len = this.bodyLen;
      if (this.buf.length - this.pos < len + 2) {
        // Join only once the whole body is there: a big value in many chunks is copied once.
        if (this.available() >= len + 2 && this.more()) continue;
        return null;
      }
      const b = this.buf;
      const p = this.pos;
      if (b[p + len] !== CR || b[p + len + 1] !== LF) {
        throw new RespProtocolError(
          'RL_RESP_MISSING_CRLF',
          'ERR Protocol error: expected CRLF after a bulk string',
          `argument ${this.args.length} of ${len} bytes is not followed by CRLF`,
        );
      }
      this.args.push(b.subarray(p, p + len));
      this.pos = p + len + 2;
      this.bodyLen = -1;
      if (--this.expecting === 0) {
        const args = this.args;
        this.args = [];
        return { args, raw: this.take() };
      }
    }
  }

  /** `*<n>\r\n`: true when read (or an empty command skipped), NEED when incomplete. */
  private multibulkHeader(): true | typeof NEED {
    const after = this.readLength(this.pos + 1, 'RL_RESP_BAD_LENGTH', MBULK_LENGTH);
    if (after === NEED) return NEED;
    const n = this.int;
    this.pos = after;
    if (n === 0 || n === -1) {
      // Redis ignores empty multibulks; clients never send them.
      this.skip();
      return true;
    }
    if (n < 0) {
      throw new RespProtocolError('RL_RESP_BAD_LENGTH', MBULK_LENGTH, `multibulk length ${n} is negative`);
    }
    if (n > this.limits.maxArgs) {
      throw new RespProtocolError(
        'RL_RESP_TOO_MANY_ARGS',
        MBULK_LENGTH,
        `a command of ${n} arguments is over the limit of ${this.limits.maxArgs}`,
      );
    }
    this.expecting = n;
    return true;
  }

  /** `$<n>\r\n` of the next argument; sets bodyLen, or NEED when incomplete. */
  private bulkHeader(): number {
    const b = this.buf;
    if (b[this.pos] !== DOLLAR) {
      const got = String.fromCharCode(b[this.pos]!);
      throw new RespProtocolError(
        'RL_RESP_BAD_TYPE',
        `ERR Protocol error: expected '$', got '${printable(got)}'`,
        `argument ${this.args.length} starts with byte 0x${b[this.pos]!.toString(16)}, not '$'`,
      );
    }
    const after = this.readLength(this.pos + 1, 'RL_RESP_BAD_LENGTH', BULK_LENGTH);
    if (after === NEED) return NEED;
    const len = this.int;
    if (len < 0) {
      throw new RespProtocolError('RL_RESP_BAD_LENGTH', BULK_LENGTH, `bulk length ${len} is negative`);
    }
    if (len > this.limits.maxBulkBytes) {
      throw new RespProtocolError(
        'RL_RESP_TOO_LARGE',
        BULK_LENGTH,
        `an argument of ${len} bytes is over the limit of ${this.limits.maxBulkBytes}`,
      );
    }
    this.pos = after;
    const total = this.elementBytes() + len + 2;
    if (total > this.limits.maxCommandBytes) {
      throw new RespProtocolError(
        'RL_RESP_TOO_LARGE',
        'ERR Protocol error: command too large',
        `a command of at least ${total} bytes is over the limit of ${this.limits.maxCommandBytes}`,
      );
    }
    this.bodyLen = len;
    return after;
  }

  /** One inline line: the command, true when it was blank, NEED when incomplete. */
  private inline(): RespCommand | true | typeof NEED {
    const b = this.buf;
    const lf = b.indexOf(LF, this.pos);
    if (lf < 0) {
      const have = this.elementBytes() + (b.length - this.pos);
      if (have > this.limits.maxInlineBytes) throw this.inlineTooBig(have);
      return NEED;
    }
    this.pos = lf + 1;
    const lineBytes = this.elementBytes();
    if (lineBytes > this.limits.maxInlineBytes + 2) throw this.inlineTooBig(lineBytes);
    const line = this.take();
    const end = line.length >= 2 && line[line.length - 2] === CR ? line.length - 2 : line.length - 1;
    const args = splitInline(line.subarray(0, end));
    if (args.length === 0) return true;
    if (args.length > this.limits.maxArgs) {
      throw new RespProtocolError(
        'RL_RESP_TOO_MANY_ARGS',
        MBULK_LENGTH,
        `an inline command of ${args.length} arguments is over the limit of ${this.limits.maxArgs}`,
      );
    }
    return { args, raw: encodeCommand(args) };
  }

  private inlineTooBig(bytes: number): RespProtocolError {
    return new RespProtocolError(
      'RL_RESP_TOO_LARGE',
      TOO_BIG_INLINE,
      `an inline command of ${bytes}+ bytes without a line end is over the limit of ${this.limits.maxInlineBytes}`,
    );
  }
}

function printable(c: string): string {
  const code = c.charCodeAt(0);
  return code >= 32 && code < 127 && c !== "'" ? c : `\\x${code.toString(16).padStart(2, '0')}`;
}
