#!/usr/bin/env node
// The baseline proxy: bare fastify + @fastify/http-proxy with one upstream, no logging, no
// routing, no health checks, no metrics — what ringleader's data plane is built on.
//
//   node test/bench/bare-proxy.mjs --upstream http://127.0.0.1:PORT [--port 0]
//   → prints {"port"} once listening
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// fastify and @fastify/http-proxy are dependencies of packages/node: resolve them from there.
const req = createRequire(new URL('../../packages/node/package.json', import.meta.url));
const load = async (name) => import(pathToFileURL(req.resolve(name)).href);
const { default: Fastify, LogController } = await load('fastify');
const { default: httpProxy } = await load('@fastify/http-proxy');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const upstream = arg('upstream');
if (!upstream) throw new Error('--upstream http://host:port is required');

const app = Fastify({
  logger: false,
  logController: new LogController({ disableRequestLogging: true }),
  keepAliveTimeout: 65_000,
});
await app.register(httpProxy, { upstream, http2: false });
await app.listen({ port: Number(arg('port', '0')), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
