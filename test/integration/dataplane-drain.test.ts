// The first step of a graceful stop (DataPlane.stopAccepting): the listener goes while
// accepted keep-alive connections are still served, each answer asking its client to close.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { asBackend, usePlanes } from './dataplane-helpers.js';

const { backends, plane } = usePlanes(['d1', 'd2'], 2000);

/** Sends one request on `socket` and resolves with the raw head of the answer. */
async function ask(socket: Socket, path: string): Promise<string> {
  let text = '';
  const onData = (c: Buffer) => {
    text += c.toString('latin1');
  };
  socket.on('data', onData);
  socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  while (!/\r\n\r\n/.test(text)) await once(socket, 'data');
  socket.off('data', onData);
  return text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
}

describe('stopAccepting', () => {
  it('refuses new connections, serves kept-alive ones with connection: close, then closes cleanly', async () => {
    const p = await plane(backends.map((b) => asBackend(b)));
    const kept = connect(p.port, '127.0.0.1');
    await once(kept, 'connect');
    const before = await ask(kept, '/before');
    expect(before).toMatch(/^http\/1\.1 200 /);
    expect(before).not.toContain('connection: close');

    p.plane.stopAccepting();
    const refused = await new Promise<string>((resolve) => {
      const s = connect(p.port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');

    const closedByServer = once(kept, 'close');
    const after = await ask(kept, '/after');
    expect(after).toMatch(/^http\/1\.1 200 /);
    expect(after).toContain('connection: close');
    await closedByServer;
  });
});
