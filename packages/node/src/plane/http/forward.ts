// One attempt in flight on the undici engine: the dispatch handler that writes the upstream's
// answer to the client's raw ServerResponse.
//
//   waiting ──onRequestStart──▶ sent ──onResponseStart──▶ streaming ──onResponseEnd──▶ done
//      │ (guard says no: aborted RL_LEASE_LOST; client gone: aborted)      │
//      └──────────── onResponseError before streaming: sink.failed ───────┘ after: cut
//
// - Fencing: onRequestStart runs synchronously right before undici writes the request, and
//   asks the write-time guard once more with the epoch the headers carry (as pools.ts's
//   GuardedHandler does for reply-from); a void permit aborts with RL_LEASE_LOST before a byte
//   goes out, and the shared path re-admits the request.
// - Backpressure: a write the client's socket does not take at once pauses undici (no more
//   body is read from the upstream) until the response drains.
// - Aborts: a client that goes away cancels the attempt (Attempt.cancel, from the plane's
//   close handler), which aborts the upstream request — queued, sent or streaming.
// - Errors before the response started go to the shared path (retry or answer); after, the
//   client's response is cut, as a proxy must (its status line is already out).
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import type { NodeErrorCode } from '../../errors.js';
import type { Attempt, Exchange } from './attempt.js';
import type { AttemptSink } from './engine.js';
import type { HeaderBag } from './headers.js';
import { LEASE_LOST, type WriteGuard } from './pools.js';

export type ForwardPhase = 'waiting' | 'sent' | 'streaming' | 'done';

const CLIENT_GONE: NodeErrorCode = 'RL_CLIENT_ABORTED';

export class Forward implements Dispatcher.DispatchHandler {
  phase: ForwardPhase = 'waiting';
  readonly #sink: AttemptSink;
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply;
  readonly #ex: Exchange;
  readonly #attempt: Attempt;
  readonly #guard: WriteGuard | undefined;
  readonly #epoch: string | undefined;
  readonly #hop: boolean;
  #controller: Dispatcher.DispatchController | undefined = undefined;
  #res: ServerResponse | undefined = undefined;
  #cancelled = false;

  constructor(
    sink: AttemptSink,
    request: FastifyRequest,
    reply: FastifyReply,
    ex: Exchange,
    attempt: Attempt,
    guard: WriteGuard | undefined,
    headers: HeaderBag,
  ) {
    this.#sink = sink;
    this.#request = request;
    this.#reply = reply;
    this.#ex = ex;
    this.#attempt = attempt;
    this.#guard = guard;
    const epoch = headers['x-ringleader-epoch'];
    this.#epoch = typeof epoch === 'string' ? epoch : undefined;
    this.#hop = headers['x-ringleader-via'] !== undefined;
    attempt.cancel = this;
  }

  /** Aborts the upstream request (the client went away); a no-op once it is done. */
  cancel(): void {
    if (this.phase === 'done' || this.#cancelled) return;
    this.#cancelled = true;
    this.#controller?.abort(coded('the client closed the connection', CLIENT_GONE));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#cancelled || this.#ex.done) {
      this.#cancelled = true;
      controller.abort(coded('the client closed the connection', CLIENT_GONE));
      return;
    }
    const guard = this.#guard;
    if (guard !== undefined && !guard(this.#epoch, this.#hop)) {
      controller.abort(coded('the serving permit was void before the request was sent', LEASE_LOST));
      return;
    }
    this.phase = 'sent';
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx (103 early hints): informational, not forwarded (reply-from does not either).
    if (statusCode < 200) return;
    if (this.#cancelled) return;
    if (statusCode > 599) {
      controller.abort(coded(`the backend answered with status ${statusCode}`, 'RL_UPSTREAM_ERROR'));
      return;
    }
    const out = this.#sink.responseHeaders(this.#ex, headers as HeaderBag);
    // An HTTP/1 connection cannot take the next request before this one's body is read; the
    // upstream answered early, so the client's connection closes after this response. Earlier
    // steps of the request path ask for a close through the reply (announceClose, 413).
    if (!this.#request.raw.complete || this.#reply.hasHeader('connection')) out.connection = 'close';
    const res = this.#reply.raw;
    if (!writeHead(res, statusCode, out)) {
      controller.abort(
        coded('the backend sent response headers that cannot be forwarded', 'RL_UPSTREAM_ERROR'),
      );
      return;
    }
    // From here the response on the wire is the upstream's: fastify leaves it alone.
    this.#reply.hijack();
    this.#res = res;
    this.phase = 'streaming';
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const res = this.#res;
    if (res === undefined) return;
    if (!res.write(chunk)) {
      controller.pause();
      res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.phase = 'done';
    this.#res?.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const streaming = this.phase === 'streaming';
    this.phase = 'done';
    if (streaming) {
      // The status line is out: the only honest signal left is a cut connection.
      this.#res?.destroy();
      return;
    }
    // The exchange is over (the client left): nothing to answer, nothing to count.
    if (this.#cancelled || this.#ex.done || this.#ex.attempt !== this.#attempt) return;
    this.#sink.failed(this.#request, this.#reply, error);
  }
}

/**
 * Writes the status line and headers; values with bytes Node refuses are cleaned (the rule
 * @fastify/http-proxy applies) and tried once more. False when they still cannot be written.
 */
function writeHead(res: ServerResponse, status: number, headers: HeaderBag): boolean {
  try {
    res.writeHead(status, headers as Record<string, string>);
    return true;
  } catch {
    try {
      res.writeHead(status, sanitized(headers) as Record<string, string>);
      return true;
    } catch {
      return false;
    }
  }
}

const INVALID = /[^\t\x20-\x7E\x80-\xFF]/g;

function sanitized(h: HeaderBag): HeaderBag {
  const out: HeaderBag = {};
  for (const name in h) {
    const v = h[name];
    if (typeof v === 'string') out[name] = v.replace(INVALID, '');
    else if (Array.isArray(v)) out[name] = v.map((x) => x.replace(INVALID, ''));
    else if (v !== undefined) out[name] = v;
  }
  return out;
}

function coded(message: string, code: NodeErrorCode): Error {
  return Object.assign(new Error(message), { code });
}
