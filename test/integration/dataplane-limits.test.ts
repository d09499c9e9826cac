// Limits, timeouts and request smuggling: each gets its status, a metric, and never reaches
// a backend. Raw sockets, so nothing between the test and the proxy normalises the bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asBackend,
  getJson,
  type Plane,
  rawRequest,
  startBackends,
  startPlane,
  statusLine,
  type TestBackend,
} from './dataplane-helpers.js';

let backend: TestBackend;
let p: Plane;

beforeAll(async () => {
  [backend] = (await startBackends(['b1'])) as [TestBackend];
  p = await startPlane([asBackend(backend)], {
    // Both bound every proxied request here, not only the tests of them: 300 ms was within reach
    // of an in-process backend's answer on a loaded machine. headersMs stays under requestMs
    // (the total budget), or its test would meet the total timeout instead.
    timeouts: { connectMs: 1000, headersMs: 1000, idleMs: 5000, requestMs: 2000 },
    limits: { maxHeaderBytes: 4096, maxBodyBytes: 1000, maxHeaderCount: 20 },
  });
});
afterAll(async () => {
  await p.plane.close(500);
  await backend.close();
});

/** Runs `fn` and returns how many requests the backend saw meanwhile. */
async function backendSeen(fn: () => Promise<void>): Promise<number> {
  const before = backend.requests;
  await fn();
  return backend.requests - before;
}

async function metric(name: string): Promise<string> {
  const text = await p.metrics.registry.metrics();
  return text.split('\n').find((l) => l.startsWith(name)) ?? '';
}

const host = () => `Host: 127.0.0.1:${p.port}\r\n`;

describe('header limits', () => {
  it('answers 431 to headers over maxHeaderBytes and forwards nothing', async () => {
    let res = '';
    const seen = await backendSeen(async () => {
      res = await rawRequest(p.port, `GET / HTTP/1.1\r\n${host()}X-Big: ${'a'.repeat(6000)}\r\n\r\n`);
    });
    expect(statusLine(res)).toBe(431);
    expect(res).toContain('RL_HEADERS_TOO_LARGE');
    expect(seen).toBe(0);
    expect(await metric('ringleader_limit_rejections_total{reason="header_size"}')).toMatch(/ [1-9]\d*$/);
  });

  it('answers 431 to more header fields than maxHeaderCount and forwards nothing', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    let res = '';
    const seen = await backendSeen(async () => {
      res = await rawRequest(p.port, `GET / HTTP/1.1\r\n${host()}${many}Connection: close\r\n\r\n`);
    });
    expect(statusLine(res)).toBe(431);
    expect(res).toContain('RL_TOO_MANY_HEADERS');
    expect(seen).toBe(0);
  });
});

describe('body limits', () => {
  it('answers 413 to a content-length over maxBodyBytes and forwards nothing', async () => {
    let status = 0;
    const seen = await backendSeen(async () => {
      status = (await getJson(`${p.url}/upload`, { method: 'POST', body: 'x'.repeat(2000) })).status;
    });
    expect(status).toBe(413);
    expect(seen).toBe(0);
    expect(await metric('ringleader_limit_rejections_total{reason="body_size"}')).toMatch(/ [1-9]\d*$/);
  });

  it('answers 413 to a chunked body that grows past the limit', async () => {
    const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
    const res = await rawRequest(
      p.port,
      `POST /upload HTTP/1.1\r\n${host()}Transfer-Encoding: chunked\r\n\r\n${chunk('a'.repeat(600))}${chunk('b'.repeat(600))}0\r\n\r\n`,
    );
    expect(statusLine(res)).toBe(413);
    expect(res).toContain('RL_BODY_TOO_LARGE');
  });

  it('accepts a body right at the limit', async () => {
    const r = await getJson(`${p.url}/upload`, { method: 'POST', body: 'x'.repeat(1000) });
    expect(r.status).toBe(200);
    expect(r.body.bodyBytes).toBe(1000);
  });
});

describe('timeouts', () => {
  it('answers 504 RL_UPSTREAM_TIMEOUT when the backend sends no headers within headersMs', async () => {
    const r = await getJson(`${p.url}/slow?ms=3000`);
    expect(r.status).toBe(504);
    expect(r.body.code).toBe('RL_UPSTREAM_TIMEOUT');
    expect(await metric('ringleader_limit_rejections_total{reason="headers_timeout"}')).toMatch(/ [1-9]\d*$/);
    expect(await metric('ringleader_upstream_errors_total{backend="b1",kind="headers_timeout"}')).toMatch(
      / 1$/,
    );
  });

  it('answers 408 to a client that does not finish its request within requestMs (slowloris)', async () => {
    let res = '';
    const seen = await backendSeen(async () => {
      // Headers never finished; the proxy must give up on its own.
      res = await rawRequest(p.port, `GET / HTTP/1.1\r\n${host()}X-Slow: 1\r\n`, 8000);
    });
    expect(statusLine(res)).toBe(408);
    expect(res).toContain('RL_CLIENT_TIMEOUT');
    expect(seen).toBe(0);
    expect(await metric('ringleader_limit_rejections_total{reason="client_timeout"}')).toMatch(/ [1-9]\d*$/);
  });

  it('answers 408 to a client that stalls mid-body', async () => {
    const res = await rawRequest(
      p.port,
      `POST /upload HTTP/1.1\r\n${host()}Content-Length: 100\r\n\r\nonly-part-of-it`,
      8000,
    );
    expect(statusLine(res)).toBe(408);
  });
});

describe('request smuggling and malformed requests: 400, never forwarded', () => {
  const cases: [string, string][] = [
    [
      'Content-Length with Transfer-Encoding',
      `POST / HTTP/1.1\r\nHOST\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHOST\r\n\r\n`,
    ],
    [
      'duplicate Content-Length with different values',
      `POST / HTTP/1.1\r\nHOST\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc`,
    ],
    [
      'duplicate identical Content-Length',
      `POST / HTTP/1.1\r\nHOST\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc`,
    ],
    ['malformed Content-Length', `POST / HTTP/1.1\r\nHOST\r\nContent-Length: 3x\r\n\r\nabc`],
    ['Content-Length with a sign', `POST / HTTP/1.1\r\nHOST\r\nContent-Length: +3\r\n\r\nabc`],
    ['bare LF inside a header value', `GET / HTTP/1.1\r\nHOST\r\nX-A: one\ntwo\r\n\r\n`],
    ['bare CR inside a header value', `GET / HTTP/1.1\r\nHOST\r\nX-A: one\rtwo\r\n\r\n`],
    ['obsolete line folding', `GET / HTTP/1.1\r\nHOST\r\nX-A: one\r\n two\r\n\r\n`],
    [
      'space before the header colon',
      `GET / HTTP/1.1\r\nHOST\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n`,
    ],
    [
      'unknown transfer coding',
      `POST / HTTP/1.1\r\nHOST\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    ],
    ['missing Host in HTTP/1.1', `GET / HTTP/1.1\r\nX-A: 1\r\n\r\n`],
  ];

  it.each(cases)('%s', async (_name, template) => {
    let res = '';
    const seen = await backendSeen(async () => {
      res = await rawRequest(p.port, template.replaceAll('HOST', host().slice(0, -2)));
    });
    expect(statusLine(res)).toBe(400);
    expect(res).toContain('RL_BAD_REQUEST');
    expect(seen).toBe(0);
  });

  it('refuses a GET with a body instead of forwarding an ambiguous message', async () => {
    let res = '';
    const seen = await backendSeen(async () => {
      res = await rawRequest(
        p.port,
        `GET / HTTP/1.1\r\n${host()}Content-Length: 3\r\nConnection: close\r\n\r\nabc`,
      );
    });
    expect(statusLine(res)).toBe(400);
    expect(seen).toBe(0);
  });

  it('refuses path traversal', async () => {
    const res = await rawRequest(
      p.port,
      `GET /a/../../etc/passwd HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`,
    );
    expect(statusLine(res)).toBe(400);
  });

  it('does not proxy TRACE', async () => {
    const res = await rawRequest(p.port, `TRACE / HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`);
    expect(statusLine(res)).toBe(405);
  });

  it('keeps serving normal requests after all of the above', async () => {
    const r = await getJson(`${p.url}/fine`);
    expect(r.status).toBe(200);
  });
});
