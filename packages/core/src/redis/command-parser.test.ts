import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespCommandParser } from './command-parser.js';
import { encodeCommand } from './encode.js';
import { RespProtocolError } from './limits.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const strs = (args: Buffer[]) => args.map((a) => a.toString('latin1'));

/** All commands the chunks yield, fed chunk by chunk and drained after each. */
function parseAll(chunks: Buffer[], limits?: ConstructorParameters<typeof RespCommandParser>[0]) {
  const p = new RespCommandParser(limits);
  const out: { args: string[]; raw: string }[] = [];
  for (const c of chunks) {
    p.push(c);
    for (let cmd = p.next(); cmd !== null; cmd = p.next()) {
      out.push({ args: strs(cmd.args), raw: cmd.raw.toString('latin1') });
    }
  }
  return { out, parser: p };
}

function errorOf(input: string | Buffer, limits?: ConstructorParameters<typeof RespCommandParser>[0]) {
  const p = new RespCommandParser(limits);
  p.push(typeof input === 'string' ? b(input) : input);
  try {
    while (p.next() !== null);
  } catch (e) {
    if (e instanceof RespProtocolError) return { code: e.code, reply: e.replyText, message: e.message };
    throw e;
  }
  return { code: 'none', reply: '', message: '' };
}

describe('RespCommandParser', () => {
  it('reads a multibulk command with its exact raw bytes', () => {
    const wire = '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n';
    const { out } = parseAll([b(wire)]);
    expect(out).toEqual([{ args: ['SET', 'key', 'va\r\nl'], raw: wire }]);
  });

  it('returns args and raw as views of the received chunk when the command lies in it', () => {
    const chunk = b('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
    const p = new RespCommandParser();
    p.push(chunk);
    const cmd = p.next()!;
    expect(cmd.raw.buffer).toBe(chunk.buffer);
    expect(cmd.args[1]!.buffer).toBe(chunk.buffer);
    expect(p.next()).toBeNull();
  });

  it('reads pipelined commands one by one and then waits for more', () => {
    const p = new RespCommandParser();
    p.push(b('*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGE'));
    expect(strs(p.next()!.args)).toEqual(['PING']);
    expect(strs(p.next()!.args)).toEqual(['GET', 'a']);
    expect(p.next()).toBeNull();
    p.push(b('T\r\n$1\r\nb\r\n'));
    const last = p.next()!;
    expect(strs(last.args)).toEqual(['GET', 'b']);
    expect(last.raw.toString('latin1')).toBe('*2\r\n$3\r\nGET\r\n$1\r\nb\r\n');
    expect(p.next()).toBeNull();
    expect(p.bufferedBytes).toBe(0);
  });

  it('reads empty bulk strings and skips empty multibulks as Redis does', () => {
    const { out } = parseAll([b('*0\r\n*-1\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n')]);
    expect(out.map((c) => c.args)).toEqual([['ECHO', '']]);
  });

  it('reads inline commands with quotes and escapes, raw re-encoded as multibulk', () => {
    const { out } = parseAll([b('set k "a b\\x41\\n" \'it\\\'s\'\r\n\r\nPING\nget "" \r\n')]);
    expect(out.map((c) => c.args)).toEqual([['set', 'k', 'a bA\n', "it's"], ['PING'], ['get', '']]);
    expect(out[1]!.raw).toBe('*1\r\n$4\r\nPING\r\n');
    expect(out[0]!.raw).toBe(encodeCommand(['set', 'k', 'a bA\n', "it's"]).toString('latin1'));
  });

  it('joins a quoted part inside an inline word, as sdssplitargs does', () => {
    expect(parseAll([b('set a"b c" x\r\n')]).out.map((c) => c.args)).toEqual([['set', 'ab c', 'x']]);
    expect(errorOf('set a"b c"d\r\n').code).toBe('RL_RESP_BAD_INLINE');
  });

  it('yields the same commands however the stream is split (fragmentation)', () => {
    const arg = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u));
    const command = fc.array(arg, { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (cmds, cuts) => {
          const wire = Buffer.concat(cmds.map((c) => encodeCommand(c)));
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((x, y) => x - y);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const at of points) {
            chunks.push(wire.subarray(prev, at));
            prev = at;
          }
          chunks.push(wire.subarray(prev));
          const p = new RespCommandParser();
          const got: Buffer[][] = [];
          const raws: Buffer[] = [];
          for (const c of chunks) {
            p.push(Buffer.from(c)); // a fresh copy: the parser must not depend on shared memory
            for (let cmd = p.next(); cmd !== null; cmd = p.next()) {
              got.push(cmd.args.map((a) => Buffer.from(a)));
              raws.push(Buffer.from(cmd.raw));
            }
          }
          expect(got).toEqual(cmds);
          expect(Buffer.concat(raws).equals(wire)).toBe(true);
          expect(p.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a command byte by byte, holding only its own bytes', () => {
    const wire = encodeCommand(['SET', 'k', 'x'.repeat(100)]);
    const p = new RespCommandParser();
    for (let i = 0; i < wire.length - 1; i++) {
      p.push(wire.subarray(i, i + 1));
      expect(p.next()).toBeNull();
      expect(p.bufferedBytes).toBe(i + 1);
    }
    p.push(wire.subarray(wire.length - 1));
    expect(p.next()!.raw.equals(wire)).toBe(true);
    expect(p.bufferedBytes).toBe(0);
  });

  it('copies a big value arriving in many chunks once, when it is whole', () => {
    const value = Buffer.alloc(1 << 20, 7);
    const wire = encodeCommand(['SET', 'k', value]);
    const p = new RespCommandParser();
    for (let i = 0; i < wire.length; i += 1000) {
      p.push(wire.subarray(i, i + 1000));
      if (i + 1000 < wire.length) expect(p.next()).toBeNull();
    }
    const cmd = p.next()!;
    expect(cmd.args[2]!.equals(value)).toBe(true);
    expect(cmd.raw.equals(wire)).toBe(true);
  });

  describe('refuses malformed input with its code and Redis wording', () => {
    const cases: [string, string | Buffer, string, string][] = [
      [
        'a bad type byte inside a multibulk',
        '*1\r\n+PING\r\n',
        'RL_RESP_BAD_TYPE',
        "ERR Protocol error: expected '$', got '+'",
      ],
      [
        'a negative bulk length',
        '*1\r\n$-3\r\n',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid bulk length',
      ],
      [
        'a null bulk in a command',
        '*1\r\n$-1\r\n',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid bulk length',
      ],
      [
        'a non-numeric bulk length',
        '*1\r\n$3x\r\n',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid bulk length',
      ],
      [
        'a bulk length with a leading zero',
        '*1\r\n$03\r\nGET\r\n',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid bulk length',
      ],
      [
        'an empty bulk length',
        '*1\r\n$\r\n',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid bulk length',
      ],
      [
        'a bulk length of 16 digits',
        '*1\r\n$1234567890123456',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid bulk length',
      ],
      [
        'a negative multibulk length',
        '*-2\r\n',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid multibulk length',
      ],
      [
        'a multibulk length with a plus',
        '*+1\r\n',
        'RL_RESP_BAD_LENGTH',
        'ERR Protocol error: invalid multibulk length',
      ],
      [
        'a missing CRLF after a body',
        '*1\r\n$4\r\nPINGxx',
        'RL_RESP_MISSING_CRLF',
        'ERR Protocol error: expected CRLF after a bulk string',
      ],
      [
        'a CR without LF after a length',
        '*1\r\n$4\rPING',
        'RL_RESP_MISSING_CRLF',
        'ERR Protocol error: invalid bulk length',
      ],
      [
        'unbalanced inline quotes',
        'SET k "abc\r\n',
        'RL_RESP_BAD_INLINE',
        'ERR Protocol error: unbalanced quotes in request',
      ],
      [
        'a closing quote followed by a letter',
        "SET k 'a'b\r\n",
        'RL_RESP_BAD_INLINE',
        'ERR Protocol error: unbalanced quotes in request',
      ],
    ];
    for (const [what, input, code, reply] of cases) {
      it(what, () => expect(errorOf(input)).toMatchObject({ code, reply }));
    }
  });

  it('refuses too many arguments from the header alone', () => {
    expect(errorOf('*5\r\n', { maxArgs: 4 })).toMatchObject({
      code: 'RL_RESP_TOO_MANY_ARGS',
      reply: 'ERR Protocol error: invalid multibulk length',
    });
    expect(errorOf('*4\r\n', { maxArgs: 4 }).code).toBe('none');
    expect(errorOf('a b c d e\r\n', { maxArgs: 4 }).code).toBe('RL_RESP_TOO_MANY_ARGS');
  });

  it('refuses an oversized bulk before its body arrives', () => {
    const e = errorOf('*2\r\n$3\r\nGET\r\n$1025\r\n', { maxBulkBytes: 1024 });
    expect(e).toMatchObject({ code: 'RL_RESP_TOO_LARGE', reply: 'ERR Protocol error: invalid bulk length' });
    expect(e.message).toContain('1025');
    expect(errorOf('*1\r\n$1024\r\n', { maxBulkBytes: 1024 }).code).toBe('none');
  });

  it('refuses a command over maxCommandBytes from the headers', () => {
    const e = errorOf('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$60\r\n', { maxCommandBytes: 64 });
    expect(e.code).toBe('RL_RESP_TOO_LARGE');
  });

  it('refuses an inline line longer than maxInlineBytes without waiting for its end', () => {
    const p = new RespCommandParser({ maxInlineBytes: 16 });
    p.push(b('GET aaaaaaaa'));
    expect(p.next()).toBeNull();
    p.push(b('bbbbbbbbb'));
    expect(() => p.next()).toThrow(
      expect.objectContaining({
        code: 'RL_RESP_TOO_LARGE',
        replyText: 'ERR Protocol error: too big inline request',
      }),
    );
    expect(errorOf('GET aaaaaaaaaaaa\r\n', { maxInlineBytes: 16 }).code).toBe('none');
  });

  it('rejects limits that are not positive integers', () => {
    expect(() => new RespCommandParser({ maxArgs: 0 })).toThrow(/maxArgs/);
    expect(() => new RespCommandParser({ maxBulkBytes: 1.5 })).toThrow(/maxBulkBytes/);
  });
});
