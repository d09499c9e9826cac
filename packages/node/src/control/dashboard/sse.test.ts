import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseHub } from './sse.js';

/** Opens an SSE stream and collects `cluster` frames' data. */
function open(
  port: number,
): Promise<{ frames: string[]; raw: () => string; close: () => void; status: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, path: '/events' }, (res) => {
      const frames: string[] = [];
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        for (const m of chunk.matchAll(/^data: (.*)$/gm)) frames.push(m[1] as string);
      });
      resolve({ frames, raw: () => raw, close: () => req.destroy(), status: res.statusCode ?? 0 });
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SSE hub', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(hub: SseHub): Promise<number> {
    server = createServer((req, res) => {
      if (!hub.accept(req, res)) res.writeHead(503).end();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return (server!.address() as AddressInfo).port;
  }

  it('sends a frame on connect, throttles pushes, beats the heart and forgets closed clients', async () => {
    let n = 0;
    const active: boolean[] = [];
    const hub = new SseHub({
      build: () => JSON.stringify({ n: ++n }),
      minIntervalMs: 200,
      periodicMs: 60_000,
      heartbeatMs: 100,
      onActive: (a) => active.push(a),
    });
    const port = await serve(hub);
    const c = await open(port);
    await sleep(50);
    expect(c.frames).toEqual(['{"n":1}']);
    expect(c.raw()).toContain('retry: 2000');
    // A burst of changes: one push at once, the rest folded into one more 200 ms later.
    for (let i = 0; i < 20; i++) hub.schedule();
    await sleep(60);
    for (let i = 0; i < 20; i++) hub.schedule();
    await sleep(300);
    expect(c.frames.length).toBe(3);
    expect(c.raw()).toContain(': heartbeat');
    expect(hub.size).toBe(1);
    c.close();
    await sleep(50);
    expect(hub.size).toBe(0);
    expect(active).toEqual([true, false]);
  });

  it('refuses clients beyond its bound and ends every stream on closeAll', async () => {
    const hub = new SseHub({ build: () => '{}', maxClients: 2 });
    const port = await serve(hub);
    const a = await open(port);
    const b = await open(port);
    const c = await open(port);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 503]);
    hub.closeAll();
    expect(hub.size).toBe(0);
    a.close();
    b.close();
  });
});
