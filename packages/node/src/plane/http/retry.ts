// What a failed upstream attempt means, and whether the request may move to another backend.
// Pure: the data plane feeds it the error and what it knows about the request.
import type { UpstreamErrorKind } from '../../seam.js';

/** Codes of errors raised before the TCP (or TLS) connection existed: nothing was sent. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Codes of a connection that broke after the request (or part of it) may have gone out. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);

/** Methods RFC 9110 §9.2.2 defines as idempotent: re-sending them is safe. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

interface ErrorLike {
  code?: unknown;
  syscall?: unknown;
  cause?: unknown;
  name?: unknown;
}

/** Walks `err` and its `cause` chain (reply-from wraps undici's error) to the first known code. */
export function classifyUpstreamError(err: unknown): UpstreamErrorKind {
  let e = err as ErrorLike | undefined;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (code === 'RL_BODY_TOO_LARGE') return 'body_limit';
    if (code === 'RL_CLIENT_ABORTED') return 'client_abort';
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect_timeout';
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers_timeout';
    // ETIMEDOUT from connect() is a connect timeout; later it is a dead socket.
    if (code === 'ETIMEDOUT') return e.syscall === 'connect' ? 'connect_timeout' : 'reset';
    if (CONNECT_CODES.has(code)) return 'connect';
    if (e.syscall === 'connect') return 'connect';
    if (RESET_CODES.has(code)) return 'reset';
    e = e.cause as ErrorLike | undefined;
  }
  return 'other';
}

export interface RetryFacts {
  readonly kind: UpstreamErrorKind;
  readonly method: string;
  /** Whether any byte of the request body was handed to the upstream connection. */
  readonly bodyStarted: boolean;
  /** Retries already made for this request. */
  readonly retriesDone: number;
  /** The `retries` budget from config. */
  readonly retries: number;
}

/**
 * May the request be re-sent to another backend?
 * - connect failures and connect timeouts: nothing reached the backend → yes, any method.
 * - a reset before the response started: the backend may have acted on the request → only for
 *   idempotent methods whose body (if any) was not streamed yet (a streamed body cannot be
 *   replayed; it is not buffered).
 * - header timeouts, limits, client aborts, anything else: no (the backend may still be working,
 *   or the fault is the client's).
 */
export function shouldRetry(f: RetryFacts): boolean {
  if (f.retriesDone >= f.retries) return false;
  switch (f.kind) {
    case 'connect':
    case 'connect_timeout':
      return true;
    case 'reset':
      return IDEMPOTENT.has(f.method) && !f.bodyStarted;
    default:
      return false;
  }
}

/** Whether a failure counts against the backend for passive ejection. */
export function countsAgainstBackend(kind: UpstreamErrorKind): boolean {
  return (
    kind === 'connect' ||
    kind === 'connect_timeout' ||
    kind === 'reset' ||
    kind === 'headers_timeout' ||
    kind === 'status_5xx'
  );
}
