#!/usr/bin/env node
// The sample backend of the compose deployment: a plain node:http server that answers every
// request with JSON naming itself (so routing is visible) and the ringleader headers it got, and
// `GET /healthz` with 200. With BACKEND_REGISTER_ZK set it registers ITSELF in ZooKeeper as an
// EPHEMERAL znode `/ringleader/<cluster>/backends/<id>` through @ringleader/zk's ClusterAdmin:
// the znode lives exactly as long as this process's session, so stopping the container
// (SIGTERM: session closed, znode gone in milliseconds) or killing it (znode gone after the
// session timeout) takes the backend out of every node's ring with no operator step.
//
// Environment (none of these is a node setting):
//   BACKEND_ID            id in responses and znode name        (default: the hostname)
//   BACKEND_PORT          listen port                           (default 8080)
//   BACKEND_LISTEN_HOST   listen address                        (default 0.0.0.0)
//   BACKEND_ADVERTISE     host:port the LB nodes should use     (default <hostname>:<port>)
//   BACKEND_REGISTER_ZK   ZooKeeper connect string; unset: do not self-register
//   BACKEND_CLUSTER       ringleader cluster name               (default "default")
//   BACKEND_SESSION_TIMEOUT_MS  its own session timeout         (default 4000)
//   BACKEND_WEIGHT, BACKEND_ZONE  optional znode fields
//
// Runs from the repository or the image after `pnpm build` (it imports packages/zk/dist).
import { createServer } from 'node:http';
import { hostname } from 'node:os';

const env = process.env;
const id = env.BACKEND_ID || hostname();
const port = Number(env.BACKEND_PORT || 8080);
const listenHost = env.BACKEND_LISTEN_HOST || '0.0.0.0';
const [advHost, advPort] = (env.BACKEND_ADVERTISE || `${hostname()}:${port}`).split(':');
const log = (msg, extra = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), backend: id, msg, ...extra })}\n`);

let served = 0;
const server = createServer((req, res) => {
  req.resume();
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ backend: id, ok: true }));
    return;
  }
  served++;
  const body = {
    backend: id,
    method: req.method,
    url: req.url,
    node: req.headers['x-ringleader-node'] ?? null,
    epoch: req.headers['x-ringleader-epoch'] === undefined ? null : Number(req.headers['x-ringleader-epoch']),
    headers: req.headers,
    served,
  };
  res
    .writeHead(200, { 'content-type': 'application/json', 'x-backend': id })
    .end(`${JSON.stringify(body)}\n`);
});

/** Holds the ephemeral registration: (re-)creates it on every new session; closing removes it. */
async function register(connect) {
  const { ClusterAdmin, ZkSession, hasCode } = await import('../../packages/zk/dist/index.js');
  const session = new ZkSession({
    connectString: connect,
    sessionTimeoutMs: Number(env.BACKEND_SESSION_TIMEOUT_MS || 4000),
  });
  const admin = new ClusterAdmin({ session, cluster: env.BACKEND_CLUSTER || 'default' });
  const input = {
    host: advHost,
    port: Number(advPort || port),
    ...(env.BACKEND_WEIGHT ? { weight: Number(env.BACKEND_WEIGHT) } : {}),
    ...(env.BACKEND_ZONE ? { zone: env.BACKEND_ZONE } : {}),
  };
  let generation = 0;
  const create = async () => {
    const mine = ++generation;
    // A znode of this id left by a killed predecessor lives until its session expires: retry.
    for (;;) {
      if (mine !== generation || session.state === 'closed') return;
      try {
        await admin.ensureClusterPaths();
        await admin.addBackend(id, input, { ephemeral: true });
        log('registered (ephemeral)', {
          path: admin.paths.backend(id),
          ...input,
          session: session.sessionId,
        });
        return;
      } catch (err) {
        const why = hasCode(err, 'RL_ZK_NODE_EXISTS') ? 'znode exists (an old session?)' : err.message;
        log('registration failed; retrying in 1 s', { why });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  session.on('session', () => void create());
  session.start();
  await session.waitFor('connected', 60_000);
  if (generation === 0) await create();
  return session;
}

server.listen(port, listenHost, async () => {
  log('listening', { host: listenHost, port });
  let session;
  if (env.BACKEND_REGISTER_ZK) {
    try {
      session = await register(env.BACKEND_REGISTER_ZK);
    } catch (err) {
      log('cannot register', { error: err.message });
      process.exit(1);
    }
  }
  const stop = async (signal) => {
    log('stopping', { signal });
    await session?.close().catch(() => {}); // the ephemeral znode goes now, not after a timeout
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
