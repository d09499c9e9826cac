import { describe, expect, it } from 'vitest';
import {
  parsePgMessages,
  pgAuthCode,
  pgErrorText,
  pgFirstColumn,
  pgQuery,
  pgStartup,
  pgTerminate,
  WireError,
} from './demo-wire.js';

/** A backend message as a server writes it. */
const msg = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const cstr = (s: string) => Buffer.from(`${s}\0`);

describe('PostgreSQL', () => {
  it('StartupMessage: length, protocol 3.0, name/value pairs, final NUL', () => {
    const b = pgStartup({ user: 'postgres', database: 'postgres' });
    expect(b.readInt32BE(0)).toBe(b.length);
    expect(b.readInt32BE(4)).toBe(196608);
    expect(b.subarray(8).toString()).toBe('user\0postgres\0database\0postgres\0\0');
  });

  it('Query and Terminate carry their type byte and length', () => {
    const q = pgQuery('SELECT 1');
    expect(q.toString('latin1', 0, 1)).toBe('Q');
    expect(q.readInt32BE(1)).toBe(q.length - 1);
    expect(q.subarray(5).toString()).toBe('SELECT 1\0');
    expect([...pgTerminate()]).toEqual([0x58, 0, 0, 0, 4]);
  });

  it('splits a stream into whole messages and keeps the partial tail', () => {
    const row = Buffer.concat([Buffer.from([0, 1]), int32(1), Buffer.from('1')]);
    const stream = Buffer.concat([
      msg('R', int32(0)),
      msg('S', Buffer.concat([cstr('server_version'), cstr('15.1')])),
      msg('D', row),
      msg('Z', Buffer.from('I')),
    ]);
    const cut = stream.length - 3;
    const part = parsePgMessages(stream.subarray(0, cut));
    expect(part.messages.map((m) => m.type)).toEqual(['R', 'S', 'D']);
    const whole = parsePgMessages(stream);
    expect(whole.next).toBe(stream.length);
    expect(whole.messages.map((m) => m.type)).toEqual(['R', 'S', 'D', 'Z']);
    expect(pgAuthCode(whole.messages[0]!.body)).toBe(0);
    expect(pgFirstColumn(whole.messages[2]!.body)).toBe('1');
  });

  it('reads an ErrorResponse, a NULL column and an implausible length', () => {
    const err = Buffer.concat([
      cstr('SFATAL'),
      cstr('C28000'),
      cstr('Mrole "x" does not exist'),
      Buffer.from([0]),
    ]);
    expect(pgErrorText(err)).toBe('FATAL: role "x" does not exist');
    expect(pgFirstColumn(Buffer.concat([Buffer.from([0, 1]), int32(-1)]))).toBeNull();
    expect(() => parsePgMessages(Buffer.from([0x45, 0, 0, 0, 1]))).toThrow(WireError);
  });
});
