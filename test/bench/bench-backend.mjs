#!/usr/bin/env node
// The backend of the proxy benchmark: node:http answering every request with the same small
// JSON body (so every proxy forwards the same bytes, whatever headers it adds), plus
//   GET /healthz   200 (the nodes' and HAProxy's active checks)
//   GET /__count   requests answered so far (the benchmark's live req/s; not counted itself)
//
//   node test/bench/bench-backend.mjs --id b1 [--port 0]  → prints {"id","port"} once listening
import { createServer } from 'node:http';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const id = arg('id', 'b1');
const body = Buffer.from(JSON.stringify({ backend: id, ok: true }));
const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
let count = 0;

const server = createServer((req, res) => {
  if (req.url === '/__count') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, count }));
    return;
  }
  if (req.url !== '/healthz') count++;
  res.writeHead(200, headers);
  res.end(body);
});
// Longer than any proxy's upstream idle timeout, so the backend never closes a pooled socket first.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.listen(Number(arg('port', '0')), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ id, port: server.address().port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
