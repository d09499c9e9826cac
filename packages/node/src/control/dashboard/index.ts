// The operator dashboard on the admin port:
//   GET /                      the page (packages/node/dashboard/index.html)
//   GET /dashboard/<file>      its scripts and styles
//   GET /events                server-sent `cluster` frames (on connect, on change, every second)
//   GET /dashboard/frame.json  one frame, for curl and tests
//   GET /dashboard/node.json   this node's summary, which peers fetch to build their frames
// plus CORS for the admin API limited to the cluster's own admin origins (see cors.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NodeView } from '../view.js';
import { ASSET_DIR, ASSET_NAME, type Asset, loadAssets, PAGE_HEADERS } from './assets.js';
import { allowedOrigin, CORS_PREFLIGHT_HEADERS } from './cors.js';
import { DashboardHub, type DashboardOptions } from './hub.js';

export { DashboardHub, type DashboardOptions } from './hub.js';

function sendAsset(reply: FastifyReply, asset: Asset | undefined, name: string) {
  if (asset === undefined)
    return reply
      .code(404)
      .type('application/json')
      .send({
        code: 'RL_ADMIN_NOT_FOUND',
        message: `no dashboard asset ${name} (looked in ${ASSET_DIR})`,
      });
  return reply.headers(PAGE_HEADERS).type(asset.type).send(asset.body);
}

/** Adds the dashboard's routes to an admin server; returns the hub (stopped when the app closes). */
export function installDashboard(
  app: FastifyInstance,
  node: NodeView,
  opts: DashboardOptions = {},
): DashboardHub {
  const hub = new DashboardHub(node, opts).start();
  const assets = loadAssets();
  if (!assets.has('index.html'))
    node.log.warn({ dir: ASSET_DIR }, 'dashboard assets missing: GET / will answer 404');

  const adminUrls = (): string[] => {
    const urls = hub.view.nodes().flatMap((n) => (n.adminUrl ? [n.adminUrl] : []));
    const own = node.addresses?.adminUrl;
    if (own) urls.push(own);
    return urls;
  };
  const corsHeaders = (req: FastifyRequest): Record<string, string> => {
    const origin = allowedOrigin(req.headers.origin, adminUrls());
    return origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
  };

  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.origin !== undefined) reply.headers(corsHeaders(req));
  });
  app.options('/*', async (req, reply) => {
    const cors = corsHeaders(req);
    if (cors['access-control-allow-origin'] === undefined) return reply.code(403).send();
    return reply
      .code(204)
      .headers({ ...cors, ...CORS_PREFLIGHT_HEADERS })
      .send();
  });
  // Streams hold their sockets open: end them first, or closing the server would wait on them.
  app.addHook('preClose', async () => hub.stop());

  app.get('/', async (_req, reply) => sendAsset(reply, assets.get('index.html'), 'index.html'));
  app.get<{ Params: { file: string } }>('/dashboard/:file', async (req, reply) => {
    const name = req.params.file;
    if (name === 'node.json') return hub.summary();
    if (name === 'frame.json') return hub.frame();
    return sendAsset(reply, ASSET_NAME.test(name) ? assets.get(name) : undefined, name);
  });
  app.get('/events', async (req, reply) => {
    if (hub.sse.full)
      return reply
        .code(503)
        .header('retry-after', '5')
        .type('application/json')
        .send({ code: 'RL_ADMIN_BUSY', message: `too many dashboard streams open on this node` });
    reply.hijack();
    hub.sse.accept(req.raw, reply.raw, corsHeaders(req));
  });
  return hub;
}
