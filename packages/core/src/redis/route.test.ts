import { describe, expect, it } from 'vitest';
import { COMMAND_SPECS } from './command-table.js';
import { type CommandRoute, crossOwnerReply, routeCommand, sharedOwner } from './route.js';

const a = (...xs: string[]) => xs.map((x) => Buffer.from(x, 'latin1'));
const route = (...xs: string[]) => routeCommand(a(...xs));
const keysOf = (r: CommandRoute) => ('keys' in r ? r.keys.map((k) => k.toString('latin1')) : r);
const refusal = (r: CommandRoute) =>
  r.kind === 'refused' ? r.reply.toString('latin1') : `not refused: ${r.kind}`;

describe('routeCommand', () => {
  it('routes one-key commands by their key, in any case', () => {
    for (const cmd of [
      ['GET', 'k'],
      ['get', 'k'],
      ['GeT', 'k'],
      ['SET', 'k', 'v', 'EX', '10'],
      ['HSET', 'k', 'f', 'v'],
      ['ZADD', 'k', '1', 'm'],
      ['XADD', 'k', '*', 'f', 'v'],
      ['PFADD', 'k', 'x'],
      ['GEOADD', 'k', '1', '2', 'm'],
      ['SETBIT', 'k', '7', '1'],
      ['EXPIRE', 'k', '10'],
      ['OBJECT', 'ENCODING', 'k'],
      ['XINFO', 'STREAM', 'k'],
      ['MEMORY', 'USAGE', 'k'],
    ]) {
      const r = route(...cmd);
      expect(r.kind, cmd.join(' ')).toBe('keyed');
      expect(keysOf(r), cmd.join(' ')).toEqual(['k']);
    }
    expect(route('GeT', 'k')).toMatchObject({ name: 'get' });
    expect(route('object', 'encoding', 'k')).toMatchObject({ name: 'object|encoding' });
  });

  it('lists every key of commands whose keys must share an owner', () => {
    expect(keysOf(route('RENAME', 'a', 'b'))).toEqual(['a', 'b']);
    expect(keysOf(route('SMOVE', 'a', 'b', 'm'))).toEqual(['a', 'b']);
    expect(keysOf(route('SINTER', 'a', 'b', 'c'))).toEqual(['a', 'b', 'c']);
    expect(keysOf(route('BITOP', 'AND', 'd', 'a', 'b'))).toEqual(['d', 'a', 'b']);
    expect(keysOf(route('MSETNX', 'a', '1', 'b', '2'))).toEqual(['a', 'b']);
    expect(keysOf(route('EVAL', 'return 1', '2', 'a', 'b', 'arg'))).toEqual(['a', 'b']);
    expect(keysOf(route('FCALL', 'f', '1', 'a'))).toEqual(['a']);
    expect(keysOf(route('ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'))).toEqual(['d', 'a', 'b']);
    expect(keysOf(route('ZINTER', '2', 'a', 'b'))).toEqual(['a', 'b']);
    expect(keysOf(route('LMPOP', '2', 'a', 'b', 'LEFT'))).toEqual(['a', 'b']);
    expect(keysOf(route('XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '0', '0'))).toEqual(['a', 'b']);
    expect(keysOf(route('XREADGROUP', 'GROUP', 'g', 'c', 'NOACK', 'STREAMS', 'a', '>'))).toEqual(['a']);
    expect(keysOf(route('SORT', 'a', 'LIMIT', '0', '5', 'ALPHA', 'STORE', 'd'))).toEqual(['a', 'd']);
    expect(keysOf(route('SORT', 'a', 'BY', 'nosort', 'GET', '#'))).toEqual(['a']);
    expect(keysOf(route('GEORADIUS', 'a', '1', '2', '3', 'km', 'COUNT', '3', 'STOREDIST', 'd'))).toEqual([
      'a',
      'd',
    ]);
    expect(keysOf(route('GEORADIUSBYMEMBER', 'a', 'store', '3', 'km', 'STORE', 'd'))).toEqual(['a', 'd']);
  });

  it('splits MGET, MSET, DEL, EXISTS, UNLINK and TOUCH', () => {
    expect(route('MGET', 'a', 'b')).toEqual({ kind: 'split', name: 'mget', merge: 'array', step: 1 });
    expect(route('mset', 'a', '1', 'b', '2')).toEqual({ kind: 'split', name: 'mset', merge: 'ok', step: 2 });
    for (const n of ['DEL', 'EXISTS', 'UNLINK', 'TOUCH'])
      expect(route(n, 'a')).toMatchObject({ kind: 'split', merge: 'sum', step: 1 });
  });

  it('answers connection commands locally', () => {
    for (const cmd of [
      ['PING'],
      ['ping', 'x'],
      ['ECHO', 'x'],
      ['QUIT'],
      ['SELECT', '0'],
      ['HELLO', '3'],
      ['CLIENT', 'SETNAME', 'n'],
      ['COMMAND'],
      ['COMMAND', 'COUNT'],
      ['AUTH', 'p'],
      ['INFO'],
    ])
      expect(route(...cmd).kind, cmd.join(' ')).toBe('local');
    expect(route('client', 'getname')).toEqual({ kind: 'local', name: 'client' });
  });

  it('routes transactions with WATCH keys', () => {
    expect(route('MULTI')).toEqual({ kind: 'transaction', name: 'MULTI', keys: [] });
    expect(route('exec')).toMatchObject({ kind: 'transaction', name: 'EXEC' });
    expect(route('DISCARD')).toMatchObject({ name: 'DISCARD' });
    expect(route('UNWATCH')).toMatchObject({ name: 'UNWATCH' });
    expect(keysOf(route('WATCH', 'a', 'b'))).toEqual(['a', 'b']);
    expect(route('WATCH', 'a')).toMatchObject({ kind: 'transaction', name: 'WATCH' });
  });

  it('refuses with a reason naming why', () => {
    expect(refusal(route('BLPOP', 'a', '0'))).toMatch(
      /^-ERR 'blpop' is not supported by this proxy: blocking/,
    );
    expect(refusal(route('SUBSCRIBE', 'c'))).toMatch(/pub\/sub/);
    expect(refusal(route('KEYS', '*'))).toMatch(/^-ERR 'keys' .*whole keyspace/);
    expect(refusal(route('SCAN', '0'))).toMatch(/whole keyspace/);
    expect(refusal(route('FLUSHALL'))).toMatch(/whole keyspace/);
    expect(refusal(route('CONFIG', 'GET', 'x'))).toMatch(/administration/);
    expect(refusal(route('SHUTDOWN'))).toMatch(/administration/);
    expect(refusal(route('CLUSTER', 'INFO'))).toMatch(/Redis Cluster/);
    expect(refusal(route('SCRIPT', 'LOAD', 'x'))).toMatch(/every backend/);
    expect(refusal(route('CLIENT', 'KILL', 'x'))).toMatch(/^-ERR 'client kill' is not supported/);
    expect(refusal(route('XREAD', 'BLOCK', '0', 'STREAMS', 'a', '$'))).toMatch(/BLOCK.*blocking/);
    expect(refusal(route('SORT', 'a', 'BY', 'w_*'))).toMatch(/BY or GET pattern/);
    expect(refusal(route('EVAL', 'return 1', '0'))).toMatch(/without keys cannot be routed/);
    expect(refusal(route('MOVE', 'a', '1'))).toMatch(/database 0/);
  });

  it("answers wrong arity in Redis's wording", () => {
    expect(refusal(route('GET'))).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(refusal(route('get', 'a', 'b'))).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(refusal(route('SET', 'a'))).toBe("-ERR wrong number of arguments for 'set' command\r\n");
    expect(refusal(route('MSET', 'a', '1', 'b'))).toBe(
      "-ERR wrong number of arguments for 'mset' command\r\n",
    );
    expect(refusal(route('MSETNX', 'a', '1', 'b'))).toBe(
      "-ERR wrong number of arguments for 'msetnx' command\r\n",
    );
    expect(refusal(route('CLIENT', 'SETNAME'))).toBe(
      "-ERR wrong number of arguments for 'client|setname' command\r\n",
    );
    expect(refusal(route('CLIENT'))).toBe("-ERR wrong number of arguments for 'client' command\r\n");
  });

  it('answers unknown commands and subcommands as Redis does', () => {
    expect(refusal(route('FOO', 'a', 'b'))).toBe(
      "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n",
    );
    expect(refusal(route('CLIENT', 'NOPE'))).toBe("-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
    const long = routeCommand([Buffer.alloc(1 << 20, 97), Buffer.alloc(1 << 20, 98)]);
    expect(long.kind).toBe('refused');
    expect(refusal(long).length).toBeLessThan(400);
    expect(refusal(route('get\r\nx'))).not.toMatch(/\r\n./);
  });

  it('refuses bad numkeys and stream lists with the reason', () => {
    expect(refusal(route('EVAL', 's', 'x'))).toMatch(/not an integer/);
    expect(refusal(route('EVAL', 's', '-1'))).toMatch(/can't be negative/);
    expect(refusal(route('EVAL', 's', '3', 'a'))).toMatch(/greater than number of args/);
    expect(refusal(route('ZUNION', '0', 'a'))).toMatch(/greater than 0/);
    expect(refusal(route('XREAD', 'STREAMS', 'a', 'b', '0'))).toMatch(/Unbalanced 'xread'/);
    expect(refusal(route('XREAD', 'FOO', 'STREAMS', 'a', '0'))).toMatch(/syntax error/);
  });

  it('has a well-formed table: unique names, Redis-like arities, keys wherever keyed', () => {
    const names = COMMAND_SPECS.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const s of COMMAND_SPECS) {
      expect(s.arity, s.name).not.toBe(0);
      expect(Number.isInteger(s.arity), s.name).toBe(true);
      if (s.kind === 'keyed') expect(s.keys !== undefined || s.subs !== undefined, s.name).toBe(true);
      if (s.kind === 'refused') expect(s.why, s.name).toBeTruthy();
    }
    expect(names.length).toBeGreaterThan(200);
  });
});

describe('sharedOwner and crossOwnerReply', () => {
  it('finds the one owner or -1', () => {
    const owner = (k: Buffer) => k[0]!;
    expect(sharedOwner(a('xa', 'xb'), owner)).toBe(120);
    expect(sharedOwner(a('xa', 'yb'), owner)).toBe(-1);
    expect(crossOwnerReply('rename').toString()).toMatch(
      /^-ERR 'rename' keys belong to different backends.*hash tag/,
    );
  });
});
