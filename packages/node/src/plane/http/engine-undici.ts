// The `undici` engine: the route hands each attempt to undici's `dispatch` on the origin's
// pool (pools.ts) with a Forward (forward.ts) as the handler, which writes the upstream's
// status, headers and body straight to the raw ServerResponse. No reply-from, no response
// stream, no per-request URL objects: the target goes upstream as the client sent it, once
// forwardablePath (request-checks.ts) has refused what @fastify/http-proxy refuses.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Exchange } from './attempt.js';
import type { AttemptSink, RouteHandler, UpstreamEngine } from './engine.js';
import { Forward } from './forward.js';
import type { HeaderBag } from './headers.js';
import type { UpstreamPools } from './pools.js';
import { forwardablePath } from './request-checks.js';

export class UndiciEngine implements UpstreamEngine {
  readonly name = 'undici';
  readonly #sink: AttemptSink;
  readonly #pools: UpstreamPools;

  constructor(sink: AttemptSink, pools: UpstreamPools) {
    this.#sink = sink;
    this.#pools = pools;
  }

  register(app: FastifyInstance, methods: readonly string[], route: RouteHandler): void {
    // Bodies are streamed to the upstream, never parsed: accept every content type and leave
    // the payload unread (the exchange's LazyBody reads it when undici asks).
    const passThrough = (_req: unknown, _payload: unknown, done: (err: null) => void) => done(null);
    app.addContentTypeParser('application/json', passThrough);
    app.addContentTypeParser('*', passThrough);
    const handler = (request: FastifyRequest, reply: FastifyReply): void => {
      const url = request.raw.url ?? '/';
      // A 400 through the plane's error handler, as @fastify/http-proxy's own refusal.
      if (!forwardablePath(url))
        throw Object.assign(new Error('source/request contain invalid characters'), { statusCode: 400 });
      route(request, reply, url);
    };
    // The routes @fastify/http-proxy registers, so both engines route (and 404) alike.
    for (const url of ['/', '/*']) app.route({ method: [...methods], url, handler });
  }

  send(request: FastifyRequest, reply: FastifyReply, ex: Exchange, headersMs: number): void {
    const attempt = ex.attempt;
    if (attempt === undefined) throw new Error('no attempt to send');
    const pools = this.#pools;
    // Built fresh by the rewrite (the client's object is never touched), stamped with the
    // exchange's epoch; throws RL_UNFENCED when there is none.
    const headers = this.#sink.requestHeaders(ex, request.raw.headers as HeaderBag);
    const forward = new Forward(this.#sink, request, reply, ex, attempt, pools.guard, headers);
    pools.dispatch(
      attempt.origin,
      {
        path: ex.dest,
        method: ex.method as 'GET',
        headers: headers as Record<string, string>,
        body: ex.body ?? null,
        headersTimeout: headersMs,
        bodyTimeout: pools.bodyIdleMs,
      },
      forward,
    );
  }
}
