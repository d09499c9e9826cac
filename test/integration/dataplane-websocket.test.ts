// Websocket upgrades through the proxy: a byte tunnel to the picked backend, with failover on
// refused connects, standby rejection and forwarding to the leader.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { asBackend, deadPort, serving, until, usePlanes } from './dataplane-helpers.js';

const { backends, plane } = usePlanes(['w1', 'w2'], 500);

/** A masked client frame (RFC 6455 §5.3). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, mask, masked]);
}

interface WsClient {
  socket: Socket;
  head: string;
  status: number;
  /** Resolves with the next server frame's payload. */
  next(): Promise<{ opcode: number; payload: Buffer }>;
}

function openWs(port: number, path = '/chat'): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let head: string | undefined;
    const waiters: ((f: { opcode: number; payload: Buffer }) => void)[] = [];
    const frames: { opcode: number; payload: Buffer }[] = [];
    const pump = () => {
      while (buf.length >= 2) {
        const len = (buf[1] as number) & 0x7f;
        const off = len === 126 ? 4 : 2;
        const size = len === 126 ? buf.readUInt16BE(2) : len;
        if (buf.length < off + size) return;
        const f = { opcode: (buf[0] as number) & 0x0f, payload: buf.subarray(off, off + size) };
        buf = buf.subarray(off + size);
        const w = waiters.shift();
        if (w) w(f);
        else frames.push(f);
      }
    };
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (head === undefined) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        const status = Number(head.slice(9, 12));
        resolve({
          socket,
          head,
          status,
          next: () =>
            new Promise((r) => {
              const f = frames.shift();
              if (f) r(f);
              else waiters.push(r);
            }),
        });
      }
      pump();
    });
    socket.on('error', reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

describe('websocket proxying', () => {
  it('echoes text and binary frames through the proxy, with the epoch stamped on the handshake', async () => {
    const p = await plane([asBackend(backends[0]!)]);
    const ws = await openWs(p.port);
    expect(ws.status).toBe(101);
    expect(ws.head.toLowerCase()).toContain('x-backend: w1');
    ws.socket.write(clientFrame(0x1, Buffer.from('hello through the proxy')));
    const text = await ws.next();
    expect(text).toMatchObject({ opcode: 0x1 });
    expect(text.payload.toString()).toBe('hello through the proxy');
    const big = randomBytes(5000);
    ws.socket.write(clientFrame(0x2, big));
    expect((await ws.next()).payload.equals(big)).toBe(true);
    expect(p.plane.stats.tunnels).toBe(1);
    expect(backends[0]!.epochs.at(-1)).toBe(7);
    ws.socket.write(clientFrame(0x8, Buffer.from([0x03, 0xe8])));
    expect((await ws.next()).opcode).toBe(0x8);
    await new Promise<void>((r) => ws.socket.once('close', () => r()));
    // The proxy's accounting runs when its side of the tunnel closes, not when the client's does.
    await until(() => p.plane.stats.tunnels === 0);
    expect(p.plane.stats.tunnels).toBe(0);
    expect(p.load.inFlight('w1')).toBe(0);
    expect(await p.metrics.registry.metrics()).toContain(
      'ringleader_requests_total{backend="w1",code="101"} 1',
    );
  });

  it('moves the upgrade to another backend when the first refuses the connect', async () => {
    const p = await plane([asBackend({ id: 'a-dead', port: await deadPort() }), asBackend(backends[1]!)]);
    for (let i = 0; i < 2; i++) {
      const ws = await openWs(p.port);
      expect(ws.status).toBe(101);
      expect(ws.head.toLowerCase()).toContain('x-backend: w2');
      ws.socket.destroy();
    }
    expect(p.plane.stats.retries).toBeGreaterThanOrEqual(1);
  });

  it('answers 503 RL_NO_BACKEND when no backend takes the upgrade', async () => {
    const p = await plane([asBackend({ id: 'a-dead', port: await deadPort() })]);
    const ws = await openWs(p.port);
    expect(ws.status).toBe(503);
    expect(ws.head).toMatch(/content-type: application\/json/);
  });

  it('rejects upgrades on a standby and forwards them when told to', async () => {
    const leader = await plane([asBackend(backends[0]!)], { gate: () => serving(99) });
    const rejecting = await plane([asBackend(backends[0]!)], {
      gate: () => ({ kind: 'reject', leaderProxyUrl: leader.url, retryAfterS: 3 }),
    });
    const refused = await openWs(rejecting.port);
    expect(refused.status).toBe(503);
    expect(refused.head).toContain(`x-ringleader-leader: ${leader.url}`);
    expect(refused.head).toContain('retry-after: 3');

    const forwarding = await plane([], {
      gate: () => ({ kind: 'forward', leaderProxyUrl: leader.url, epoch: 98 }),
    });
    const ws = await openWs(forwarding.port);
    expect(ws.status).toBe(101);
    ws.socket.write(clientFrame(0x1, Buffer.from('via standby')));
    expect((await ws.next()).payload.toString()).toBe('via standby');
    expect(backends[0]!.epochs.at(-1)).toBe(99);
    ws.socket.destroy();
  });

  it('answers a non-websocket upgrade (h2c) as plain HTTP/1.1', async () => {
    const p = await plane([asBackend(backends[0]!)]);
    const res = await new Promise<string>((resolve) => {
      const s = connect(p.port, '127.0.0.1');
      let out = '';
      s.on('data', (c) => {
        out += c.toString();
      });
      s.on('close', () => resolve(out));
      s.write(
        `GET /plain HTTP/1.1\r\nHost: 127.0.0.1:${p.port}\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
      );
    });
    expect(res).toMatch(/^HTTP\/1\.1 200/);
    const body = JSON.parse(res.slice(res.indexOf('{'), res.lastIndexOf('}') + 1));
    expect(body.url).toBe('/plain');
    expect(body.headers.upgrade).toBeUndefined();
    expect(body.headers['http2-settings']).toBeUndefined();
  });
});
