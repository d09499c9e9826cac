// The PROXY header a trusted front sends first on an acceptProxyProtocol listener: read with
// the incremental parser core provides, within timeouts.proxyHeaderMs, before admission. The
// bytes after the header go back into the socket (unshift) for the relay.
import type { Socket } from 'node:net';

/** The shape of core's ProxyHeaderParser (packages/core/src/codec/proxy-protocol.ts, to come). */
export interface ProxyHeaderParserLike {
  push(chunk: Buffer):
    | { readonly kind: 'need-more' }
    | {
        readonly kind: 'done';
        readonly header: {
          readonly family: string;
          readonly sourceAddress?: string;
          readonly sourcePort?: number;
        };
        readonly rest: Buffer;
      }
    | { readonly kind: 'error'; readonly code: string; readonly message: string };
}

export type ProxyHeaderRead =
  | { readonly kind: 'ok'; readonly ip: string | undefined; readonly port: number | undefined }
  | { readonly kind: 'bad'; readonly message: string }
  | { readonly kind: 'late' }
  | { readonly kind: 'gone' };

export function readProxyHeader(
  client: Socket,
  parser: ProxyHeaderParserLike,
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
      const h = r.header;
      done({
        kind: 'ok',
        ip: h.family === 'unknown' ? undefined : h.sourceAddress,
        port: h.family === 'unknown' ? undefined : h.sourcePort,
      });
    };
    const onClose = () => done({ kind: 'gone' });
    const timer = setTimeout(() => done({ kind: 'late' }), timeoutMs);
    client.on('data', onData);
    client.once('close', onClose);
    client.resume();
  });
}
