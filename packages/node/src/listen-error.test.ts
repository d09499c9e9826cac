import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ListenError, listenAs } from './listen-error.js';

describe('listen errors', () => {
  it('a port clash names the key, the address and the variable', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    const second = createServer();
    try {
      const err = await listenAs(
        { key: 'admin.listen', env: 'RINGLEADER_ADMIN_LISTEN', host: '127.0.0.1', port },
        () =>
          new Promise<void>((resolve, reject) => {
            second.once('error', reject);
            second.listen(port, '127.0.0.1', resolve);
          }),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ListenError);
      expect((err as ListenError).code).toBe('RL_LISTEN_FAILED');
      expect((err as ListenError).message).toBe(
        `admin.listen 127.0.0.1:${port}: address already in use (another process listens there); choose another address with admin.listen or RINGLEADER_ADMIN_LISTEN`,
      );
    } finally {
      holder.close();
    }
  });

  it('an unknown cause keeps its message, IPv6 hosts are bracketed', () => {
    const e = new ListenError(
      { key: 'proxy.listen', env: 'RINGLEADER_PROXY_LISTEN', host: '::1', port: 80 },
      new Error('boom'),
    );
    expect(e.message).toBe(
      'proxy.listen [::1]:80: boom; choose another address with proxy.listen or RINGLEADER_PROXY_LISTEN',
    );
    expect(e.field).toBe('proxy.listen');
  });
});
