// What each upstream engine (proxy.engine) does at the edges where the two could differ:
// refused targets, streaming with backpressure, a client or a backend that goes away, a
// status Node cannot send. Both run every case; where they differ by design (the path each
// sends, when an abandoned attempt stops upstream) the case says which and why.
import { once } from 'node:events';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asBackend,
  getJson,
  type Plane,
  rawRequest,
  startPlane,
  statusLine,
  until,
} from './dataplane-helpers.js';

const servers: Array<Server | NetServer> = [];
const planes: Plane[] = [];
afterEach(async () => {
  await Promise.all(planes.splice(0).map((p) => p.plane.close(200)));
  for (const s of servers.splice(0)) {
    (s as Server).closeAllConnections?.();
    s.close();
  }
});

async function listen<T extends Server | NetServer>(s: T): Promise<{ server: T; port: number }> {
  servers.push(s);
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  return { server: s, port: (s.address() as { port: number }).port };
}

async function planeOver(port: number, engine: 'undici' | 'reply-from'): Promise<Plane> {
  const p = await startPlane([asBackend({ id: 'b1', port })], { engine, retries: 0 });
  planes.push(p);
  return p;
}

/** GET through the plane; resolves with the status and the whole body, or the error that cut it. */
function fetchAll(
  url: string,
  onResponse?: (res: IncomingMessage) => void,
): Promise<{ status: number; bytes: number; error?: Error }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      onResponse?.(res);
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', (error) => resolve({ status: res.statusCode ?? 0, bytes, error }));
      res.on('aborted', () => resolve({ status: res.statusCode ?? 0, bytes, error: new Error('aborted') }));
    });
    req.on('error', (error) => resolve({ status: 0, bytes: 0, error }));
    req.end();
  });
}

describe.each(['undici', 'reply-from'] as const)('the %s engine', (engine) => {
  it('refuses dot-dot and absolute targets with 400 RL_BAD_REQUEST; nothing reaches the backend', async () => {
    let seen = 0;
    const { port } = await listen(
      createServer((_req, res) => {
        seen++;
        res.end('ok');
      }),
    );
    const p = await planeOver(port, engine);
    const ask = (target: string) =>
      rawRequest(p.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    for (const target of ['/a/%2e%2e/b', '/a/../b', '/a\\..\\b', '//evil.example/x']) {
      const raw = await ask(target);
      expect(statusLine(raw), target).toBe(400);
      expect(raw, target).toContain('RL_BAD_REQUEST');
    }
    // A bad escape is refused by fastify's router already (FST_ERR_BAD_URL), before any engine.
    expect(statusLine(await ask('/%zz'))).toBe(400);
    expect(seen).toBe(0);
  });

  it('sends the path as its engine does and the query as the client sent it', async () => {
    const { port } = await listen(createServer((req, res) => res.end(JSON.stringify({ url: req.url }))));
    const p = await planeOver(port, engine);
    // A raw request: fetch() would normalise the path before it left the test.
    const raw = await rawRequest(
      p.port,
      'GET /a/./b?x=%20y&z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    expect(statusLine(raw)).toBe(200);
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { url: string };
    // undici forwards the target untouched; reply-from re-serialises the path through a WHATWG
    // URL, which drops `.` segments.
    expect(body.url).toBe(engine === 'undici' ? '/a/./b?x=%20y&z' : '/a/b?x=%20y&z');
  });

  it('streams 8 MiB to a client that reads slowly, every byte, in order', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const total = 128 * chunk.length;
    const { port } = await listen(
      createServer(async (_req, res) => {
        res.writeHead(200, { 'content-length': String(total) });
        for (let i = 0; i < 128; i++) if (!res.write(chunk)) await once(res, 'drain');
        res.end();
      }),
    );
    const p = await planeOver(port, engine);
    const r = await fetchAll(`${p.url}/big`, (res) => {
      // A reader slower than the backend: the proxy must pause the backend, not buffer it all.
      res.pause();
      const tick = setInterval(() => res.read(), 2);
      res.once('end', () => clearInterval(tick));
      res.once('close', () => clearInterval(tick));
      res.on('readable', () => undefined);
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(200);
    expect(r.bytes).toBe(total);
  });

  it('closes the backend request when the client leaves in the middle of the body', async () => {
    let closedUpstream = false;
    const { port } = await listen(
      createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const tick = setInterval(() => res.write('x'.repeat(1024)), 5);
        res.on('close', () => {
          clearInterval(tick);
          closedUpstream = true;
        });
        req.resume();
      }),
    );
    const p = await planeOver(port, engine);
    const req = httpRequest(`${p.url}/stream`, { agent: false }, (res) => {
      res.once('data', () => req.destroy());
    });
    req.on('error', () => undefined);
    req.end();
    await until(() => closedUpstream, 5000, 'the backend to see its request closed');
    await until(() => p.plane.stats.inFlight === 0, 5000, 'the exchange to be settled');
  });

  it('cuts the client response when the backend dies in the middle of the body', async () => {
    const { port } = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { 'content-length': '100000' });
        res.write('x'.repeat(1000), () => res.destroy());
      }),
    );
    const p = await planeOver(port, engine);
    const r = await fetchAll(`${p.url}/short`);
    expect(r.status).toBe(200);
    expect(r.bytes).toBeLessThan(100_000);
    expect(r.error).toBeDefined();
  });

  it('answers 502 RL_UPSTREAM_ERROR to a status line Node cannot forward', async () => {
    const { port } = await listen(
      createNetServer((s) => {
        s.once('data', () => s.end('HTTP/1.1 600 Beyond\r\ncontent-length: 2\r\n\r\nok'));
      }),
    );
    const p = await planeOver(port, engine);
    const { status, body } = await getJson(`${p.url}/odd`);
    expect(status).toBe(502);
    expect(body.code).toBe('RL_UPSTREAM_ERROR');
  });
});

describe('the undici engine', () => {
  it('stops an attempt upstream as soon as its client leaves before the headers', async () => {
    // reply-from notices a departed client only once the backend answers; undici aborts the
    // request at once, so a slow backend is not kept busy for nobody.
    let arrived = false;
    let closedUpstream = false;
    const { port } = await listen(
      createServer((req) => {
        arrived = true;
        req.socket.once('close', () => {
          closedUpstream = true;
        });
      }),
    );
    const p = await planeOver(port, 'undici');
    const req = httpRequest(`${p.url}/hold`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    await until(() => arrived, 5000, 'the request to reach the backend');
    req.destroy();
    await until(() => closedUpstream, 5000, 'the backend connection to close');
    await until(() => p.plane.stats.inFlight === 0, 5000, 'the exchange to be settled');
  });
});
