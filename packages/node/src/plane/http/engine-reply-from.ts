// The `reply-from` engine: @fastify/http-proxy registers the route and @fastify/reply-from
// sends each attempt through the UpstreamPools (its `undici` option), with the shared hooks
// wired into reply-from's: getUpstream (the attempt's origin), rewriteRequestHeaders (the
// fenced header rewrite), rewriteHeaders (response headers; the attempt starts streaming) and
// onError (the attempt failed). reply-from's own retries are off: failover is ours.
import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Exchange } from './attempt.js';
import type { AttemptSink, RouteHandler, UpstreamEngine } from './engine.js';
import type { HeaderBag } from './headers.js';
import type { UpstreamPools } from './pools.js';

export class ReplyFromEngine implements UpstreamEngine {
  readonly name = 'reply-from';
  readonly #sink: AttemptSink;
  readonly #pools: UpstreamPools;
  readonly #headersMs: number;

  constructor(sink: AttemptSink, pools: UpstreamPools, headersMs: number) {
    this.#sink = sink;
    this.#pools = pools;
    this.#headersMs = headersMs;
  }

  register(app: FastifyInstance, methods: readonly string[], route: RouteHandler): void {
    const sink = this.#sink;
    const handler = (request: FastifyRequest, reply: FastifyReply, dest: string, options: object): void => {
      // @fastify/http-proxy made `options` for this request (a copy): it is the exchange's
      // to mutate per attempt.
      (options as Exchange['options'] & object).getUpstream = upstream;
      route(request, reply, dest, options);
    };
    app.register(httpProxy, {
      upstream: '',
      handler,
      undici: this.#pools,
      disableRequestLogging: true,
      internalRewriteLocationHeader: false,
      httpMethods: [...methods],
      replyOptions: {
        getUpstream: upstream,
        onError: (reply: FastifyReply, { error }: { error: Error }) =>
          sink.failed(reply.request, reply, error),
        rewriteRequestHeaders: (request: FastifyRequest, headers: HeaderBag) => {
          const ex = request.rl;
          if (ex === null) throw unfenced();
          return sink.requestHeaders(ex, headers);
        },
        rewriteHeaders: (headers: HeaderBag, request?: FastifyRequest) => {
          const ex = request?.rl;
          return ex === null || ex === undefined ? headers : sink.responseHeaders(ex, headers);
        },
        // Failover is ours (failed); reply-from's retries would re-send to the same backend.
        retryDelay: () => null,
        timeout: this.#headersMs,
      },
    } as never);
  }

  send(request: FastifyRequest, reply: FastifyReply, ex: Exchange, headersMs: number): void {
    const opts = ex.options;
    if (opts === undefined) throw new Error('reply-from options missing for this request');
    opts.timeout = headersMs;
    if (ex.body !== undefined) request.body = ex.body;
    reply.from(ex.dest, opts as never);
  }
}

/** reply-from `getUpstream`: the origin chosen for the current attempt. */
const upstream = (request: FastifyRequest): string => request.rl?.attempt?.origin ?? '';

/** Thrown when a request reaches the upstream hooks without an exchange (a defect). */
export function unfenced(): Error {
  return Object.assign(new Error('a request reached the upstream without a serving permit'), {
    code: 'RL_UNFENCED',
    statusCode: 503,
  });
}
