import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arrayItems, decodeReply } from './decode.js';
import { RESP_OK, RESP_PONG, resp } from './encode.js';
import { hashTag } from './hash-tag.js';

const s = (x: Buffer) => x.toString('latin1');

describe('resp encoders', () => {
  it('encode every RESP2 type', () => {
    expect(s(resp.error('ERR bad\r\nthing'))).toBe('-ERR bad  thing\r\n');
    expect(s(resp.simple('OK'))).toBe('+OK\r\n');
    expect(s(resp.integer(-7))).toBe(':-7\r\n');
    expect(s(resp.bulk('héllo'))).toBe('$6\r\nh\xc3\xa9llo\r\n');
    expect(s(resp.bulk(null))).toBe('$-1\r\n');
    expect(s(resp.array([resp.integer(1), resp.bulk('a')]))).toBe('*2\r\n:1\r\n$1\r\na\r\n');
    expect(s(resp.array(null))).toBe('*-1\r\n');
    expect(s(resp.command(['GET', Buffer.from('k')]))).toBe('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
    expect(s(RESP_OK)).toBe('+OK\r\n');
    expect(s(RESP_PONG)).toBe('+PONG\r\n');
    expect(() => resp.integer(1.5)).toThrow(RangeError);
  });

  it('command() sizes its buffer exactly for any arguments', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.uint8Array().map((u) => Buffer.from(u)),
          ),
          { maxLength: 12 },
        ),
        (args) => {
          const got = resp.command(args);
          const want = Buffer.concat([
            Buffer.from(`*${args.length}\r\n`),
            ...args.map((a) => {
              const body = typeof a === 'string' ? Buffer.from(a) : a;
              return Buffer.concat([Buffer.from(`$${body.length}\r\n`), body, Buffer.from('\r\n')]);
            }),
          ]);
          expect(got.equals(want)).toBe(true);
        },
      ),
    );
  });
});

describe('decodeReply and arrayItems', () => {
  it('decode what the encoders write', () => {
    expect(decodeReply(resp.simple('OK'))).toEqual({ type: 'simple', value: 'OK' });
    expect(decodeReply(resp.error('ERR x'))).toEqual({ type: 'error', value: 'ERR x' });
    expect(decodeReply(resp.integer(12))).toEqual({ type: 'integer', value: 12 });
    expect(decodeReply(resp.bulk(null))).toEqual({ type: 'bulk', value: null });
    expect(decodeReply(resp.array(null))).toEqual({ type: 'array', value: null });
    const nested = resp.array([resp.bulk('a'), resp.array([resp.integer(1)]), resp.bulk(null)]);
    expect(decodeReply(nested)).toEqual({
      type: 'array',
      value: [
        { type: 'bulk', value: Buffer.from('a') },
        { type: 'array', value: [{ type: 'integer', value: 1 }] },
        { type: 'bulk', value: null },
      ],
    });
    const map = Buffer.from('%1\r\n+a\r\n:1\r\n');
    expect(decodeReply(map)).toEqual({ type: 'other', raw: map });
  });

  it('arrayItems gives each raw item, null for a null array, and throws for a non-array', () => {
    const items = [resp.bulk('x'), resp.array([resp.integer(2), resp.bulk(null)]), resp.simple('y')];
    expect(arrayItems(resp.array(items))).toEqual(items);
    expect(arrayItems(resp.array([]))).toEqual([]);
    expect(arrayItems(resp.array(null))).toBeNull();
    expect(() => arrayItems(resp.integer(1))).toThrow(
      expect.objectContaining({ code: 'RL_RESP_UNEXPECTED_REPLY' }),
    );
    expect(() => arrayItems(Buffer.from('*2\r\n:1\r\n'))).toThrow(/ends after 1 of its 2 items/);
    expect(() => decodeReply(Buffer.from(':abc\r\n'))).toThrow(
      expect.objectContaining({ code: 'RL_RESP_UNEXPECTED_REPLY' }),
    );
  });
});

describe('hashTag (Redis Cluster spec examples)', () => {
  const cases: [string, string][] = [
    ['{user1000}.following', 'user1000'],
    ['{user:1}:a', 'user:1'],
    ['foo{}{bar}', 'foo{}{bar}'],
    ['foo{{bar}}zap', '{bar'],
    ['foo{bar}{zap}', 'bar'],
    ['plain', 'plain'],
    ['open{only', 'open{only'],
    ['close}first{x}', 'x'],
    ['', ''],
  ];
  for (const [key, tag] of cases) {
    it(`${JSON.stringify(key)} hashes ${JSON.stringify(tag)}`, () =>
      expect(s(hashTag(Buffer.from(key)))).toBe(tag));
  }

  it('returns a view of the key, not a copy', () => {
    const key = Buffer.from('{user:1}:cart');
    expect(hashTag(key).buffer).toBe(key.buffer);
    expect(hashTag(Buffer.from('{user:1}:cart')).equals(hashTag(Buffer.from('{user:1}:profile')))).toBe(true);
  });
});
