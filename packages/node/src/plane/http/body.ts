// A request body handed to one upstream attempt without committing the client stream to it.
//
// undici destroys a stream body when the request fails (even on ECONNREFUSED), and destroying
// the client's IncomingMessage resets the client connection. So each attempt gets its own
// LazyBody, which touches the client stream only when undici first reads from it — after the
// connection to the backend exists. `started` is therefore the exact "body went out" fact the
// retry decision needs, and an attempt that failed to connect leaves the client stream intact
// for the next one. The byte limit is enforced here too (chunked bodies have no length up front).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { RingleaderError } from '@ringleader/core';

export class LazyBody extends Readable {
  #source: IncomingMessage;
  #limit: number;
  #started = false;
  #bytes = 0;
  #detach: (() => void) | undefined;

  /** `limit` 0 means no limit. */
  constructor(source: IncomingMessage, limit: number) {
    super();
    this.#source = source;
    this.#limit = limit;
  }

  /** Whether any byte was requested from the client stream for this attempt. */
  get started(): boolean {
    return this.#started;
  }

  get bytes(): number {
    return this.#bytes;
  }

  override _read(): void {
    if (this.#started) {
      this.#source.resume();
      return;
    }
    this.#started = true;
    const src = this.#source;
    const onData = (chunk: Buffer) => {
      this.#bytes += chunk.length;
      if (this.#limit > 0 && this.#bytes > this.#limit) {
        this.destroy(
          new RingleaderError('RL_BODY_TOO_LARGE', `request body is over ${this.#limit} bytes`, {
            status: 413,
          }),
        );
        return;
      }
      if (!this.push(chunk)) src.pause();
    };
    const onEnd = () => this.push(null);
    const onError = (err: Error) => this.destroy(abortError(err));
    const onClose = () => {
      if (!src.complete) this.destroy(abortError(undefined));
    };
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', onError);
    src.on('close', onClose);
    this.#detach = () => {
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', onError);
      src.off('close', onClose);
    };
    src.resume();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // Never destroy the client stream: the data plane still answers on its connection.
    this.#detach?.();
    this.#detach = undefined;
    if (this.#started && !this.#source.complete) this.#source.pause();
    cb(err);
  }
}

function abortError(cause: Error | undefined): RingleaderError {
  return new RingleaderError('RL_CLIENT_ABORTED', 'client closed the connection while sending the body', {
    status: 400,
    cause,
  });
}
