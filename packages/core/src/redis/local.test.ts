import { describe, expect, it } from 'vitest';
import { decodeReply } from './decode.js';
import { type LocalState, localReply } from './local.js';

const a = (...xs: string[]) => xs.map((x) => Buffer.from(x, 'latin1'));
const fresh = (): LocalState => ({ clientName: null, db: 0, id: 7 });
const say = (state: LocalState, ...xs: string[]) => localReply(a(...xs), state).reply.toString('latin1');

describe('localReply', () => {
  it('answers PING, ECHO and QUIT', () => {
    const st = fresh();
    expect(say(st, 'PING')).toBe('+PONG\r\n');
    expect(say(st, 'ping', 'hi')).toBe('$2\r\nhi\r\n');
    expect(say(st, 'PING', 'a', 'b')).toBe("-ERR wrong number of arguments for 'ping' command\r\n");
    expect(say(st, 'ECHO', 'x y')).toBe('$3\r\nx y\r\n');
    expect(localReply(a('QUIT'), st)).toEqual({ reply: Buffer.from('+OK\r\n'), close: true });
    expect(localReply(a('PING'), st).close).toBe(false);
  });

  it('accepts SELECT 0 only, naming why', () => {
    const st = fresh();
    expect(say(st, 'SELECT', '0')).toBe('+OK\r\n');
    expect(say(st, 'SELECT', '3')).toBe('-ERR only database 0 is served by this proxy (SELECT 3)\r\n');
    expect(say(st, 'SELECT', 'x')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(say(st, 'SELECT', '00')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(st.db).toBe(0);
  });

  it('keeps CLIENT SETNAME per connection and answers GETNAME, ID, INFO', () => {
    const st = fresh();
    expect(say(st, 'CLIENT', 'GETNAME')).toBe('$-1\r\n');
    const name = Buffer.from('worker-1');
    expect(localReply([Buffer.from('CLIENT'), Buffer.from('SETNAME'), name], st).reply.toString()).toBe(
      '+OK\r\n',
    );
    name.fill(0); // the state keeps its own copy
    expect(say(st, 'client', 'getname')).toBe('$8\r\nworker-1\r\n');
    expect(say(st, 'CLIENT', 'SETNAME', 'a b')).toBe(
      '-ERR Client names cannot contain spaces, newlines or special characters.\r\n',
    );
    expect(say(st, 'CLIENT', 'ID')).toBe(':7\r\n');
    expect(say(st, 'CLIENT', 'INFO')).toMatch(/name=worker-1 db=0/);
    expect(say(st, 'CLIENT', 'SETNAME', '')).toBe('+OK\r\n');
    expect(st.clientName).toBeNull();
    expect(say(st, 'CLIENT', 'KILL', 'x')).toMatch(/^-ERR 'client kill' is not supported/);
  });

  it('speaks RESP2 on HELLO [2] and refuses HELLO 3 as Redis < 6 does', () => {
    const st = fresh();
    const r = decodeReply(localReply(a('HELLO'), st).reply);
    expect(r.type).toBe('array');
    const flat =
      r.type === 'array'
        ? r.value!.map((v) =>
            v.type === 'bulk' ? v.value!.toString() : v.type === 'integer' ? v.value : v.type,
          )
        : [];
    expect(flat.slice(0, 8)).toEqual(['server', 'redis', 'version', '7.0.0', 'proto', 2, 'id', 7]);
    expect(say(st, 'HELLO', '3')).toBe('-NOPROTO sorry, this protocol version is not supported\r\n');
    expect(say(st, 'HELLO', 'x')).toBe('-ERR Protocol version is not an integer or out of range\r\n');
    expect(say(st, 'HELLO', '2', 'SETNAME', 'me')).toMatch(/^\*14\r\n/);
    expect(st.clientName?.toString()).toBe('me');
    expect(say(st, 'HELLO', '2', 'AUTH', 'u', 'p')).toMatch(
      /^-ERR AUTH <password> called without any password/,
    );
    expect(say(st, 'AUTH', 'p')).toMatch(/^-ERR AUTH <password> called without any password/);
  });

  it('answers COMMAND from the table', () => {
    const st = fresh();
    const count = decodeReply(localReply(a('COMMAND', 'COUNT'), st).reply);
    expect(count.type === 'integer' && count.value).toBeGreaterThan(200);
    expect(say(st, 'COMMAND', 'INFO', 'get', 'nope')).toBe(
      '*2\r\n*6\r\n$3\r\nget\r\n:2\r\n*0\r\n:1\r\n:1\r\n:1\r\n*-1\r\n',
    );
    expect(say(st, 'COMMAND', 'DOCS')).toBe('*0\r\n');
    expect(say(st, 'COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2')).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    expect(say(st, 'COMMAND', 'GETKEYS', 'RENAME', 'a', 'b')).toBe('*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    expect(say(st, 'COMMAND', 'GETKEYS', 'PING')).toBe('-ERR The command has no key arguments\r\n');
    const all = decodeReply(localReply(a('COMMAND'), st).reply);
    expect(all.type === 'array' && all.value!.length).toBe(count.type === 'integer' ? count.value : -1);
  });

  it('answers INFO with what clients check on connect', () => {
    expect(say(fresh(), 'INFO')).toMatch(/loading:0/);
  });

  it('does not answer commands that are not local', () => {
    expect(say(fresh(), 'GET', 'k')).toBe("-ERR 'get' is not answered by the proxy itself\r\n");
    expect(say(fresh(), 'KEYS', '*')).toMatch(/whole keyspace/);
  });
});
