// The byte relay between a client socket and a connected backend socket: both directions with
// backpressure (a full writer pauses the other side's reader until 'drain'), half-close
// forwarded (allowHalfOpen on both; 'end' on one side ends the other's writable), resets
// propagated as resets, and one end() call site so the cause is recorded exactly once.
import type { Socket } from 'node:net';
import type { TcpCloseCause } from '../../seam.js';
import type { BackendReader } from './connect.js';

export interface RelayHooks {
  /** Each client chunk, before it is written on: false closes the relay ('fenced'). */
  chunkAllowed(): boolean;
  bytes(direction: 'in' | 'out', n: number): void;
  /** Called once, after both sockets are destroyed or closed. */
  ended(cause: TcpCloseCause): void;
}

export interface Relay {
  /** ms (the hooks' clock) of the last byte either way. */
  readonly lastActivity: number;
  /** Closes both sides at once (resets where the socket supports it). */
  kill(cause: TcpCloseCause): void;
}

const reset = (s: Socket): void => {
  if (s.destroyed) return;
  // resetAndDestroy throws ERR_SOCKET_CLOSED on a socket that is not connected.
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
};

/** Starts relaying; client bytes that arrived while connecting wait in the paused socket. */
export function startRelay(
  client: Socket,
  backend: Socket,
  now: () => number,
  hooks: RelayHooks,
  reader?: BackendReader,
  clientReader?: BackendReader,
): Relay {
  let cause: TcpCloseCause | undefined;
  let clientEnded = false;
  let backendEnded = false;
  let closed = 0;
  const state = { lastActivity: now() };

  const finish = (c: TcpCloseCause): void => {
    cause ??= c;
  };
  const onClose = () => {
    closed++;
    if (closed === 2) hooks.ended(cause ?? 'error');
  };
  const kill = (c: TcpCloseCause): void => {
    finish(c);
    reset(client);
    reset(backend);
  };

  // One direction. With a reader, chunks are views of its one reused buffer: the source is not
  // read again while any of a chunk is still queued in the destination (the next read would
  // overwrite it); fresh buffers only wait for the destination's high-water mark.
  const relayChunks = (from: Socket, to: Socket, direction: 'in' | 'out', sourceReader?: BackendReader) => {
    const resume = () => from.resume();
    const onChunk = (chunk: Buffer) => {
      if (direction === 'in' && !hooks.chunkAllowed()) {
        kill('fenced');
        return;
      }
      state.lastActivity = now();
      hooks.bytes(direction, chunk.length);
      const below = to.write(chunk);
      if (sourceReader !== undefined ? to.writableLength > 0 : !below) {
        from.pause();
        to.once('drain', resume);
      }
    };
    if (sourceReader === undefined) from.on('data', onChunk);
    else sourceReader.attach(onChunk);
  };
  relayChunks(client, backend, 'in', clientReader);
  relayChunks(backend, client, 'out', reader);

  client.on('end', () => {
    clientEnded = true;
    backend.end();
    if (backendEnded) finish('done');
  });
  backend.on('end', () => {
    backendEnded = true;
    client.end();
    if (clientEnded) finish('done');
  });
  // A socket that closes without having read its peer's FIN was reset (or destroyed): the other
  // side is reset too, never left half-open. A graceful close leaves the other side to flush.
  client.on('error', () => client.destroy());
  backend.on('error', () => backend.destroy());
  client.once('close', () => {
    if (!clientEnded || !backendEnded) {
      finish('client_reset');
      reset(backend);
    }
    onClose();
  });
  backend.once('close', () => {
    if (!clientEnded || !backendEnded) {
      finish('backend_reset');
      reset(client);
    }
    onClose();
  });
  // Buffered client bytes (read while connecting) flow once the listener is attached.
  client.resume();
  return {
    get lastActivity() {
      return state.lastActivity;
    },
    kill,
  };
}
