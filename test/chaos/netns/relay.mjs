#!/usr/bin/env node
// A byte relay between TCP addresses and unix sockets, for the chaos suite's network-namespace
// test. A filesystem unix socket is reachable from every network namespace, so a relay inside a
// namespace reaches a service on the host's loopback (ZooKeeper), and the test reaches a service
// on a namespace's loopback (a node's admin port), without giving the host any address of the
// test's private network.
//
//   node relay.mjs tcp:127.0.0.1:2181=unix:/tmp/x/zk.sock unix:/tmp/x/admin.sock=tcp:127.0.0.1:9090
//   → prints "ready" once every listener is up; runs until killed
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';

function endpoint(spec) {
  if (spec.startsWith('unix:')) return { path: spec.slice(5) };
  const m = /^tcp:(.+):(\d+)$/.exec(spec);
  if (!m) throw new Error(`bad endpoint ${spec} (tcp:HOST:PORT or unix:PATH)`);
  return { host: m[1], port: Number(m[2]) };
}

const listening = process.argv.slice(2).map((arg) => {
  const [from, to] = arg.split('=');
  const listen = endpoint(from ?? '');
  const target = endpoint(to ?? '');
  if (listen.path) rmSync(listen.path, { force: true });
  const server = createServer((sock) => {
    const up = connect(target);
    sock.pipe(up);
    up.pipe(sock);
    const end = () => {
      sock.destroy();
      up.destroy();
    };
    for (const s of [sock, up]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen, resolve);
  });
});
await Promise.all(listening);
process.stdout.write('ready\n');
