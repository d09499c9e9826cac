// The PROXY header a trusted front sends first on an acceptProxyProtocol listener: read with
// the incremental parser core provides, within timeouts.proxyHeaderMs, before admission. The
// bytes after the header go back into the socket (unshift) for the relay.
import type { Socket } from 'node:net';
import type { ProxyHeaderParser } from '@ringleader/core';

export type ProxyHeaderRead =
  | { readonly kind: 'ok'; readonly ip: string | undefined; readonly port: number | undefined }
  | { readonly kind: 'bad'; readonly message: string }
  | { readonly kind: 'late' }
  | { readonly kind: 'gone' };

export function readProxyHeader(
  client: Socket,
  parser: Pick<ProxyHeaderParser, 'push'>,
  timeoutMs: number,
): Promise<ProxyHeaderRead> {
  return new Promise((resolve) => {
    const done = (r: ProxyHeaderRead) => {
      clearTimeout(timer);
      client.off('data', onData);
      client.off('close', onClose);
      client.pause();
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      const r = parser.push(chunk);
      if (r.kind === 'need-more') return;
      if (r.kind === 'error') return done({ kind: 'bad', message: `${r.code}: ${r.message}` });
      // Pause first: unshifted bytes must wait for the relay's reader, not be emitted now.
      client.pause();
      if (r.rest.length > 0) client.unshift(r.rest);
      // `UNKNOWN`/`LOCAL` headers carry no address: the socket's own is kept.
      const a = r.header.addresses;
      done({
        kind: 'ok',
        ip: a.family === 'unknown' ? undefined : a.sourceAddress,
        port: a.family === 'unknown' ? undefined : a.sourcePort,
      });
    };
    const onClose = () => done({ kind: 'gone' });
    const timer = setTimeout(() => done({ kind: 'late' }), timeoutMs);
    client.on('data', onData);
    client.once('close', onClose);
    client.resume();
  });
}
