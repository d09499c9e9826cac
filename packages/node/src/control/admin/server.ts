// The admin listener: liveness, readiness, status, metrics and the few mutating actions an
// operator needs. Separate from the proxy listener (loopback by default) so the data plane's
// limits and the operator's view never interfere.
import { BACKEND_ID } from '@ringleader/core';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { NODE_ERRORS } from '../../errors.js';
import { bearerMatches, isLoopback } from './auth.js';

export interface AdminActions {
  /** Gracefully hands leadership to a standby; resolves once our election znode is gone. */
  resign(): Promise<{ resigned: boolean; reason?: string }>;
  drain(backendId: string): Promise<void>;
  undrain(backendId: string): Promise<void>;
}

export interface AdminDeps {
  /** True while this node proxies traffic (leader, or any node in active-active). */
  isReady(): boolean;
  status(): unknown;
  metrics(): Promise<{ contentType: string; body: string }>;
  actions: AdminActions;
  /**
   * When set, mutating endpoints require `Authorization: Bearer <token>`; when not, they are
   * accepted from loopback peers only (403 RL_ADMIN_LOOPBACK_ONLY from anywhere else).
   */
  token?: string;
  logger?: { warn(obj: object, msg?: string): void; info?(obj: object, msg?: string): void };
  /** Lets other modules (dashboard, SSE) add routes before listen. */
  extend?: (app: FastifyInstance) => void | Promise<void>;
}

function problem(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).type('application/json').send({ code, message });
}

export async function createAdminServer(deps: AdminDeps): Promise<FastifyInstance> {
  // No logger, so no request logging (the top-level disableRequestLogging option is deprecated, FSTDEP023).
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

  // Without a token, a mutation is accepted only from this machine: an admin port bound (or
  // forwarded) beyond loopback must not let anyone who reaches it drain backends or resign.
  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!deps.token) {
      if (isLoopback(req.socket.remoteAddress)) return;
      deps.logger?.warn(
        { route: req.routeOptions.url, ip: req.socket.remoteAddress },
        'admin mutation from another host refused: no admin.token is set',
      );
      return problem(reply, 403, 'RL_ADMIN_LOOPBACK_ONLY', NODE_ERRORS.RL_ADMIN_LOOPBACK_ONLY.message);
    }
    if (!bearerMatches(req.headers.authorization, deps.token)) {
      deps.logger?.warn({ route: req.routeOptions.url, ip: req.ip }, 'admin request without a valid token');
      return problem(reply, 401, 'RL_ADMIN_UNAUTHORISED', 'a valid bearer token is required for this action');
    }
  };

  app.setNotFoundHandler((req, reply) =>
    problem(reply, 404, 'RL_ADMIN_NOT_FOUND', `no admin endpoint ${req.method} ${req.url.split('?')[0]}`),
  );
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    return problem(reply, status, err.code?.startsWith('RL_') ? err.code : 'RL_ADMIN_ERROR', err.message);
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  app.get('/status', async () => deps.status());
  app.get('/metrics', async (_req, reply) => {
    const m = await deps.metrics();
    return reply.type(m.contentType).send(m.body);
  });

  app.post('/leader/resign', { preHandler: requireToken }, async () => deps.actions.resign());
  for (const [verb, act] of [
    ['drain', (id: string) => deps.actions.drain(id)],
    ['undrain', (id: string) => deps.actions.undrain(id)],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/backends/:id/${verb}`,
      { preHandler: requireToken },
      async (req, reply) => {
        const id = req.params.id;
        const bad = BACKEND_ID.problem(id);
        if (bad !== undefined) return problem(reply, 400, 'RL_BAD_BACKEND_ID', `invalid backend id ${bad}`);
        await act(id);
        return { ok: true, backend: id, action: verb };
      },
    );
  }

  // Said once at start, so an operator reading the log knows who may mutate.
  app.addHook('onListen', async () => {
    const addr = app.server.address();
    const where = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : String(addr);
    deps.logger?.info?.(
      { admin: where, mutations: deps.token ? 'token' : 'loopback-only' },
      deps.token
        ? `admin API on ${where}: resign/drain/undrain require the bearer token`
        : `admin API on ${where}: no admin.token set, so resign/drain/undrain are accepted from loopback only`,
    );
  });
  if (deps.extend) await deps.extend(app);
  return app;
}
