// Service health probes against real servers started here: two redis-servers (a primary and
// its replica, for the role check), PostgreSQL when installed, an HTTP agent answering 200 or
// 503, a closed port and a server that accepts and never answers.
import { execFile } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import type { ServiceHealthCheck } from '@ringleader/core';
import { findPostgresBin, freePorts, sleep, startPostgres, startRedis } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceProbe } from '../../packages/node/src/control/health/probes.js';

const run = promisify(execFile);
const havePostgres = findPostgresBin() !== undefined;

const check = (over: Partial<ServiceHealthCheck>): ServiceHealthCheck => ({
  kind: 'tcp',
  intervalMs: 1000,
  timeoutMs: 1000,
  rise: 1,
  fall: 1,
  path: '/',
  expectStatus: [200, 399],
  ...over,
});
const cfg = (timeoutMs = 1000, path = '/') => ({ path, timeoutMs, expectStatus: [200, 399] as const });
const at = (port: number) => ({ id: `b${port}`, host: '127.0.0.1', port });

/** The real servers started here (the launcher's), stopped after. */
const servers: { stop(): Promise<void> }[] = [];
let primary = 0;
let replica = 0;
let closedPort = 0;
let agentPort = 0;
let silentPort = 0;
let pgPort = 0;
let agent: HttpServer;
let silent: Server;
const held = new Set<Socket>();

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 2000,
  });
  return stdout.trim();
}

beforeAll(async () => {
  [closedPort, agentPort, silentPort] = (await freePorts(3)) as [number, number, number];
  agent = createHttpServer((req, res) => {
    res.writeHead(req.url === '/primary' ? 200 : 503);
    res.end();
  });
  silent = createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
    s.resume(); // reads (and drops) so the probe's close is seen
    s.on('close', () => held.delete(s));
  });
  await Promise.all([
    new Promise<void>((r) => agent.listen(agentPort, '127.0.0.1', r)),
    new Promise<void>((r) => silent.listen(silentPort, '127.0.0.1', r)),
    (async () => {
      const p = await startRedis();
      servers.push(p);
      primary = p.port;
      const r = await startRedis({ replicaOf: { host: p.host, port: p.port } });
      servers.push(r);
      replica = r.port;
    })(),
    (async () => {
      if (!havePostgres) return;
      const pg = await startPostgres();
      servers.push(pg);
      pgPort = pg.port;
    })(),
  ]);
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await Promise.all([
    new Promise((r) => agent?.close(r)),
    new Promise((r) => silent?.close(r)),
    ...servers.map((x) => x.stop()),
  ]).catch(() => undefined);
});

describe('tcp', () => {
  const tcp = serviceProbe(check({ kind: 'tcp' }));
  it('passes on a connect (even to a server that never speaks), fails a refused one', async () => {
    const ok = await tcp(at(primary), cfg());
    expect(ok.passed).toBe(true);
    expect(ok.detail).toMatch(/^connected in \d+ ms$/);
    expect(await tcp(at(silentPort), cfg())).toMatchObject({ passed: true });
    expect(await tcp(at(closedPort), cfg())).toMatchObject({ passed: false, detail: 'ECONNREFUSED' });
  });
});

describe('redis', () => {
  it('passes a PONG from primary and replica alike without a role', async () => {
    const ping = serviceProbe(check({ kind: 'redis' }));
    for (const port of [primary, replica]) {
      const r = await ping(at(port), cfg());
      expect(r.passed, r.detail).toBe(true);
      expect(r.detail).toMatch(/^PONG in \d+ ms$/);
    }
  });

  it("with role 'master' passes the primary only", async () => {
    const master = serviceProbe(check({ kind: 'redis', role: 'master' }));
    expect(await master(at(primary), cfg())).toMatchObject({ passed: true });
    expect((await master(at(primary), cfg())).detail).toMatch(/^PONG, role:master in \d+ ms$/);
    expect(await master(at(replica), cfg())).toMatchObject({
      passed: false,
      detail: 'role:slave, not master',
    });
  });

  it('fails NOAUTH with the reply text once a password is required', async () => {
    await redisCli(replica, 'CONFIG', 'SET', 'requirepass', 'sekrit');
    try {
      const r = await serviceProbe(check({ kind: 'redis' }))(at(replica), cfg());
      expect(r.passed).toBe(false);
      expect(r.detail).toMatch(/^PING: -NOAUTH /);
    } finally {
      await redisCli(replica, '-a', 'sekrit', '--no-auth-warning', 'CONFIG', 'SET', 'requirepass', '');
    }
  });

  it('fails a refused connect and a server that never answers, within the deadline', async () => {
    const ping = serviceProbe(check({ kind: 'redis' }));
    expect(await ping(at(closedPort), cfg())).toMatchObject({ passed: false, detail: 'ECONNREFUSED' });
    const t = await ping(at(silentPort), cfg(300));
    expect(t).toMatchObject({ passed: false, detail: 'no answer within 300 ms' });
    // The probe destroyed its socket: the server sees the connection close.
    for (let i = 0; i < 40 && held.size > 0; i++) await sleep(25);
    expect(held.size).toBe(0);
  });
});

describe('http on the agent port', () => {
  it('checks check.port instead of the backend port, with the live path', async () => {
    const http = serviceProbe(check({ kind: 'http', port: agentPort }));
    // The backend itself (a closed port) is not what is asked.
    const up = await http(at(closedPort), cfg(1000, '/primary'));
    expect(up).toMatchObject({ passed: true, status: 200, detail: `status 200 on port ${agentPort}` });
    const down = await http(at(closedPort), cfg(1000, '/replica'));
    expect(down).toMatchObject({ passed: false, status: 503 });
    expect(down.detail).toBe(`status 503 outside 200..399 on port ${agentPort}`);
  });

  it("uses the backend's own port without check.port", async () => {
    const http = serviceProbe(check({ kind: 'http' }));
    expect(await http(at(agentPort), cfg(1000, '/primary'))).toMatchObject({
      passed: true,
      detail: 'status 200',
    });
    expect(await http(at(closedPort), cfg())).toMatchObject({ passed: false, detail: 'ECONNREFUSED' });
  });
});

describe('postgres', () => {
  const pg = serviceProbe(check({ kind: 'postgres' }));
  it.skipIf(!havePostgres)('passes on a real server answering the SSLRequest', async () => {
    const r = await pg(at(pgPort), cfg());
    expect(r.passed, r.detail).toBe(true);
    expect(r.detail).toMatch(/^SSLRequest answered [SN] in \d+ ms$/);
  });

  it('fails on an HTTP server (its 400 starts with H), a closed port and silence', async () => {
    expect(await pg(at(agentPort), cfg())).toMatchObject({
      passed: false,
      detail: "SSLRequest answered 0x48 'H', not S or N",
    });
    expect(await pg(at(closedPort), cfg())).toMatchObject({ passed: false, detail: 'ECONNREFUSED' });
    expect(await pg(at(silentPort), cfg(300))).toMatchObject({
      passed: false,
      detail: 'no answer within 300 ms',
    });
  });
});
