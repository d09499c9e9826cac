// Services behind a trio of LB nodes (active-passive, standby reject), on one machine: node i
// binds its service listeners on 127.0.0.(i+1), as three hosts would on their own addresses.
// Real redis-server (two of them) and a real PostgreSQL server as backends; service znodes
// written with plain ZooKeeper writes, as zkCli.sh would.
import { execFile } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import {
  type LocalCluster,
  type LocalNode,
  startLocalCluster,
  startPostgres,
  startRedis,
} from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SESSION_MS = 1500;
const CACHE_PORT = 16380;
const STICKY_PORT = 16381;
const PG_PORT = 15433;
const FRONT_PORT = 16382;
const API_PORT = 16383;

type Started = Awaited<ReturnType<typeof startRedis>>;
let c: LocalCluster;
let r1: Started;
let r2: Started;
let pg: Awaited<ReturnType<typeof startPostgres>>;

const serviceHost = (n: LocalNode) => `127.0.0.${n.index + 1}`;
const root = () => `/ringleader/${c.cluster}/services`;

async function putService(name: string, def: unknown): Promise<void> {
  const path = `${root()}/${name}`;
  const data = typeof def === 'string' ? def : JSON.stringify(def);
  if (await c.session.exists(path)) await c.session.setData(path, data);
  else await c.session.create(path, data);
}

async function putBackend(service: string, id: string, host: string, port: number): Promise<void> {
  await c.session.mkdirp(`${root()}/${service}/backends`);
  await c.session.create(`${root()}/${service}/backends/${id}`, JSON.stringify({ host, port }));
}

type ServiceStatus = {
  name: string;
  listener: { phase: string; message?: string };
  backends: { id: string; up: boolean }[];
  rejected: { code: string } | null;
};

async function serviceOn(n: LocalNode, name: string): Promise<ServiceStatus | undefined> {
  const s = (await n.status()) as unknown as { services?: ServiceStatus[] };
  return s.services?.find((x) => x.name === name);
}

/** Waits until every running node listens for `name` with `up` backends up. */
async function serviceReady(name: string, up: number): Promise<void> {
  await c.waitFor(
    async () => {
      for (const n of c.nodes.filter((x) => x.running)) {
        const s = await serviceOn(n, name).catch(() => undefined);
        if (s?.listener.phase !== 'listening' || s.backends.filter((b) => b.up).length !== up) return false;
      }
      return true;
    },
    15_000,
    `service ${name} listening with ${up} backends up on every node`,
  );
}

/** `redis-cli` through a node's service port; the server's own port tells which backend answered. */
async function redisCli(host: string, port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', host, '-p', String(port), ...args], { timeout: 5000 });
  return stdout.trim();
}

async function backendPortVia(host: string, port: number): Promise<number> {
  const info = await redisCli(host, port, 'INFO', 'server');
  return Number(/tcp_port:(\d+)/.exec(info)?.[1]);
}

/** A raw connection; resolves once connected. */
function open(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends one inline command and reads one line back. */
function ask(s: Socket, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      s.off('error', reject);
      resolve(d.toString().trim());
    };
    s.once('data', onData);
    s.once('error', reject);
    s.write(`${line}\r\n`);
  });
}

/** One PING on a fresh connection: the reply line, or '' on any failure within `ms`. */
function pingOnce(host: string, port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (v: string) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(''), ms);
    s.on('error', () => done(''));
    s.on('close', () => done(''));
    s.once('data', (d: Buffer) => done(d.toString().trim()));
    s.write('PING\r\n');
  });
}

/** Resolves how the server side ended a connection: 'closed' (FIN/RST) or 'open' after `ms`. */
function endsWithin(s: Socket, ms: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve('open'), ms);
    const done = () => {
      clearTimeout(t);
      resolve('closed');
    };
    s.once('close', done);
    s.once('end', done);
    s.on('error', () => undefined);
    s.resume();
  });
}

beforeAll(async () => {
  [r1, r2, pg] = await Promise.all([startRedis(), startRedis(), startPostgres()]);
  c = await startLocalCluster({
    nodes: 3,
    backends: 1,
    sessionTimeoutMs: SESSION_MS,
    standby: 'reject',
    nodeEnv: (i) => ({ RINGLEADER_SERVICE_HOST: `127.0.0.${i + 1}`, RINGLEADER_DRAIN_TIMEOUT_MS: '3000' }),
  });
  await putService('cache', {
    protocol: 'tcp',
    listen: CACHE_PORT,
    policy: 'round-robin',
    healthCheck: { kind: 'redis', intervalMs: 500, timeoutMs: 400, rise: 1, fall: 1 },
    drainTimeoutMs: 3000,
  });
  await putBackend('cache', 'r1', r1.host, r1.port);
  await putBackend('cache', 'r2', r2.host, r2.port);
  await putService('sticky', {
    protocol: 'tcp',
    listen: STICKY_PORT,
    policy: 'consistent-hash',
    hash: 'ip',
    healthCheck: { kind: 'redis', intervalMs: 500, timeoutMs: 400, rise: 1, fall: 1 },
  });
  await putBackend('sticky', 'r1', r1.host, r1.port);
  await putBackend('sticky', 'r2', r2.host, r2.port);
  await putService('pg', {
    protocol: 'tcp',
    listen: PG_PORT,
    policy: 'least-connections',
    healthCheck: { kind: 'postgres', intervalMs: 500, timeoutMs: 400, rise: 1, fall: 1 },
  });
  await putBackend('pg', 'db-1', pg.host, pg.port);
  // Behind a trusted L4 front that sends PROXY headers (HAProxy's send-proxy).
  await putService('front', {
    protocol: 'tcp',
    listen: FRONT_PORT,
    policy: 'consistent-hash',
    hash: 'ip',
    acceptProxyProtocol: true,
    timeouts: { proxyHeaderMs: 500 },
    healthCheck: { kind: 'redis', intervalMs: 500, timeoutMs: 400, rise: 1, fall: 1 },
  });
  await putBackend('front', 'r1', r1.host, r1.port);
  // A second HTTP tier: the same HTTP plane as the default service, over its own backends.
  await putService('api', { protocol: 'http', listen: API_PORT, policy: 'round-robin' });
  const b1 = c.backends[0] as (typeof c.backends)[number];
  await putBackend('api', 'app-1', b1.host, b1.port);
  await Promise.all([
    serviceReady('api', 1),
    serviceReady('cache', 2),
    serviceReady('sticky', 2),
    serviceReady('pg', 1),
    serviceReady('front', 1),
  ]);
}, 90_000);

afterAll(async () => {
  await c?.stop();
  await Promise.all([r1?.stop(), r2?.stop(), pg?.stop()]);
});

describe('tcp services behind an active-passive trio', () => {
  it('redisCliAndPsqlWorkThroughTheLeaderAndConnectionsSpreadRoundRobin', async () => {
    const leader = await c.leader();
    const host = serviceHost(leader);
    expect(await redisCli(host, CACHE_PORT, 'SET', 'greeting', 'hello')).toBe('OK');
    const ports = [];
    for (let i = 0; i < 6; i++) ports.push(await backendPortVia(host, CACHE_PORT));
    expect(new Set(ports)).toEqual(new Set([r1.port, r2.port]));
    expect(ports.filter((p) => p === r1.port)).toHaveLength(3);
    const { stdout } = await run(
      'psql',
      ['-h', host, '-p', String(PG_PORT), '-U', 'postgres', '-At', '-c', 'select 40 + 2'],
      { timeout: 10_000 },
    );
    expect(stdout.trim()).toBe('42');
  });

  it('anHttpServiceProxiesStampedRequestsToItsOwnBackends', async () => {
    const leader = await c.leader();
    const b1 = c.backends[0] as (typeof c.backends)[number];
    await b1.epochs({ reset: true });
    const epoch = (await leader.status()).epoch;
    const res = await fetch(`http://${serviceHost(leader)}:${API_PORT}/through-api`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(await b1.epochs()).toEqual([epoch]);
    const standby = c.nodes.find((n) => n !== leader && n.running) as LocalNode;
    const refused = await fetch(`http://${serviceHost(standby)}:${API_PORT}/through-standby`);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('RL_NOT_LEADER');
  });

  it('aStandbyWithStandbyRejectClosesServiceConnectionsAtOnce', async () => {
    const leader = await c.leader();
    const standby = c.nodes.find((n) => n !== leader && n.running) as LocalNode;
    const s = await open(serviceHost(standby), CACHE_PORT);
    expect(await endsWithin(s, 2000)).toBe('closed');
    s.destroy();
  });

  it('ipHashingKeepsAClientOnOneBackend', async () => {
    const host = serviceHost(await c.leader());
    const ports = new Set<number>();
    for (let i = 0; i < 6; i++) ports.add(await backendPortVia(host, STICKY_PORT));
    expect(ports.size).toBe(1);
  });

  it('anAcceptProxyProtocolListenerTakesV1AndV2HeadersAndClosesOnAMalformedOrLateOne', async () => {
    const host = serviceHost(await c.leader());
    const v1 = await open(host, FRONT_PORT);
    expect(await ask(v1, 'PROXY TCP4 10.1.2.3 127.0.0.1 5555 6379\r\nPING')).toBe('+PONG');
    v1.destroy();
    const v2 = await open(host, FRONT_PORT);
    const header = Buffer.concat([
      Buffer.from('0d0a0d0a000d0a515549540a', 'hex'),
      Buffer.from([0x21, 0x11, 0x00, 12, 10, 1, 2, 3, 127, 0, 0, 1, 0x15, 0xb3, 0x18, 0xeb]),
    ]);
    v2.write(header);
    expect(await ask(v2, 'PING')).toBe('+PONG');
    v2.destroy();
    const bad = await open(host, FRONT_PORT);
    bad.write('PROXY TCP4 300.1.1.1 127.0.0.1 1 2\r\nPING\r\n');
    expect(await endsWithin(bad, 2000)).toBe('closed');
    const late = await open(host, FRONT_PORT);
    expect(await endsWithin(late, 3000)).toBe('closed');
  });

  it('aServiceZnodeWithGarbageIsRejectedAndTheLastGoodDefinitionKeepsServing', async () => {
    const leader = await c.leader();
    await putService('sticky', '{"protocol":"tcp","listen":"nope"');
    await putService('junk', { protocol: 'tcp', listen: 16399, policy: 'round-robin', colour: 'blue' });
    await c.waitFor(async () => (await serviceOn(leader, 'sticky'))?.rejected?.code === 'RL_BAD_JSON', 5000);
    const junk = await c.waitFor(() => serviceOn(leader, 'junk'), 5000);
    expect(junk.listener.phase).toBe('not-opened');
    expect(junk.rejected?.code).toBe('RL_BAD_SERVICE');
    // Still serving with the last good definition.
    expect(await redisCli(serviceHost(leader), STICKY_PORT, 'PING')).toBe('PONG');
    await c.session.remove(`${root()}/junk`);
  });

  it('aPortAlreadyInUseIsReportedOnThatNodeAndOtherNodesAndServicesGoOn', async () => {
    const squatter: Server = createServer();
    const victim = c.nodes[1] as LocalNode;
    await new Promise<void>((r) => squatter.listen(16390, serviceHost(victim), r));
    try {
      await putService('taken', { protocol: 'tcp', listen: 16390, policy: 'round-robin' });
      const s = await c.waitFor(async () => {
        const x = await serviceOn(victim, 'taken');
        return x?.listener.phase === 'bind-failed' ? x : undefined;
      }, 5000);
      expect(s.listener.message).toMatch(/16390/);
      for (const n of c.nodes.filter((x) => x !== victim))
        await c.waitFor(async () => (await serviceOn(n, 'taken'))?.listener.phase === 'listening', 5000);
      expect((await serviceOn(victim, 'cache'))?.listener.phase).toBe('listening');
    } finally {
      squatter.close();
      await c.session.remove(`${root()}/taken`);
    }
  });

  it('aKilledBackendIsSkippedByNewConnectionsWithNoClientError', async () => {
    const host = serviceHost(await c.leader());
    await r2.stop();
    try {
      // Before the checks notice: refused connects are retried on r1.
      const ports = [];
      for (let i = 0; i < 6; i++) ports.push(await backendPortVia(host, CACHE_PORT));
      expect(new Set(ports)).toEqual(new Set([r1.port]));
    } finally {
      r2 = await startRedis({ port: r2.port });
    }
    await serviceReady('cache', 2);
  });

  it('leaderSigtermDrainsOpenConnectionsWhileNewOnesGoToTheSuccessor', async () => {
    const leader = await c.leader();
    const s = await open(serviceHost(leader), CACHE_PORT);
    s.on('error', () => undefined);
    expect(await ask(s, 'PING')).toBe('+PONG');
    const stopped = leader.kill('SIGTERM');
    const next = await c.waitFor(
      async () => {
        const l = await c.leader(1000).catch(() => undefined);
        return l !== undefined && l !== leader ? l : undefined;
      },
      SESSION_MS + 5000,
      'a successor',
    );
    // The old leader is draining: the open connection still answers.
    expect(await ask(s, 'PING')).toBe('+PONG');
    expect(await redisCli(serviceHost(next), CACHE_PORT, 'PING')).toBe('PONG');
    // Closed by the drain deadline (3 s) at the latest, and the node exits.
    expect(await endsWithin(s, 6000)).toBe('closed');
    await stopped;
    await leader.restart();
  });

  it('leaderSigkillTheServiceAnswersOnTheNewLeaderWithinSessionTimeoutPlusOneSecond', async () => {
    await serviceReady('cache', 2);
    const leader = await c.leader();
    await leader.kill('SIGKILL');
    const t0 = performance.now();
    let answeredAt = 0;
    // A client with reconnect: tries every node's service host until one answers.
    while (performance.now() - t0 < SESSION_MS + 5000) {
      const hosts = c.nodes.filter((n) => n.running).map(serviceHost);
      // Raw sockets, not a redis-cli process per try: a spawn per host per 50 ms costs more
      // than the failover on two busy cores.
      const replies = await Promise.all(hosts.map((h) => pingOnce(h, CACHE_PORT, 500)));
      if (replies.includes('+PONG')) {
        answeredAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(answeredAt).toBeGreaterThan(0);
    expect(answeredAt - t0).toBeLessThan(SESSION_MS + 1000);
    await leader.restart();
  });
});
