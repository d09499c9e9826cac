// The socket runner's guarantees against in-process loopback servers that misbehave in ways a
// real Redis or PostgreSQL never would (real servers: test/integration/health-probes.test.ts).

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type { ServiceHealthCheck } from '@ringleader/core';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceProbe } from './probes.js';

const check = (over: Partial<ServiceHealthCheck>): ServiceHealthCheck => ({
  kind: 'tcp',
  intervalMs: 1000,
  timeoutMs: 300,
  rise: 1,
  fall: 1,
  path: '/',
  expectStatus: [200, 399],
  ...over,
});
const cfg = { path: '/', timeoutMs: 300, expectStatus: [200, 399] as const };

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server whose connections are handed to `onConn`; resolves to a probe target. */
async function serve(onConn: (s: Socket) => void) {
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onConn(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { id: 'b1', host: '127.0.0.1', port: (server.address() as AddressInfo).port };
}

/** Resolves when the server side of the connection has seen it close (the probe destroyed it). */
function closed(s: Socket): Promise<void> {
  return new Promise((r) => (s.destroyed ? r() : s.once('close', () => r())));
}

describe('serviceProbe over misbehaving servers', () => {
  it('reads a PONG trickled one byte at a time', async () => {
    const target = await serve((s) =>
      s.once('data', async () => {
        for (const c of '+PONG\r\n') {
          s.write(c);
          await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );
    const r = await serviceProbe(check({ kind: 'redis' }))(target, cfg);
    expect(r.passed).toBe(true);
    expect(r.detail).toMatch(/^PONG in \d+ ms$/);
  });

  it('fails a reply over 64 KiB and closes the connection', async () => {
    let conn: Socket | undefined;
    const target = await serve((s) => {
      conn = s;
      s.once('data', () => s.write(`+${'x'.repeat(70_000)}`));
    });
    const r = await serviceProbe(check({ kind: 'redis' }))(target, { ...cfg, timeoutMs: 2000 });
    expect(r).toMatchObject({ passed: false, detail: 'PING: reply over 65536 bytes' });
    await closed(conn as Socket);
  });

  it('fails a non-RESP answer, naming its first byte', async () => {
    const target = await serve((s) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const r = await serviceProbe(check({ kind: 'redis' }))(target, cfg);
    expect(r).toMatchObject({
      passed: false,
      detail: expect.stringMatching(/^PING: RESP input has an unexpected type byte: .*0x48/),
    });
  });

  it('fails when the backend hangs up mid-reply', async () => {
    const target = await serve((s) => s.once('data', () => s.end('+PO')));
    const r = await serviceProbe(check({ kind: 'redis' }))(target, cfg);
    expect(r).toMatchObject({ passed: false, detail: 'connection closed by backend' });
  });

  it('holds one deadline for the whole check: a PONG then silence on INFO times out', async () => {
    let conn: Socket | undefined;
    const target = await serve((s) => {
      conn = s;
      s.once('data', () => s.write('+PONG\r\n'));
    });
    const r = await serviceProbe(check({ kind: 'redis', role: 'master' }))(target, cfg);
    expect(r).toMatchObject({ passed: false, detail: 'no answer within 300 ms' });
    expect(r.latencyMs).toBeGreaterThanOrEqual(290);
    await closed(conn as Socket);
  });

  it('fails an INFO without a role line, and a nil INFO', async () => {
    const reply = (info: string) => (s: Socket) => {
      s.once('data', () => {
        s.write('+PONG\r\n');
        s.once('data', () => s.write(info));
      });
    };
    const master = serviceProbe(check({ kind: 'redis', role: 'master' }));
    expect(await master(await serve(reply('$13\r\n# Replication\r\n')), cfg)).toMatchObject({
      passed: false,
      detail: 'INFO replication has no role line',
    });
    expect(await master(await serve(reply('$-1\r\n')), cfg)).toMatchObject({
      passed: false,
      detail: 'INFO replication answered $-1 (nil), not a bulk string',
    });
  });

  it('postgres: fails an answer other than S/N and an immediate hang-up', async () => {
    const pg = serviceProbe(check({ kind: 'postgres' }));
    let request: Buffer | undefined;
    const e = await serve((s) =>
      s.once('data', (d: Buffer) => {
        request = d;
        s.write('E');
      }),
    );
    expect(await pg(e, cfg)).toMatchObject({
      passed: false,
      detail: "SSLRequest answered 0x45 'E', not S or N",
    });
    expect(request?.toString('hex')).toBe('0000000804d2162f');
    const gone = await serve((s) => s.destroy());
    expect((await pg(gone, cfg)).passed).toBe(false);
  });

  it('never rejects on a bad target', async () => {
    for (const kind of ['tcp', 'redis', 'postgres', 'http'] as const) {
      const r = await serviceProbe(check({ kind }))({ id: 'x', host: '127.0.0.1', port: 70_000 }, cfg);
      expect(r.passed).toBe(false);
      expect(r.detail).not.toBe('');
    }
  });
});
