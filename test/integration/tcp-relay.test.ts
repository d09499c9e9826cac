// The TCP relay over real sockets on 127.0.0.1: plain net backends and a real redis-server.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deadPort, serving } from './dataplane-helpers.js';
import {
  closed,
  createClient,
  exchange,
  member,
  type NetBackend,
  netBackend,
  sleep,
  startTcp,
  type TestListener,
  tcpService,
  until,
} from './tcp-helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
async function backends(n: number, onConn?: (s: Socket) => void): Promise<NetBackend[]> {
  const list = await Promise.all(Array.from({ length: n }, (_, i) => netBackend(`b${i}`, onConn)));
  cleanup.push(async () => void (await Promise.all(list.map((b) => b.close()))));
  return list;
}
async function tcp(...args: Parameters<typeof startTcp>): Promise<TestListener> {
  const t = await startTcp(...args);
  cleanup.push(() => t.listener.close(0));
  return t;
}

describe('tcp relay', () => {
  it('spreads connections round robin and relays both ways', async () => {
    const bs = await backends(3);
    const t = await tcp(
      tcpService(),
      bs.map((b) => member(b.id, b.port)),
    );
    for (let i = 0; i < 6; i++)
      expect((await exchange(t.port, `ping ${i}`)).reply.toString()).toBe(`ping ${i}`);
    expect(bs.map((b) => b.accepted.length)).toEqual([2, 2, 2]);
    await until(() => t.listener.stats.open === 0);
    expect(t.listener.stats.bytesIn).toBe(t.listener.stats.bytesOut);
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/ringleader_tcp_connections_total\{service="db",backend="b0",cause="done"\} 2/);
  });

  it('ip hashing keeps one client on one backend', async () => {
    const bs = await backends(4);
    const t = await tcp(
      tcpService({}, { policy: 'consistent-hash', hash: { kind: 'ip' } }),
      bs.map((b) => member(b.id, b.port)),
    );
    for (let i = 0; i < 8; i++) await exchange(t.port, 'x');
    expect(bs.map((b) => b.accepted.length).sort()).toEqual([0, 0, 0, 8]);
  });

  it('skips a refused backend without the client noticing, and closes once retries are spent', async () => {
    const [b] = await backends(1);
    const dead = [await deadPort(), await deadPort()];
    const t = await tcp(tcpService({}, { retries: 2 }), [
      member('a-dead', dead[0] as number),
      member('b-live', (b as NetBackend).port),
    ]);
    for (let i = 0; i < 4; i++) expect((await exchange(t.port, 'hi')).reply.toString()).toBe('hi');
    expect(t.listener.stats.connectFailures).toBeGreaterThan(0);
    expect(t.listener.stats.refused).toBe(0);

    const t2 = await tcp(tcpService({}, { retries: 1 }), [
      member('d0', dead[0] as number),
      member('d1', dead[1] as number),
    ]);
    const r = await exchange(t2.port, 'hi');
    expect(r.reply.length).toBe(0);
    expect(t2.listener.stats).toMatchObject({ refused: 1, connectFailures: 2, retries: 1 });
  });

  it('forwards a half-close: the client ends, then reads the reply', async () => {
    const bs = await backends(1, (s) => {
      const got: Buffer[] = [];
      s.on('data', (c: Buffer) => got.push(c));
      s.on('end', () => setTimeout(() => s.end(`got ${Buffer.concat(got).length} bytes`), 50));
    });
    const t = await tcp(tcpService(), [member('b0', (bs[0] as NetBackend).port)]);
    expect((await exchange(t.port, Buffer.alloc(100_000, 1))).reply.toString()).toBe('got 100000 bytes');
  });

  it('a client reset resets the backend', async () => {
    let backendSide: Socket | undefined;
    const bs = await backends(1, (s) => {
      backendSide = s;
    });
    const t = await tcp(tcpService(), [member('b0', (bs[0] as NetBackend).port)]);
    const c = createClient(t.port);
    c.on('error', () => undefined);
    c.write('hello');
    await until(() => backendSide !== undefined);
    const errored = new Promise<string | undefined>((r) => {
      (backendSide as Socket).once('error', (e: NodeJS.ErrnoException) => r(e.code));
      (backendSide as Socket).once('close', () => r(undefined));
    });
    c.resetAndDestroy();
    expect(await errored).toBe('ECONNRESET');
  });

  it('keeps buffering bounded when the client does not read a 200 MB stream', async () => {
    let sent = 0;
    const bs = await backends(1, (s) => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (sent < 200 * 1024 * 1024) {
          sent += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    const t = await tcp(tcpService(), [member('b0', (bs[0] as NetBackend).port)]);
    const rss0 = process.memoryUsage().rss;
    const c = createClient(t.port);
    c.pause();
    await sleep(700);
    // What the backend got to write is what the kernel buffers and the relay's one chunk hold.
    const relayed = t.listener.stats.bytesOut;
    expect(sent).toBeLessThan(32 * 1024 * 1024);
    expect(relayed).toBeLessThan(32 * 1024 * 1024);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
    console.info(`slow reader: backend wrote ${sent} B, relay forwarded ${relayed} B`);
    c.destroy();
  });

  it('closes idle connections', async () => {
    const bs = await backends(1);
    const t = await tcp(
      tcpService({
        timeouts: { connectMs: 500, idleMs: 300, queueMs: 100, proxyHeaderMs: 500, commandMs: 1000 },
      }),
      [member('b0', (bs[0] as NetBackend).port)],
    );
    const c = createClient(t.port);
    c.write('x');
    const t0 = Date.now();
    await closed(c);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await until(() => t.listener.stats.idleClosed === 1);
  });

  it('caps connections per backend with a bounded queue', async () => {
    const bs = await backends(1);
    const t = await tcp(
      tcpService({
        maxConnectionsPerBackend: 1,
        timeouts: { connectMs: 500, idleMs: 5000, queueMs: 300, proxyHeaderMs: 500, commandMs: 1000 },
      }),
      [member('b0', (bs[0] as NetBackend).port)],
    );
    const first = createClient(t.port);
    first.write('1');
    await until(() => t.listener.stats.relaying === 1);
    // A second waits for the slot and gets it when the first ends.
    const second = exchange(t.port, 'two');
    await sleep(100);
    first.end();
    expect((await second).reply.toString()).toBe('two');
    // A third, while the slot stays taken, is closed after queueMs.
    const hold = createClient(t.port);
    hold.write('h');
    await until(() => t.listener.stats.relaying === 1);
    const r = await exchange(t.port, 'three');
    expect(r.reply.length).toBe(0);
    expect(t.listener.stats.queued).toBe(2);
    hold.destroy();
  });

  it('drains a removed backend: no new connections, open ones closed after drainTimeoutMs; maxDurationMs', async () => {
    const bs = await backends(2);
    const [b0, b1] = bs as [NetBackend, NetBackend];
    const t = await tcp(tcpService({ drainTimeoutMs: 300 }), [member('b0', b0.port), member('b1', b1.port)]);
    const c = createClient(t.port);
    c.write('x');
    await until(() => t.listener.stats.relaying === 1);
    const onB0 = b0.accepted.length === 1;
    t.setBackends([member(onB0 ? 'b1' : 'b0', onB0 ? b1.port : b0.port)]);
    expect((await exchange(t.port, 'new')).reply.toString()).toBe('new');
    expect((onB0 ? b0 : b1).accepted.length).toBe(1);
    const t0 = Date.now();
    await closed(c);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    await until(() => t.listener.stats.drained === 1);

    const t2 = await tcp(
      tcpService({
        timeouts: {
          connectMs: 500,
          idleMs: 5000,
          maxDurationMs: 300,
          queueMs: 100,
          proxyHeaderMs: 500,
          commandMs: 1000,
        },
      }),
      [member('b0', b0.port)],
    );
    const c2 = createClient(t2.port);
    const chatter = setInterval(() => c2.write('.'), 50);
    await closed(c2);
    clearInterval(chatter);
    await sleep(50);
    const text = await t2.metrics.registry.metrics();
    expect(text.split('\n').filter((l) => l.startsWith('ringleader_tcp_connections_total'))).toEqual([
      'ringleader_tcp_connections_total{service="db",backend="b0",cause="max_duration"} 1',
    ]);
  });

  it('closes an open relay once the permit is void', async () => {
    const bs = await backends(1);
    let valid = true;
    const t = await tcp(tcpService(), [member('b0', (bs[0] as NetBackend).port)], {
      permitValid: () => valid,
    });
    const c = createClient(t.port);
    c.on('error', () => undefined);
    c.write('x');
    await until(() => t.listener.stats.relaying === 1);
    valid = false;
    await closed(c);
    await until(() => t.listener.stats.fenced === 1);
  });

  it('a standby closes at once; a forwarding standby relays to the leader', async () => {
    const bs = await backends(1);
    const leader = await tcp(tcpService(), [member('b0', (bs[0] as NetBackend).port)]);
    const standby = await tcp(tcpService(), [], {
      gate: () => ({ kind: 'reject', retryAfterS: 1 }),
    });
    const r = await exchange(standby.port, 'x');
    expect(r.reply.length).toBe(0);
    expect(standby.listener.stats.refused).toBe(1);
    const fwd = await tcp(tcpService(), [], {
      gate: () => ({ kind: 'forward', leaderProxyUrl: 'http://127.0.0.1:1', epoch: 3 }),
      forwardTarget: () => ({ host: '127.0.0.1', port: leader.port }),
    });
    expect((await exchange(fwd.port, 'via leader')).reply.toString()).toBe('via leader');
    expect(fwd.listener.stats.forwarded).toBe(1);
    expect(leader.listener.stats.total).toBe(1);
  });

  it('holds a connection until the gate changes', async () => {
    const bs = await backends(1);
    let gate = { kind: 'hold', reason: 'election', maxWaitMs: 2000 } as const as ReturnType<typeof serving>;
    const waiters: (() => void)[] = [];
    const t = await tcp(tcpService(), [member('b0', (bs[0] as NetBackend).port)], {
      gate: () => gate,
      waitForGateChange: () => new Promise<void>((r) => waiters.push(r)),
    });
    const reply = exchange(t.port, 'held');
    await until(() => waiters.length === 1);
    gate = serving(8);
    (waiters.shift() as () => void)();
    expect((await reply).reply.toString()).toBe('held');
    expect(t.listener.stats.held).toBe(1);
  });

  it('relays the redis protocol to a real redis-server', async () => {
    const port = await deadPort();
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    cleanup.push(async () => {
      redis.kill('SIGTERM');
      await new Promise((r) => redis.once('exit', r));
    });
    const t = await tcp(tcpService(), [member('redis', port)]);
    let reply = '';
    for (let i = 0; i < 50 && !reply.includes('+PONG'); i++) {
      reply = (await exchange(t.port, 'PING\r\n')).reply.toString();
      if (!reply.includes('+PONG')) await sleep(50);
    }
    expect(reply).toContain('+PONG');
    const set = (await exchange(t.port, 'SET k v\r\nGET k\r\n')).reply.toString();
    expect(set).toBe('+OK\r\n$1\r\nv\r\n');
  });

  it('sends the PROXY header (v1 and v2) before any client byte, byte-exact at a sink', async () => {
    const got: Buffer[] = [];
    const bs = await backends(1, (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => {
        got.push(Buffer.concat(chunks));
        s.end();
      });
    });
    for (const version of ['v1', 'v2'] as const) {
      const t = await tcp(tcpService({ proxyProtocol: version }), [member('b0', (bs[0] as NetBackend).port)]);
      const c = createClient(t.port);
      await new Promise((r) => c.once('connect', r));
      const src = c.localPort as number;
      c.end('payload');
      await closed(c);
      await until(() => got.length === (version === 'v1' ? 1 : 2));
      const seen = got[got.length - 1] as Buffer;
      const expected =
        version === 'v1'
          ? Buffer.from(`PROXY TCP4 127.0.0.1 127.0.0.1 ${src} ${t.port}\r\n`)
          : Buffer.concat([
              Buffer.from([
                0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00,
                0x0c,
              ]),
              Buffer.from([127, 0, 0, 1, 127, 0, 0, 1]),
              Buffer.from([src >> 8, src & 0xff, t.port >> 8, t.port & 0xff]),
            ]);
      expect(seen.toString('hex')).toBe(Buffer.concat([expected, Buffer.from('payload')]).toString('hex'));
    }
  });

  it('an acceptProxyProtocol listener takes the client address from the header and closes on a bad one', async () => {
    const bs = await backends(1);
    const t = await tcp(tcpService({ acceptProxyProtocol: true, proxyProtocol: 'v1' }), [
      member('b0', (bs[0] as NetBackend).port),
    ]);
    // The header's source goes onward in the header sent to the backend (an echo), then the payload.
    const ok = await exchange(t.port, 'PROXY TCP4 10.9.8.7 10.0.0.2 4242 6379\r\nhello');
    const seen = ok.reply.toString('latin1');
    expect(seen.startsWith('PROXY TCP4 10.9.8.7 ')).toBe(true);
    expect(seen.endsWith('\r\nhello')).toBe(true);
    const bad = await exchange(t.port, 'PROXY TCP4 300.0.0.1 10.0.0.2 1 2\r\nhello');
    expect(bad.reply.length).toBe(0);
    expect(t.listener.stats).toMatchObject({ badProxyHeaders: 1 });
    expect((bs[0] as NetBackend).accepted.length).toBe(1);
  });

  it('a flood of 500 idle connections, then close(0), leaves no open fds', async () => {
    const bs = await backends(1, () => undefined);
    const t = await startTcp(tcpService(), [member('b0', (bs[0] as NetBackend).port)]);
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    const clients: Socket[] = [];
    for (let i = 0; i < 500; i++) {
      const c = createClient(t.port);
      c.on('error', () => undefined);
      clients.push(c);
    }
    await until(() => t.listener.stats.relaying === 500, 5000);
    await t.listener.close(0);
    await Promise.all(clients.map(closed));
    for (const b of bs) for (const s of b.accepted) s.destroy();
    await sleep(50);
    expect(t.listener.stats).toMatchObject({ open: 0, relaying: 0 });
    expect(fds() - before).toBeLessThanOrEqual(2);
    expect(
      await new Promise((r) =>
        createServer()
          .listen(t.port, '127.0.0.1')
          .once('listening', function (this: unknown) {
            r('free');
            (this as ReturnType<typeof createServer>).close();
          })
          .once('error', () => r('busy')),
      ),
    ).toBe('free');
  });
});
