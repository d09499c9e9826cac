// HTTPS termination on the proxy port: plain HTTP to the backends, x-forwarded-proto https,
// websockets over TLS.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asBackend, type Plane, startBackends, startPlane, type TestBackend } from './dataplane-helpers.js';

let dir: string;
let backend: TestBackend;
let p: Plane;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rl-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  [backend] = (await startBackends(['t1'])) as [TestBackend];
  p = await startPlane([asBackend(backend)], {
    tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
  });
});
afterAll(async () => {
  await p.plane.close(500);
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTPS termination', () => {
  it('serves HTTPS and tells the backend the client spoke https', async () => {
    expect(p.url.startsWith('https://')).toBe(true);
    const body = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = request(`${p.url}/secure`, { rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode, ...JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toMatchObject({ status: 200, backend: 't1', url: '/secure' });
    expect((body.headers as Record<string, string>)['x-forwarded-proto']).toBe('https');
  });

  it('proxies a websocket upgrade over TLS', async () => {
    const head = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: p.port, rejectUnauthorized: false }, () => {
        s.write(
          `GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      let buf = '';
      s.on('data', (c) => {
        buf += c.toString('latin1');
        if (buf.includes('\r\n\r\n')) {
          s.destroy();
          resolve(buf);
        }
      });
      s.on('error', reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 101/);
  });
});
