// The one seam between the shared request path (request-path.ts: admission, picking, retries,
// fencing, limits, accounting) and the code that moves bytes to an upstream and back. Two
// engines implement it:
// - `reply-from` (engine-reply-from.ts): @fastify/http-proxy and @fastify/reply-from, the
//   stack the project was specified with;
// - `undici` (engine-undici.ts): undici's `dispatch` straight from the route, writing the
//   upstream's status, headers and body to the raw ServerResponse (about half the CPU per
//   request: docs/benchmarks.md).
// Both see the same Exchange and Attempt, call the same hooks at the same moments and report
// failures the same way, so everything else behaves alike whichever is chosen (proxy.engine).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Exchange } from './attempt.js';
import type { HeaderBag } from './headers.js';

export const ENGINE_NAMES = ['reply-from', 'undici'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
/** The engine a plane uses when its options name none. */
export const DEFAULT_ENGINE: EngineName = 'undici';

/** What an engine calls back into the shared request path; ProxyFlow implements it. */
export interface AttemptSink {
  /**
   * The upstream request headers of the exchange's current attempt, built from the client's.
   * Throws RL_UNFENCED when the exchange carries no epoch: no request leaves unstamped.
   */
  requestHeaders(ex: Exchange, headers: HeaderBag): HeaderBag;
  /** Response headers arrived (the attempt now streams): the headers the client gets. */
  responseHeaders(ex: Exchange, headers: HeaderBag): HeaderBag;
  /**
   * The attempt failed before its response started: settles it, then retries, re-admits
   * (RL_LEASE_LOST) or answers the client.
   */
  failed(request: FastifyRequest, reply: FastifyReply, error: Error): void;
}

/**
 * Called by the engine's route for every proxied request: `dest` is the target to forward
 * (path and query), `options` the engine's own per-request state (reply-from's options).
 */
export type RouteHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  dest: string,
  options?: object,
) => void;

export interface UpstreamEngine {
  readonly name: EngineName;
  /** Registers the catch-all proxy route (methods as given) and its body pass-through. */
  register(app: FastifyInstance, methods: readonly string[], route: RouteHandler): void;
  /**
   * Sends the exchange's current attempt (`ex.attempt`, already created) to its origin, with
   * `headersMs` to the response headers. Outcomes come back through the sink; a synchronous
   * throw means nothing was sent.
   */
  send(request: FastifyRequest, reply: FastifyReply, ex: Exchange, headersMs: number): void;
}
