// Hostile clients against a real node process whose limits come from its environment:
// smuggling attempts (CL+TE, duplicate Content-Length), oversized headers and a slow client
// get the right status and never reach a backend. (The data-plane suite covers every case
// in-process; this checks the same through `ringleader node start` and its configuration.)

import { type LocalCluster, type LocalNode, startLocalCluster } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, rawExchange, statusOf } from './helpers.js';

const REQUEST_TIMEOUT_MS = 1000;
const MAX_HEADER_BYTES = 4096;

let c: LocalCluster;
let node: LocalNode;

beforeAll(async () => {
  c = await startLocalCluster({
    nodes: 1,
    backends: 2,
    nodeEnv: {
      RINGLEADER_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      RINGLEADER_MAX_HEADER_BYTES: String(MAX_HEADER_BYTES),
    },
  });
  node = await c.leader();
});

afterAll(async () => {
  await c?.stop();
});

async function backendRequests(): Promise<number> {
  return (await Promise.all(c.backends.map((b) => b.requests()))).reduce((a, b) => a + b, 0);
}

const HOST = 'Host: lb.test\r\n';

describe('hostile clients through a node process', () => {
  it.each([
    [
      'contentLengthWithTransferEncodingIsRefused400',
      `POST / HTTP/1.1\r\n${HOST}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${HOST}\r\n`,
      400,
    ],
    [
      'duplicateContentLengthIsRefused400',
      `POST / HTTP/1.1\r\n${HOST}Content-Length: 3\r\nContent-Length: 30\r\n\r\nabc`,
      400,
    ],
    [
      'headersOverTheConfiguredMaximumAreRefused431',
      `GET / HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(MAX_HEADER_BYTES + 100)}\r\n\r\n`,
      431,
    ],
  ])('%s and never reaches a backend', async (_name, bytes, status) => {
    const before = await backendRequests();
    const res = await rawExchange(node.proxyPort, bytes);
    expect(statusOf(res)).toBe(status);
    expect(await backendRequests()).toBe(before);
  });

  it('slowClientThatNeverFinishesItsHeadersGets408WithinTheRequestTimeout', async () => {
    const before = await backendRequests();
    const t0 = Date.now();
    const res = await rawExchange(node.proxyPort, `GET /slow-client HTTP/1.1\r\n${HOST}X-Partial: yes\r\n`, {
      waitMs: REQUEST_TIMEOUT_MS + 4000,
    });
    expect(statusOf(res)).toBe(408);
    expect(Date.now() - t0).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    expect(await backendRequests()).toBe(before);
  });

  it('aWellFormedRequestStillGoesThroughAfterwards', async () => {
    const r = await get(`${node.proxyUrl}/fine`);
    expect(r.status).toBe(200);
    expect(['b1', 'b2']).toContain(r.backend);
  });
});
