// One backend connect attempt with a deadline; the socket is destroyed on every failure path.
import { connect, type Socket } from 'node:net';
import type { TcpConnectFailureKind } from '../../seam.js';

/** Bytes read from a backend per read: one buffer per connection, reused (see BackendReader). */
export const BACKEND_READ_BYTES = 64 * 1024;

/**
 * A backend socket's reads land in one buffer of its own, reused for every read (Node's
 * `onread`), instead of a fresh Buffer per read: at 1 GB/s those buffers' external memory forced
 * a full collection of the node's old space every ~80 ms (docs/benchmarks.md, TCP). The sink
 * must be done with a chunk when it returns: it writes it on, and pauses this socket while the
 * write still holds the buffer. Bytes read before a sink is attached are copied and kept.
 */
export class BackendReader {
  readonly buffer = Buffer.allocUnsafe(BACKEND_READ_BYTES);
  #sink: ((chunk: Buffer) => void) | undefined;
  #early: Buffer[] | undefined;

  /** Node's onread callback; true: keep reading (the sink pauses the socket itself). */
  readonly onread = (n: number, buf: Uint8Array): boolean => {
    const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
    if (this.#sink !== undefined) this.#sink(chunk);
    else {
      this.#early ??= [];
      this.#early.push(Buffer.from(chunk));
    }
    return true;
  };

  attach(sink: (chunk: Buffer) => void): void {
    this.#sink = sink;
    const early = this.#early;
    this.#early = undefined;
    for (const b of early ?? []) sink(b);
  }
}

/**
 * The same reused read buffer for an accepted client socket, which `net.Server` cannot be given:
 * Node's own onread fields (the socket's kBuffer, kBufferCb and kBufferGen symbols, and the
 * handle's useUserBuffer) are set before the socket first reads, as net.connect's `onread` would
 * set them. Only for a socket that has read nothing yet (pauseOnConnect, no PROXY header read): bytesRead 0;
 * false, and nothing changed, when this Node's internals differ: the socket then reads as usual.
 */
export function adoptReadBuffer(socket: Socket, reader: BackendReader): boolean {
  const handle = (
    socket as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void; reading?: boolean } }
  )._handle;
  if (handle === undefined || typeof handle.useUserBuffer !== 'function' || handle.reading === true)
    return false;
  if (socket.readableLength > 0 || socket.bytesRead > 0) return false;
  const sym = (name: string) => Object.getOwnPropertySymbols(socket).find((x) => x.description === name);
  const kBuffer = sym('kBuffer');
  const kBufferCb = sym('kBufferCb');
  const kBufferGen = sym('kBufferGen');
  if (kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined) return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  if (fields[kBuffer] !== null && fields[kBuffer] !== undefined) return false;
  fields[kBuffer] = reader.buffer;
  fields[kBufferCb] = reader.onread;
  fields[kBufferGen] = null;
  handle.useUserBuffer(reader.buffer);
  return true;
}

export type ConnectOutcome =
  | { readonly ok: true; readonly socket: Socket; readonly reader: BackendReader }
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
    const reader = new BackendReader();
    const socket = connect({
      host,
      port,
      onread: { buffer: reader.buffer, callback: reader.onread },
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
      resolve({ ok: true, socket, reader });
    });
  });
}
