// The proxy port: fastify and one upstream engine (engine.ts: undici `dispatch` by default, or
// @fastify/http-proxy + reply-from) on live routing snapshots. See request-path.ts for the
// request path, websocket.ts and tunnel.ts for websockets.
//
// Pools follow snapshots: each request compares the snapshot it read with the last one seen
// (one identity check) and, on a change, closes the pools of backends that left — gracefully,
// so their in-flight requests finish. `onSnapshot` does the same eagerly for callers that swap
// snapshots while idle.
//
// Limits and timeouts, and who enforces them:
// - maxHeaderBytes → Node's parser (maxHeaderSize) → clientError HPE_HEADER_OVERFLOW → 431
// - maxHeaderCount → this module (rawHeaders) → 431
// - maxBodyBytes   → content-length check before dispatch, LazyBody for chunked → 413
// - requestMs      → Node's requestTimeout/headersTimeout (408 while the client is still
//                    sending) and the attempt deadline (504 when headers are late overall)
// - headersMs      → undici headersTimeout per attempt (either engine) → 504
// - connectMs      → undici connect timeout → retried like a refused connect
// - idleMs         → client keep-alive (keepAliveTimeout) and response-body silence (bodyTimeout)
// - maxConnectionsPerIp → conn-limit.ts on 'connection' (before parsing/TLS) → destroyed, metric
// Request smuggling (CL+TE, duplicate or malformed CL, bare CR/LF, obs-fold) is refused by
// llhttp in strict mode (insecureHTTPParser false) before any route runs → 400 via clientError.
import type { IncomingMessage, ServerOptions } from 'node:http';
import { ServerResponse } from 'node:http';
import { type AddressInfo, Server as NetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { RoutingSnapshot } from '@ringleader/core';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { errorBody, NODE_ERRORS, type NodeErrorCode } from '../../errors.js';
import { type LimitReason, ZERO_PLANE_STATS } from '../../seam.js';
import type { DataPlane, DataPlaneOptions, DataPlaneStats } from '../types.js';
import { Exchange } from './attempt.js';
import { limitConnectionsPerIp } from './conn-limit.js';
import { UpstreamPools } from './pools.js';
import { writeRawResponse } from './raw.js';
import { ProxyFlow } from './request-path.js';
import { forwardedFor, parseTrustedProxies } from './trust.js';
import { UpgradeHandler } from './websocket.js';

/** Methods never proxied: CONNECT (tunnels) and TRACE (reflects credentials). */
const NOT_PROXIED = new Set(['CONNECT', 'TRACE']);

export function createDataPlane(o: DataPlaneOptions): DataPlane {
  const metrics = o.metrics;
  const trust = parseTrustedProxies(o.trustedProxies);
  const proto = o.tls ? 'https' : 'http';
  const t = o.timeouts;
  const pools = new UpstreamPools({
    connectMs: t.connectMs,
    headersMs: t.headersMs,
    bodyIdleMs: t.idleMs,
    maxConnections: o.maxConnectionsPerBackend ?? 1024,
    // Every request names its permit's epoch at the write; a forwarded hop is re-stamped by the
    // leader it goes to. A void permit aborts the write (RL_LEASE_LOST → admitted afresh).
    guard: (epoch, hop) => hop || (epoch !== undefined && o.seam.permitValid({ epoch: Number(epoch) })),
  });
  // The counters start at zero; `pools` is read live from the pool map.
  const stats: DataPlaneStats = Object.defineProperty({ ...ZERO_PLANE_STATS }, 'pools', {
    get: () => pools.size,
    enumerable: true,
  });

  const flow = new ProxyFlow(o, metrics, pools, stats);
  const upgrades = new UpgradeHandler(o, metrics, stats, trust);
  let closing = false;

  const serverOptions: ServerOptions = {
    maxHeaderSize: o.limits.maxHeaderBytes,
    insecureHTTPParser: false,
    // Checked in request-checks.ts instead, so the 400 carries the JSON error body like every other.
    requireHostHeader: false,
    requestTimeout: t.requestMs,
    headersTimeout: t.requestMs,
    keepAliveTimeout: t.idleMs,
    // Node checks request/headers timeouts on this interval (default 30 s).
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(t.requestMs / 4))),
  };

  const refuse = (socket: Duplex, code: NodeErrorCode, reason: LimitReason, detail: string) => {
    stats.limitRejections++;
    metrics.limit(reason);
    writeRawResponse(socket, NODE_ERRORS[code].status, errorBody(code, detail));
  };

  const app = Fastify({
    // No fastify logger: with one, fastify builds a child logger per request. Our code logs
    // through `o.logger` directly (debug on the request path), and reply-from's own per-attempt
    // warn lines go nowhere (failures are counted in metrics instead).
    logger: false,
    logController: new LogController({ disableRequestLogging: true }),
    ...(o.tls ? { https: { ...serverOptions, key: o.tls.key, cert: o.tls.cert } } : { http: serverOptions }),
    keepAliveTimeout: t.idleMs,
    requestTimeout: t.requestMs,
    forceCloseConnections: 'idle',
    // A request that arrives on a kept-alive connection while we close is still served (or
    // forwarded to the successor): answering it 503 would fail a graceful hand-over.
    return503OnClosing: false,
    requestIdHeader: false,
    clientErrorHandler(err: Error & { code?: string; reason?: string }, socket: Duplex) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      // A response already under way cannot be replaced by an error page.
      const current = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (current?.headersSent) {
        socket.destroy();
        return;
      }
      o.logger?.debug({ err: err.code, reason: err.reason }, 'client error');
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        refuse(
          socket,
          'RL_CLIENT_TIMEOUT',
          'client_timeout',
          `request not received within ${t.requestMs} ms`,
        );
      } else if (err.code === 'HPE_HEADER_OVERFLOW') {
        refuse(socket, 'RL_HEADERS_TOO_LARGE', 'header_size', `over ${o.limits.maxHeaderBytes} bytes`);
      } else {
        refuse(
          socket,
          'RL_BAD_REQUEST',
          'bad_request',
          `${err.code ?? 'parse error'}: ${err.reason ?? err.message}`,
        );
      }
    },
  }) as unknown as FastifyInstance;

  app.decorateRequest('rl', null);
  // Bodies are streamed, never parsed: fastify's built-in text/plain and JSON parsers would
  // buffer them (and defeat the body limit and retry logic). The engine then adds pass-through
  // parsers; request-path.ts hands the raw stream to each attempt through a LazyBody.
  app.removeAllContentTypeParsers();
  const send = (reply: FastifyReply, code: NodeErrorCode, detail: string) =>
    reply
      .code(NODE_ERRORS[code].status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(errorBody(code, detail));
  app.setNotFoundHandler((request, reply) => {
    send(reply, 'RL_METHOD_NOT_ALLOWED', `${request.method} is not proxied`);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      metrics.limit('bad_request');
      stats.limitRejections++;
      send(reply, 'RL_BAD_REQUEST', err.message);
      return;
    }
    o.logger?.error({ err, method: request.method, url: request.url }, 'proxy handler failed');
    send(reply, 'RL_INTERNAL', err.message);
  });

  const handler = (request: FastifyRequest, reply: FastifyReply, dest: string, options?: object): void => {
    const raw = request.raw;
    const xffIn = raw.headers['x-forwarded-for'];
    const fwd = forwardedFor(raw.socket.remoteAddress ?? '', xffIn, trust);
    const ex = new Exchange(
      raw,
      performance.now(),
      o.nodeId,
      proto,
      fwd.clientIp,
      fwd.header,
      fwd.peerTrusted,
    );
    ex.dest = dest;
    ex.options = options as Exchange['options'];
    request.rl = ex;
    stats.requests++;
    stats.inFlight++;
    reply.raw.once('close', () => {
      flow.finish(reply, ex);
      if (o.accessLog) {
        o.accessLog.info({
          client: ex.remoteAddress,
          method: ex.method,
          url: ex.url,
          status: reply.raw.statusCode,
          backend: ex.label,
          retries: ex.retriesDone,
          ms: Math.round((performance.now() - ex.start) * 10) / 10,
        });
      }
      if (closing) setImmediate(() => app.server.closeIdleConnections());
    });
    flow.handle(request, reply, ex);
  };

  flow.engine.register(
    app,
    app.supportedMethods.filter((m) => !NOT_PROXIED.has(m)),
    handler,
  );

  // No parser-level field cap (0): Node 24's parser fails a request over maxHeadersCount with
  // the same HPE_HEADER_OVERFLOW as an oversized one, so the count is checked on rawHeaders
  // (RL_TOO_MANY_HEADERS). Memory stays bounded by maxHeaderSize either way.
  app.server.maxHeadersCount = 0;
  limitConnectionsPerIp(
    app.server,
    o.connectionLimiter ?? o.limits.maxConnectionsPerIp ?? 256,
    () => metrics.limit('connections_per_ip'),
    (ip) => !trust.none && trust.isTrusted(ip),
  );
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing) {
      writeRawResponse(socket, 503, errorBody('RL_NOT_LEADER', 'node is shutting down'));
      return;
    }
    if (UpgradeHandler.isWebsocket(req)) {
      upgrades.handle(req, socket, head);
      return;
    }
    // Not a websocket (e.g. h2c): answer as plain HTTP/1.1, then close the connection.
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.once('finish', () => socket.end());
    app.routing(req, res);
  });

  const stopAccepting = () => {
    if (flow.announceClose) return;
    flow.announceClose = true;
    // net.Server's close, not http.Server's: that one would also close idle keep-alive
    // connections now, racing clients that are about to send on them.
    if (app.server.listening) NetServer.prototype.close.call(app.server);
  };

  return {
    app,
    stats,
    async listen(addr) {
      await app.listen({ host: addr.host, port: addr.port });
      const a = app.server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      return { host: a.address, port: a.port, url: `${proto}://${host}:${a.port}` };
    },
    stopAccepting,
    async close(graceMs) {
      stopAccepting();
      closing = true;
      const deadline = setTimeout(() => {
        app.server.closeAllConnections();
        upgrades.tunnels.destroyAll();
        void pools.destroy();
      }, graceMs);
      deadline.unref();
      try {
        // server.close waits for every connection, websocket tunnels included, until the deadline.
        await app.close();
      } finally {
        clearTimeout(deadline);
      }
      await pools.close();
    },
    onSnapshot(snap: RoutingSnapshot) {
      flow.sync(snap);
    },
  };
}
