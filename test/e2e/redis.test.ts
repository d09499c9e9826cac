// A `redis` service behind an active-active trio: three real redis-server backends (and a
// fourth for a scale-out), every node routing every key by the same ring. Nodes bind their
// service listener on 127.0.0.(i+1), as three hosts would. Backends are checked directly with
// their own connections, so "where did this key land" is Redis's answer, not the proxy's.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { type LocalCluster, type LocalNode, startLocalCluster, startRedis } from '@ringleader/launcher';
import { ClusterAdmin } from '@ringleader/zk';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PORT = 16480;
type Started = Awaited<ReturnType<typeof startRedis>>;
let c: LocalCluster;
let servers: Started[] = [];
let spare: Started;
const direct = new Map<string, Redis>();
const clients: Redis[] = [];

const host = (n: LocalNode) => `127.0.0.${n.index + 1}`;

function client(n: LocalNode): Redis {
  const r = new Redis({
    host: host(n),
    port: PORT,
    enableReadyCheck: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  r.on('error', () => undefined);
  clients.push(r);
  return r;
}

function directTo(s: Started): Redis {
  const key = `${s.host}:${s.port}`;
  let r = direct.get(key);
  if (r === undefined) {
    r = new Redis({ host: s.host, port: s.port, maxRetriesPerRequest: 1 });
    r.on('error', () => undefined);
    direct.set(key, r);
  }
  return r;
}

type RedisStatus = {
  name: string;
  listener: { phase: string };
  backends: { id: string; up: boolean }[];
};

async function ready(up: number): Promise<void> {
  await c.waitFor(
    async () => {
      for (const n of c.nodes) {
        const s = ((await n.status().catch(() => ({}))) as { services?: RedisStatus[] }).services?.find(
          (x) => x.name === 'cache',
        );
        if (s?.listener.phase !== 'listening' || s.backends.filter((b) => b.up).length !== up) return false;
      }
      return true;
    },
    15_000,
    `cache listening with ${up} backends up on every node`,
  );
}

/** The cache service's backends folder, written as an operator's tools write it. */
const cacheBackends = () => new ClusterAdmin({ session: c.session, cluster: c.cluster, service: 'cache' });

async function putBackend(id: string, s: Started): Promise<void> {
  await cacheBackends().addBackend(id, { host: s.host, port: s.port });
}

/** Which backends hold `key` (asked of each redis-server directly). */
async function holders(key: string, among: Started[] = servers): Promise<number[]> {
  const out: number[] = [];
  for (const s of among) if ((await directTo(s).exists(key)) === 1) out.push(s.port);
  return out;
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1]) * 1024;
}

/** A raw connection: write bytes, collect what comes back until the server closes or `ms` pass. */
function raw(n: LocalNode, bytes: Buffer | string, ms = 2000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host: host(n), port: PORT });
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(t);
      s.destroy();
      resolve({ text, closed });
    };
    const t = setTimeout(() => done(false), ms);
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    s.on('error', () => done(true));
    s.on('close', () => done(true));
    s.write(bytes);
  });
}

beforeAll(async () => {
  servers = await Promise.all([startRedis(), startRedis(), startRedis()]);
  spare = await startRedis();
  c = await startLocalCluster({
    nodes: 3,
    backends: 1,
    mode: 'active-active',
    sessionTimeoutMs: 2000,
    nodeEnv: (i) => ({ RINGLEADER_SERVICE_HOST: `127.0.0.${i + 1}` }),
  });
  await c.admin.putService('cache', {
    protocol: 'redis',
    listen: PORT,
    policy: 'consistent-hash',
    healthCheck: { intervalMs: 300, timeoutMs: 250, rise: 1, fall: 2 },
    timeouts: { commandMs: 1000 },
  });
  await Promise.all(servers.map((s, i) => putBackend(`r${i + 1}`, s)));
  await ready(3);
}, 90_000);

afterAll(async () => {
  for (const r of [...clients, ...direct.values()]) r.disconnect();
  await c?.stop();
  await Promise.all([...servers, spare].map((s) => s?.stop()));
});

describe('a redis service routes every key by its owner, alike on every node', () => {
  it('keysLandOnExactlyOneBackendAndEveryNodeReadsEveryValue', async () => {
    const [a, b, d] = c.nodes.map(client) as [Redis, Redis, Redis];
    const keys = Array.from({ length: 300 }, (_, i) => `agree:${i}`);
    await Promise.all(keys.map((k) => a.set(k, `v-${k}`)));
    const perBackend = new Map<number, number>();
    for (const k of keys) {
      const h = await holders(k);
      expect(h, k).toHaveLength(1);
      perBackend.set(h[0] as number, (perBackend.get(h[0] as number) ?? 0) + 1);
    }
    // Every backend owns a fair part of 300 keys (each ~100).
    expect([...perBackend.values()].every((n) => n > 40)).toBe(true);
    for (const r of [b, d])
      expect(await Promise.all(keys.map((k) => r.get(k)))).toEqual(keys.map((k) => `v-${k}`));
  });

  it('mgetAndMsetAcrossOwnersAreSplitAndReassembledInOrder', async () => {
    const [a, b] = c.nodes.map(client) as [Redis, Redis];
    const keys = Array.from({ length: 24 }, (_, i) => `multi:${i}`);
    expect(await a.mset(Object.fromEntries(keys.map((k) => [k, k.toUpperCase()])))).toBe('OK');
    const owners = new Set((await Promise.all(keys.map((k) => holders(k)))).map((h) => h[0]));
    expect(owners.size).toBe(3);
    expect(await b.mget(keys[3] as string, 'multi:missing', ...keys)).toEqual([
      'MULTI:3',
      null,
      ...keys.map((k) => k.toUpperCase()),
    ]);
    expect(await b.exists(...keys, 'multi:missing')).toBe(24);
    expect(await a.del(...keys.slice(0, 10))).toBe(10);
    expect(await b.exists(...keys)).toBe(14);
  });

  it('hashTaggedKeysLandTogetherAndTransactionsNeedOneOwner', async () => {
    const a = client(c.nodes[0] as LocalNode);
    await a.set('{user:1}:profile', 'p');
    await a.set('{user:1}:cart', 'c');
    expect(await holders('{user:1}:profile')).toEqual(await holders('{user:1}:cart'));
    const tx = await a.multi().incr('{user:1}:visits').incr('{user:1}:visits').get('{user:1}:cart').exec();
    expect(tx?.map(([, v]) => v)).toEqual([1, 2, 'c']);
    // Keys of different owners in one transaction: refused as a whole, nothing applied.
    const keys = Array.from({ length: 12 }, (_, i) => `tx:${i}`);
    const spread = a.multi();
    for (const k of keys) spread.set(k, '1');
    await expect(spread.exec()).rejects.toThrow(/EXECABORT.*different backends/);
    expect(await a.exists(...keys)).toBe(0);
    await expect(a.call('SUNIONSTORE', 'dst', 'tx:1', 'tx:2', 'tx:3', 'tx:4', 'tx:5')).rejects.toThrow(
      /CROSSSLOT|different backends/,
    );
  });

  it('commandsThatCannotBeRoutedGetAnErrorNamingWhy', async () => {
    const a = client(c.nodes[1] as LocalNode);
    for (const cmd of [['KEYS', '*'], ['FLUSHALL'], ['BLPOP', 'q', '0'], ['SUBSCRIBE', 'ch']]) {
      await expect(a.call(cmd[0] as string, ...cmd.slice(1)), cmd.join(' ')).rejects.toThrow(/ERR/);
    }
    expect(await a.ping()).toBe('PONG');
    expect(await a.echo('hi')).toBe('hi');
    expect(await a.call('SELECT', '0')).toBe('OK');
    await expect(a.call('SELECT', '1')).rejects.toThrow(/ERR/);
  });

  it('malformedAndOversizedInputGetsARespErrorAndACloseAndTheNodeGoesOn', async () => {
    const n = c.nodes[2] as LocalNode;
    const bad = await raw(n, '*2\r\n$3\r\nGET\r\n:12\r\n');
    expect(bad.text).toMatch(/^-ERR Protocol error/);
    expect(bad.closed).toBe(true);
    // A 100 MB bulk string is refused on its header, before any of its bytes are sent.
    const big = await raw(n, '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$104857600\r\n');
    expect(big.text).toMatch(/^-ERR/);
    expect(big.closed).toBe(true);
    const junk = await raw(n, Buffer.from([0x2a, 0x31, 0x0d, 0x0a, 0x24, 0xff, 0xfe, 0x0d, 0x0a]));
    expect(junk.text).toMatch(/^-ERR/);
    expect(await client(n).ping()).toBe('PONG');
  });

  it('aClientThatPipelines100kCommandsWithoutReadingIsServedInOrderWithBoundedMemory', async () => {
    const n = c.nodes[0] as LocalNode;
    const count = 100_000;
    const cmd = Buffer.from('*2\r\n$4\r\nINCR\r\n$9\r\npipe:ctr1\r\n');
    const s = connect({ host: host(n), port: PORT });
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.pause();
    const all = Buffer.alloc(cmd.length * count);
    for (let i = 0; i < count; i++) cmd.copy(all, i * cmd.length);
    s.write(all);
    // Meanwhile, others are served by the same node.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await client(n).ping()).toBe('PONG');
    // The node holds at most maxPipeline commands of this client; the rest waits in the kernel.
    const rss = rssOf(n.pid as number);
    let text = '';
    let lines = 0;
    const got = new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        const last = text.lastIndexOf('\r\n');
        lines += text.slice(0, last + 2).split('\r\n').length - 1;
        const tail = text.slice(0, last);
        if (lines >= count) {
          expect(tail.slice(tail.lastIndexOf(':') + 1)).toBe(String(count));
          resolve();
        }
        text = text.slice(last + 2);
      });
    });
    s.resume();
    await got;
    s.destroy();
    expect(rss).toBeLessThan(400 * 1024 * 1024);
  }, 60_000);

  it('aFourthBackendKeepsMostHitsAndOnlyTakesKeysFromTheOthers', async () => {
    const a = client(c.nodes[0] as LocalNode);
    const keys = Array.from({ length: 2000 }, (_, i) => `grow:${i}`);
    await Promise.all(keys.map((k) => a.set(k, k)));
    await putBackend('r4', spare);
    await ready(4);
    const b = client(c.nodes[1] as LocalNode);
    const values = await b.mget(...keys);
    const missed = keys.filter((_, i) => values[i] !== keys[i]);
    const hits = 1 - missed.length / keys.length;
    expect(hits).toBeGreaterThanOrEqual(0.7);
    expect(hits).toBeLessThan(0.9);
    // A missed key was re-owned by the new backend, nowhere else: writing it again lands there.
    await Promise.all(missed.map((k) => b.set(k, k)));
    for (const k of missed.slice(0, 50)) expect(await holders(k, [spare])).toEqual([spare.port]);
    // Removing it again sends its keys back to their previous owners and leaves the rest alone.
    await cacheBackends().removeBackend('r4');
    await ready(3);
    const again = await a.mget(...keys);
    expect(again.every((v, i) => v === keys[i])).toBe(true);
  }, 60_000);

  it('aDeadBackendGetsFastErrorsUntilEjectedThenItsKeysMoveAndItComesBack', async () => {
    const a = client(c.nodes[0] as LocalNode);
    const victim = servers[2] as Started;
    const keys = Array.from({ length: 60 }, (_, i) => `down:${i}`);
    await Promise.all(keys.map((k) => a.set(k, k)));
    const theirs: string[] = [];
    for (const k of keys) if ((await holders(k, [victim])).length === 1) theirs.push(k);
    expect(theirs.length).toBeGreaterThan(5);
    await victim.stop();
    const t0 = Date.now();
    const first = await a.get(theirs[0] as string).catch((e: Error) => e.message);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(String(first)).toMatch(/ERR ringleader|^$|null/);
    await ready(2);
    // Ejected: its keys go to the next owner (a miss, then a hit once written).
    expect(await a.get(theirs[0] as string)).toBeNull();
    await a.set(theirs[0] as string, 'moved');
    expect(await a.get(theirs[0] as string)).toBe('moved');
    servers[2] = await startRedis({ port: victim.port });
    direct.delete(`${victim.host}:${victim.port}`);
    await ready(3);
    await a.set(theirs[1] as string, 'back');
    expect(await holders(theirs[1] as string, [servers[2] as Started])).toEqual([victim.port]);
  }, 60_000);
});
