import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describeReply,
  infoField,
  MAX_RESP_REPLY,
  parseResp,
  printable,
  RespReader,
  type RespReply,
} from './probes-resp.js';

const b = (s: string) => Buffer.from(s, 'latin1');

/** RESP2 encoding, written independently of the reader. */
function encode(r: RespReply): Buffer {
  switch (r.type) {
    case 'simple':
      return b(`+${r.value}\r\n`);
    case 'error':
      return b(`-${r.value}\r\n`);
    case 'integer':
      return b(`:${r.value}\r\n`);
    case 'bulk': {
      if (r.value === null) return b('$-1\r\n');
      const body = Buffer.from(r.value, 'utf8');
      return Buffer.concat([b(`$${body.length}\r\n`), body, b('\r\n')]);
    }
  }
}

/** Splits `buf` at the given cut points (any order, duplicates allowed). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, buf.length]) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  return out.filter((p) => p.length > 0);
}

const line = fc.string({ maxLength: 60 }).filter((s) => !s.includes('\r') && !s.includes('\n'));
const reply: fc.Arbitrary<RespReply> = fc.oneof(
  line.map((value) => ({ type: 'simple' as const, value })),
  line.map((value) => ({ type: 'error' as const, value })),
  fc.integer({ min: -1e12, max: 1e12 }).map((value) => ({ type: 'integer' as const, value })),
  fc.option(fc.string({ unit: 'grapheme', maxLength: 200 }), { nil: null }).map((value) => ({
    type: 'bulk' as const,
    value,
  })),
);

describe('parseResp', () => {
  it('reads each reply type', () => {
    expect(parseResp(b('+PONG\r\n'))).toEqual({
      kind: 'reply',
      reply: { type: 'simple', value: 'PONG' },
      consumed: 7,
    });
    expect(parseResp(b('-NOAUTH Authentication required.\r\n'))).toMatchObject({
      reply: { type: 'error', value: 'NOAUTH Authentication required.' },
    });
    expect(parseResp(b(':-42\r\n'))).toMatchObject({ reply: { type: 'integer', value: -42 } });
    expect(parseResp(b('$5\r\nhello\r\n'))).toMatchObject({
      reply: { type: 'bulk', value: 'hello' },
      consumed: 11,
    });
    expect(parseResp(b('$0\r\n\r\n'))).toMatchObject({ reply: { type: 'bulk', value: '' }, consumed: 6 });
    expect(parseResp(b('$-1\r\n'))).toMatchObject({ reply: { type: 'bulk', value: null }, consumed: 5 });
  });

  it('keeps CRLF inside a bulk string (its length, not a line end, delimits it)', () => {
    expect(parseResp(b('$6\r\na\r\nb:c\r\n'))).toMatchObject({ reply: { type: 'bulk', value: 'a\r\nb:c' } });
  });

  it('waits for more on every proper prefix', () => {
    const whole = b('$11\r\nrole:master\r\n');
    for (let i = 0; i < whole.length; i++) expect(parseResp(whole.subarray(0, i)).kind).toBe('incomplete');
    expect(parseResp(whole).kind).toBe('reply');
  });

  it('reports what is not a usable reply', () => {
    expect(parseResp(b('HTTP/1.1 400 Bad Request\r\n'))).toEqual({
      kind: 'bad',
      reason: expect.stringMatching(/^RESP input has an unexpected type byte: .*byte 0x48/),
    });
    expect(parseResp(b('*1\r\n$4\r\nPONG\r\n'))).toMatchObject({ kind: 'bad' });
    expect(parseResp(b(':12x\r\n'))).toMatchObject({
      kind: 'bad',
      reason: expect.stringMatching(/"12x" is not an integer/),
    });
    expect(parseResp(b('$-2\r\n'))).toMatchObject({ kind: 'bad' });
    expect(parseResp(b('$3\r\nabcd\r\n'))).toMatchObject({
      kind: 'bad',
      reason: expect.stringMatching(/^RESP element is not terminated by CRLF/),
    });
    expect(parseResp(Buffer.from([0x00, 0x0d, 0x0a]))).toMatchObject({
      reason: expect.stringMatching(/unexpected type byte: .*0x00/),
    });
  });

  it('refuses a reply over the bound: a long line, or a bulk announced too long before it arrives', () => {
    const limit = `reply over ${MAX_RESP_REPLY} bytes`;
    expect(parseResp(b(`+${'x'.repeat(MAX_RESP_REPLY + 1)}`))).toEqual({ kind: 'bad', reason: limit });
    // A bulk is judged on its announced length, before its body arrives.
    expect(parseResp(b(`$${MAX_RESP_REPLY + 1}\r\n`))).toEqual({ kind: 'bad', reason: limit });
    // The largest bulk that fits is read whole.
    const ok = parseResp(b(`$${MAX_RESP_REPLY}\r\n${'y'.repeat(MAX_RESP_REPLY)}\r\n`));
    expect(ok).toMatchObject({
      kind: 'reply',
      consumed: MAX_RESP_REPLY + `$${MAX_RESP_REPLY}\r\n`.length + 2,
    });
    expect(parseResp(b('+abcdefgh'), 8)).toEqual({ kind: 'bad', reason: 'reply over 8 bytes' });
    expect(parseResp(b('+abcde\r\n'), 8).kind).toBe('reply');
  });
});

describe('RespReader', () => {
  it('reads any reply however the bytes are split, leaving the next one buffered', () => {
    fc.assert(
      fc.property(reply, reply, fc.array(fc.nat(), { maxLength: 8 }), (first, second, cuts) => {
        const bytes = Buffer.concat([encode(first), encode(second)]);
        const reader = new RespReader();
        const got: RespReply[] = [];
        for (const chunk of split(bytes, cuts)) {
          let r = reader.push(chunk);
          while (r.kind === 'reply') {
            got.push(r.reply);
            r = reader.take();
          }
          expect(r.kind).toBe('incomplete');
        }
        expect(got).toEqual([first, second]);
      }),
    );
  });

  it('fails once the buffered bytes pass the bound without a whole reply', () => {
    const reader = new RespReader(16);
    expect(reader.push(b('+0123456')).kind).toBe('incomplete');
    expect(reader.push(b('789abcdef'))).toEqual({ kind: 'bad', reason: 'reply over 16 bytes' });
  });
});

describe('reply helpers', () => {
  it('finds an INFO field on CRLF or LF lines, and only a whole field name', () => {
    const info = '# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_link_status:up\r\n';
    expect(infoField(info, 'role')).toBe('slave');
    expect(infoField(info, 'master_host')).toBe('127.0.0.1');
    expect(infoField('# Replication\nrole:master\nconnected_slaves:0\n', 'role')).toBe('master');
    expect(infoField('roles:master\r\n', 'role')).toBeUndefined();
    expect(infoField('', 'role')).toBeUndefined();
  });

  it('describes replies on one bounded printable line', () => {
    expect(describeReply({ type: 'simple', value: 'PONG' })).toBe('+PONG');
    expect(describeReply({ type: 'error', value: 'ERR unknown command' })).toBe('-ERR unknown command');
    expect(describeReply({ type: 'integer', value: 7 })).toBe(':7');
    expect(describeReply({ type: 'bulk', value: null })).toBe('$-1 (nil)');
    expect(describeReply({ type: 'bulk', value: 'a\nb' })).toBe('bulk "a\\x0ab"');
    expect(printable('x'.repeat(200))).toHaveLength(121);
    expect(printable('a\u0000b\u007f')).toBe('a\\x00b\\x7f');
  });
});
