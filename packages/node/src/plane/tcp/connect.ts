// One backend connect attempt with a deadline; the socket is destroyed on every failure path.
import { connect, type Socket } from 'node:net';
import type { TcpConnectFailureKind } from '../../seam.js';

export type ConnectOutcome =
  | { readonly ok: true; readonly socket: Socket }
  | { readonly ok: false; readonly kind: TcpConnectFailureKind; readonly error: Error };

export function classifyConnectError(err: Error & { code?: string }): TcpConnectFailureKind {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unreachable';
    default:
      return 'other';
  }
}

export function connectBackend(host: string, port: number, timeoutMs: number): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      allowHalfOpen: true,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
    });
    const timer = setTimeout(() => {
      socket.destroy(
        Object.assign(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, kind: classifyConnectError(error), error });
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // Later errors are the relay's; this listener keeps an ECONNRESET from being unhandled.
      socket.on('error', () => socket.destroy());
      resolve({ ok: true, socket });
    });
  });
}
