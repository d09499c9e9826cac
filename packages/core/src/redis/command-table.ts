// Which commands a redis service proxies and how, in the spirit of Redis's COMMAND INFO
// (arity; first key, last key, step) plus the finders for commands whose keys move (numkeys,
// STREAMS, STORE). Arities and key positions are Redis 7.0's. Anything not listed is refused
// as an unknown command. docs/services.md ("Redis services") lists the same table for people.

/** How the keys of a command are found, evaluated by route.ts. */
export type KeySpec =
  /** args[first..last] by step; last < 0 counts from the end (-1 = the last argument). */
  | { readonly by: 'range'; readonly first: number; readonly last: number; readonly step: number }
  /** numkeys at args[at], that many keys from args[at + 1]; `dest` = args[1] is a key too. */
  | { readonly by: 'numkeys'; readonly at: number; readonly dest: boolean }
  /** XREAD / XREADGROUP: the keys are the first half of what follows STREAMS. */
  | { readonly by: 'streams'; readonly from: number }
  /** SORT / SORT_RO: the key, and the STORE destination. */
  | { readonly by: 'sort' }
  /** GEORADIUS*: the key, and a STORE / STOREDIST destination after the fixed arguments. */
  | { readonly by: 'georadius'; readonly fixed: number }
  /** A subcommand's key: args[2] (OBJECT ENCODING key, XINFO STREAM key, ...). */
  | { readonly by: 'sub' };

export type SpecKind = 'keyed' | 'split' | 'local' | 'transaction' | 'refused';

export interface CommandSpec {
  readonly name: string;
  /** Redis's arity: n > 0 exactly n arguments with the name; n < 0 at least -n. */
  readonly arity: number;
  readonly kind: SpecKind;
  readonly keys?: KeySpec;
  readonly merge?: 'array' | 'ok' | 'sum';
  readonly step?: 1 | 2;
  /** Why a refused command is refused: the end of its -ERR. */
  readonly why?: string;
  /** Subcommands by lower-case name; one not listed is refused as unknown. */
  readonly subs?: readonly CommandSpec[];
}

export const WHY = {
  blocking: 'blocking commands would hold a backend connection shared by many clients',
  pubsub: 'pub/sub needs a connection of its own to one server',
  keyspace: 'it acts on the whole keyspace, which is spread over several backends',
  admin: 'server administration goes to each backend directly, not through the proxy',
  db: 'only database 0 is served',
  cluster: 'this proxy is not a Redis Cluster node; it routes keys itself',
  scripts: 'it acts on every backend; EVAL loads its script on the backend of its keys',
  connection: 'it changes how the shared backend connection replies',
} as const;

const R = (first = 1, last = first, step = 1): KeySpec => ({ by: 'range', first, last, step });
const ONE = R();
const TWO = R(1, 2);
const ALL = R(1, -1);

/** `group: name/arity ...` → [name, arity] pairs; a table people can read at a glance. */
function rows(table: string): [string, number][] {
  const out: [string, number][] = [];
  for (const tok of table.split(/\s+/)) {
    if (tok === '' || tok.endsWith(':')) continue;
    const [name, arity] = tok.split('/');
    out.push([name!, Number(arity)]);
  }
  return out;
}

// Commands whose one key is args[1].
const ONE_KEY = `
  strings: append/3 decr/2 decrby/3 get/2 getdel/2 getex/-2 getrange/4 getset/3 incr/2 incrby/3
    incrbyfloat/3 psetex/4 set/-3 setex/4 setnx/3 setrange/4 strlen/2 substr/4
  bitmaps: bitcount/-2 bitfield/-2 bitfield_ro/-2 bitpos/-3 getbit/3 setbit/4
  keys: dump/2 expire/-3 expireat/-3 expiretime/2 persist/2 pexpire/-3 pexpireat/-3 pexpiretime/2
    pttl/2 restore/-4 ttl/2 type/2
  hashes: hdel/-3 hexists/3 hget/3 hgetall/2 hincrby/4 hincrbyfloat/4 hkeys/2 hlen/2 hmget/-3
    hmset/-4 hrandfield/-2 hscan/-3 hset/-4 hsetnx/4 hstrlen/3 hvals/2
  lists: lindex/3 linsert/5 llen/2 lpop/-2 lpos/-3 lpush/-3 lpushx/-3 lrange/4 lrem/4 lset/4 ltrim/4
    rpop/-2 rpush/-3 rpushx/-3
  sets: sadd/-3 scard/2 sismember/3 smembers/2 smismember/-3 spop/-2 srandmember/-2 srem/-3 sscan/-3
  sorted-sets: zadd/-4 zcard/2 zcount/4 zincrby/4 zlexcount/4 zmscore/-3 zpopmax/-2 zpopmin/-2
    zrandmember/-2 zrange/-4 zrangebylex/-4 zrangebyscore/-4 zrank/3 zrem/-3 zremrangebylex/4
    zremrangebyrank/4 zremrangebyscore/4 zrevrange/-4 zrevrangebylex/-4 zrevrangebyscore/-4
    zrevrank/3 zscan/-3 zscore/3
  hyperloglog: pfadd/-2
  geo: geoadd/-5 geodist/-4 geohash/-2 geopos/-2 georadius_ro/-6 georadiusbymember_ro/-5 geosearch/-7
  streams: xack/-4 xadd/-5 xautoclaim/-6 xclaim/-6 xdel/-3 xlen/2 xpending/-3 xrange/-4 xrevrange/-4
    xsetid/-3 xtrim/-4
`;

// Commands of several keys, which must share one owner (the route lists them all).
const TWO_KEYS =
  'lcs/-3 copy/-3 rename/3 renamenx/3 lmove/5 rpoplpush/3 smove/4 zrangestore/-5 geosearchstore/-8';
const ALL_KEYS =
  'sdiff/-2 sdiffstore/-3 sinter/-2 sinterstore/-3 sunion/-2 sunionstore/-3 pfcount/-2 pfmerge/-2';
const NUMKEYS_AT_1 = 'lmpop/-4 sintercard/-3 zdiff/-3 zinter/-3 zintercard/-3 zmpop/-4 zunion/-3';
const DEST_AND_NUMKEYS = 'zdiffstore/-4 zinterstore/-4 zunionstore/-4';
// Scripts and functions: numkeys at args[2].
const SCRIPTS = 'eval/-3 eval_ro/-3 evalsha/-3 evalsha_ro/-3 fcall/-3 fcall_ro/-3';

const KEYED: readonly (readonly [string, number, KeySpec])[] = [
  ...rows(ONE_KEY).map(([n, a]) => [n, a, ONE] as const),
  ...rows(TWO_KEYS).map(([n, a]) => [n, a, TWO] as const),
  ...rows(ALL_KEYS).map(([n, a]) => [n, a, ALL] as const),
  ...rows(NUMKEYS_AT_1).map(([n, a]) => [n, a, { by: 'numkeys', at: 1, dest: false } as const] as const),
  ...rows(DEST_AND_NUMKEYS).map(([n, a]) => [n, a, { by: 'numkeys', at: 2, dest: true } as const] as const),
  ...rows(SCRIPTS).map(([n, a]) => [n, a, { by: 'numkeys', at: 2, dest: false } as const] as const),
  ['msetnx', -3, R(1, -1, 2)],
  ['bitop', -4, R(2, -1)],
  ['sort', -2, { by: 'sort' }],
  ['sort_ro', -2, { by: 'sort' }],
  ['georadius', -6, { by: 'georadius', fixed: 6 }],
  ['georadiusbymember', -5, { by: 'georadius', fixed: 5 }],
  ['xread', -4, { by: 'streams', from: 1 }],
  ['xreadgroup', -7, { by: 'streams', from: 4 }],
];

// Split over the owners of their keys and merged; keys are args[1..] by step.
const SPLIT: readonly (readonly [string, number, 'array' | 'ok' | 'sum', 1 | 2])[] = [
  ['mget', -2, 'array', 1],
  ['mset', -3, 'ok', 2],
  ['del', -2, 'sum', 1],
  ['exists', -2, 'sum', 1],
  ['unlink', -2, 'sum', 1],
  ['touch', -2, 'sum', 1],
];

const SUB = { by: 'sub' } as const;
const keyedSub = (name: string, arity: number): CommandSpec => ({ name, arity, kind: 'keyed', keys: SUB });
const localSub = (name: string, arity: number): CommandSpec => ({ name, arity, kind: 'local' });
const refusedSubs = (names: string, why: string): CommandSpec[] =>
  names.split(' ').map((name) => ({ name, arity: -2, kind: 'refused', why }));

const LOCAL: readonly CommandSpec[] = [
  { name: 'ping', arity: -1, kind: 'local' },
  { name: 'echo', arity: 2, kind: 'local' },
  { name: 'quit', arity: -1, kind: 'local' },
  { name: 'select', arity: 2, kind: 'local' },
  { name: 'auth', arity: -2, kind: 'local' },
  { name: 'hello', arity: -1, kind: 'local' },
  { name: 'info', arity: -1, kind: 'local' },
  {
    name: 'client',
    arity: -2,
    kind: 'local',
    subs: [
      localSub('setname', 3),
      localSub('getname', 2),
      localSub('id', 2),
      localSub('info', 2),
      localSub('setinfo', 4),
      ...refusedSubs('kill list pause unpause unblock tracking trackinginfo caching getredir', WHY.admin),
      ...refusedSubs('reply no-evict no-touch', WHY.connection),
    ],
  },
  {
    name: 'command',
    arity: -1,
    kind: 'local',
    subs: [
      localSub('count', 2),
      localSub('info', -2),
      localSub('docs', -2),
      localSub('list', -2),
      localSub('getkeys', -3),
    ],
  },
];

const TRANSACTION: readonly CommandSpec[] = [
  ...rows('multi/1 exec/1 discard/1 unwatch/1').map(
    ([name, arity]): CommandSpec => ({ name, arity, kind: 'transaction' }),
  ),
  { name: 'watch', arity: -2, kind: 'transaction', keys: ALL },
];

const WITH_KEYED_SUBS: readonly CommandSpec[] = [
  {
    name: 'object',
    arity: -2,
    kind: 'keyed',
    subs: [keyedSub('encoding', 3), keyedSub('freq', 3), keyedSub('idletime', 3), keyedSub('refcount', 3)],
  },
  {
    name: 'xgroup',
    arity: -2,
    kind: 'keyed',
    subs: [
      keyedSub('create', -5),
      keyedSub('createconsumer', 5),
      keyedSub('delconsumer', 5),
      keyedSub('destroy', 4),
      keyedSub('setid', -5),
    ],
  },
  {
    name: 'xinfo',
    arity: -2,
    kind: 'keyed',
    subs: [keyedSub('consumers', 4), keyedSub('groups', 3), keyedSub('stream', -3)],
  },
  {
    name: 'memory',
    arity: -2,
    kind: 'keyed',
    subs: [keyedSub('usage', -3), ...refusedSubs('doctor malloc-stats purge stats', WHY.admin)],
  },
];

const REFUSED: readonly (readonly [string, number, string])[] = [
  ...rows('blpop/-3 brpop/-3 brpoplpush/4 blmove/6 blmpop/-5 bzpopmin/-3 bzpopmax/-3 bzmpop/-5 wait/3').map(
    ([n, a]) => [n, a, WHY.blocking] as const,
  ),
  ...rows(
    'subscribe/-2 psubscribe/-2 unsubscribe/-1 punsubscribe/-1 publish/3 pubsub/-2 ssubscribe/-2 sunsubscribe/-1 spublish/3',
  ).map(([n, a]) => [n, a, WHY.pubsub] as const),
  ...rows('keys/2 scan/-2 randomkey/1 dbsize/1 flushall/-1 flushdb/-1').map(
    ([n, a]) => [n, a, WHY.keyspace] as const,
  ),
  ...rows('swapdb/3 move/3').map(([n, a]) => [n, a, WHY.db] as const),
  ['reset', 1, WHY.connection],
  ...rows('script/-2 function/-2').map(([n, a]) => [n, a, WHY.scripts] as const),
  ...rows('cluster/-2 readonly/1 readwrite/1 asking/1 restore-asking/-4 migrate/-6').map(
    ([n, a]) => [n, a, WHY.cluster] as const,
  ),
  ...rows(`
    config/-2 shutdown/-1 save/1 bgsave/-1 bgrewriteaof/1 lastsave/1 debug/-2 monitor/1 sync/1 psync/-3
    replconf/-1 replicaof/3 slaveof/3 slowlog/-2 latency/-2 module/-2 acl/-2 failover/-1 time/1 lolwut/-1
    role/1 pfdebug/3 pfselftest/1`).map(([n, a]) => [n, a, WHY.admin] as const),
];

/** Every command the proxy knows, keyed ones first. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  ...KEYED.map(([name, arity, keys]): CommandSpec => ({ name, arity, kind: 'keyed', keys })),
  ...WITH_KEYED_SUBS,
  ...SPLIT.map(([name, arity, merge, step]): CommandSpec => ({ name, arity, kind: 'split', merge, step })),
  ...LOCAL,
  ...TRANSACTION,
  ...REFUSED.map(([name, arity, why]): CommandSpec => ({ name, arity, kind: 'refused', why })),
];
