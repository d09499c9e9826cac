import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probe, statusOf } from './probe.js';

const cfg = { path: '/healthz', timeoutMs: 500, expectStatus: [200, 399] as const };

describe('statusOf', () => {
  it.each([
    ['HTTP/1.1 200 OK\r\n', 200],
    ['HTTP/1.0 503 Service Unavailable\r\nx: y\r\n', 503],
    ['HTTP/1.1 204\r\n', 204],
    ['HTTP/1.1 20', undefined],
    ['HTT', undefined],
    ['+PONG\r\n', null],
    ['SSH-2.0-OpenSSH', null],
    ['HTTP/2 200\r\n', null],
    ['HTTP/1.1 2000 OK\r\n', null],
  ] as const)('%j → %s', (head, want) => {
    expect(statusOf(head)).toBe(want);
  });
});

describe('probe over raw sockets', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });
  async function serve(onConn: (s: Socket, request: string) => void): Promise<number> {
    server = createServer((s) => {
      s.on('error', () => {});
      s.once('data', (b) => onConn(s, b.toString()));
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const a = server.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  it('sends a GET with the host header and reads a status line trickled in pieces', async () => {
    let request = '';
    const port = await serve((s, req) => {
      request = req;
      s.write('HTTP/1.1 2');
      setTimeout(() => s.end('04 No Content\r\n\r\n'), 20);
    });
    const r = await probe({ id: 'x', host: '127.0.0.1', port }, cfg);
    expect(r).toMatchObject({ passed: true, status: 204, detail: 'status 204' });
    expect(request).toMatch(new RegExp(`^GET /healthz HTTP/1\\.1\\r\\nhost: 127\\.0\\.0\\.1:${port}\\r\\n`));
    expect(request).toContain('connection: close\r\n\r\n');
  });

  it('fails what is not HTTP, and a connection closed before a status line', async () => {
    let port = await serve((s) => s.end('+PONG\r\n'));
    expect(await probe({ id: 'x', host: '127.0.0.1', port }, cfg)).toMatchObject({
      passed: false,
      detail: 'not an HTTP/1.x status line',
    });
    await new Promise((r) => server?.close(r));
    port = await serve((s) => s.end());
    expect(await probe({ id: 'x', host: '127.0.0.1', port }, cfg)).toMatchObject({
      passed: false,
      detail: 'connection closed before a status line',
    });
  });

  it('fails a port out of range without throwing', async () => {
    expect(await probe({ id: 'x', host: '127.0.0.1', port: 70_000 }, cfg)).toMatchObject({ passed: false });
  });
});
