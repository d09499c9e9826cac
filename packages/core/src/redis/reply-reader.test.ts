import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespProtocolError } from './limits.js';
import { RespReplyReader } from './reply-reader.js';

const b = (s: string) => Buffer.from(s, 'latin1');

function frames(chunks: Buffer[], limits?: ConstructorParameters<typeof RespReplyReader>[0]): string[] {
  const r = new RespReplyReader(limits);
  const out: string[] = [];
  for (const c of chunks) {
    r.push(c);
    for (let x = r.next(); x !== null; x = r.next()) out.push(x.toString('latin1'));
  }
  return out;
}

function codeOf(input: string, limits?: ConstructorParameters<typeof RespReplyReader>[0]): string {
  try {
    frames([b(input)], limits);
  } catch (e) {
    if (e instanceof RespProtocolError) return e.code;
    throw e;
  }
  return 'none';
}

// One reply of every RESP2 and RESP3 type, nested ones included.
const SAMPLES = [
  '+OK\r\n',
  '-ERR wrong\r\n',
  ':-42\r\n',
  '$5\r\nhe\r\no\r\n',
  '$0\r\n\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*3\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n+x\r\n',
  '_\r\n',
  ',3.14\r\n',
  '#t\r\n',
  '(12345678901234567890\r\n',
  '!5\r\nERR x\r\n',
  '=8\r\ntxt:abcd\r\n',
  '%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n:2\r\n',
  '~2\r\n+a\r\n+b\r\n',
  '>2\r\n+message\r\n+hi\r\n',
  '|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n',
  '*2\r\n|1\r\n+k\r\n+v\r\n:1\r\n:2\r\n',
  '+\r\n',
];

describe('RespReplyReader', () => {
  it('frames one reply of every RESP2 and RESP3 type', () => {
    expect(frames([b(SAMPLES.join(''))])).toEqual(SAMPLES);
  });

  it('returns a view of the chunk when the reply lies in it', () => {
    const chunk = b('+OK\r\n$3\r\nabc\r\n');
    const r = new RespReplyReader();
    r.push(chunk);
    expect(r.next()!.buffer).toBe(chunk.buffer);
    const second = r.next()!;
    expect(second.buffer).toBe(chunk.buffer);
    expect(second.toString()).toBe('$3\r\nabc\r\n');
    expect(r.next()).toBeNull();
  });

  it('frames the same replies however the stream is split (fragmentation)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...SAMPLES), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (replies, cuts) => {
          const wire = b(replies.join(''));
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((x, y) => x - y);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const at of points) {
            chunks.push(Buffer.from(wire.subarray(prev, at)));
            prev = at;
          }
          chunks.push(Buffer.from(wire.subarray(prev)));
          expect(frames(chunks)).toEqual(replies);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds a big array arriving byte by byte and frames it once', () => {
    const items = Array.from({ length: 50 }, (_, i) => `$${String(i).length}\r\n${i}\r\n`).join('');
    const wire = b(`*50\r\n${items}`);
    const r = new RespReplyReader();
    for (let i = 0; i < wire.length - 1; i++) {
      r.push(wire.subarray(i, i + 1));
      expect(r.next()).toBeNull();
    }
    r.push(wire.subarray(wire.length - 1));
    expect(r.next()!.equals(wire)).toBe(true);
    expect(r.bufferedBytes).toBe(0);
  });

  describe('refuses malformed replies with their code', () => {
    const cases: [string, string, string, ConstructorParameters<typeof RespReplyReader>[0]?][] = [
      ['an unknown type byte', '?x\r\n', 'RL_RESP_BAD_TYPE'],
      ['a type byte inside an array', '*1\r\nhello\r\n', 'RL_RESP_BAD_TYPE'],
      ['a negative bulk length other than -1', '$-2\r\n', 'RL_RESP_BAD_LENGTH'],
      ['a null verbatim string', '=-1\r\n', 'RL_RESP_BAD_LENGTH'],
      ['a negative aggregate length other than -1', '*-3\r\n', 'RL_RESP_BAD_LENGTH'],
      ['a null map', '%-1\r\n', 'RL_RESP_BAD_LENGTH'],
      ['a streamed aggregate (RESP3 "?")', '*?\r\n', 'RL_RESP_BAD_LENGTH'],
      ['a bulk body without CRLF', '$2\r\nabcd', 'RL_RESP_MISSING_CRLF'],
      ['a line ending in a bare LF', '+OK\n', 'RL_RESP_MISSING_CRLF'],
      ['a bulk over the limit', '$11\r\n', 'RL_RESP_TOO_LARGE', { maxBulkBytes: 10 }],
      ['a line over the limit', `+${'x'.repeat(20)}`, 'RL_RESP_TOO_LARGE', { maxInlineBytes: 10 }],
      ['an array over the limit', '*11\r\n', 'RL_RESP_TOO_MANY_ARGS', { maxArgs: 10 }],
      ['a map whose entries are over the limit', '%11\r\n', 'RL_RESP_TOO_MANY_ARGS', { maxArgs: 10 }],
      ['nesting deeper than the limit', '*1\r\n*1\r\n*1\r\n*1\r\n', 'RL_RESP_TOO_DEEP', { maxDepth: 3 }],
    ];
    for (const [what, input, code, limits] of cases) it(what, () => expect(codeOf(input, limits)).toBe(code));
  });

  it('accepts nesting up to the limit exactly', () => {
    expect(codeOf('*1\r\n*1\r\n*1\r\n:1\r\n', { maxDepth: 3 })).toBe('none');
    expect(codeOf('*1\r\n*1\r\n*0\r\n', { maxDepth: 2 })).toBe('none');
  });
});
