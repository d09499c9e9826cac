// What the TCP benchmark (tcp-bench.mjs) runs: one redis-server, and the layer-4 proxies in
// front of it — HAProxy `mode tcp` (nbthread 1), nginx `stream` (1 worker), a bare node:net pipe()
// relay and a one-node ringleader cluster with a `tcp` service. Configs go to temp dirs; a proxy that is not
// installed (or, for ringleader, a node that does not open the service) resolves with
// { skipped } instead. Each start function resolves with { name, port, pids(), stop(), version? }
// once a PING through it answers +PONG, so every peer is proven on the real path before timing.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePorts, startLocalCluster } from '@ringleader/launcher';
import { makeTempDir, pin, processTree, sleep, spawnPinned, which } from './util.mjs';

/** One RESP PING on a fresh connection: true on `+PONG`, false on anything else or after 1 s. */
export function ping(port) {
  return new Promise((resolve) => {
    let buf = '';
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('*1\r\n$4\r\nPING\r\n'));
    s.setEncoding('utf8').on('data', (c) => {
      buf += c;
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG\r\n'));
    });
    s.on('end', () => done(false));
  });
}

/** SET `key` to `size` bytes ('x' × size) over one connection; rejects unless redis answers +OK. */
export function setValue(port, key, size) {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setTimeout(5000, () => s.destroy(new Error(`SET ${key} on port ${port}: no answer in 5 s`)));
    s.on('error', reject);
    s.on('connect', () =>
      s.write(
        `*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${size}\r\n${'x'.repeat(size)}\r\n`,
      ),
    );
    s.setEncoding('utf8').on('data', (c) => {
      buf += c;
      if (!buf.includes('\r\n')) return;
      s.destroy();
      if (buf.startsWith('+OK\r\n')) resolve();
      else reject(new Error(`SET ${key} on port ${port}: ${buf.trim()}`));
    });
  });
}

/** Waits until PING through `port` answers; fails at once, with its stderr, if `child` exits first. */
export async function waitPong(port, { child, timeoutMs = 10_000, what = `port ${port}`, log } = {}) {
  const deadline = Date.now() + timeoutMs;
  let err = '';
  if (child) {
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (c) => {
      err += c;
    });
  }
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${err.trim()}`);
    if (await ping(port)) return;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: no +PONG on 127.0.0.1:${port} after ${timeoutMs} ms ${err.trim()}${log?.() ?? ''}`,
      );
    await sleep(100);
  }
}

const versionOf = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0].trim();
};

/** redis-server on a free loopback port, no persistence, pinned to `cpu`. */
export async function startRedis(cpu) {
  const bin = which('redis-server');
  if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server redis-tools)');
  const dir = makeTempDir('redis');
  const [port] = await freePorts(1);
  const child = spawnPinned(cpu, bin, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--logfile',
    '',
  ]);
  await waitPong(port, { child, what: 'redis-server' });
  return {
    name: 'redis-server',
    version: versionOf(bin, ['--version']),
    port,
    pid: child.pid,
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startHaproxyTcp(redisPort, cpu) {
  const bin = which('haproxy');
  if (!bin) return { skipped: 'haproxy is not installed (apt-get install haproxy)' };
  const dir = makeTempDir('haproxy-tcp');
  const [port] = await freePorts(1);
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4096',
      'defaults',
      '  mode tcp',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      '  balance roundrobin',
      // The same check ringleader's service runs: a TCP connect every 2 s.
      `  server r1 127.0.0.1:${redisPort} check inter 2s`,
      '',
    ].join('\n'),
  );
  const child = spawnPinned(cpu, bin, ['-f', cfg, '-db']);
  await waitPong(port, { child, what: 'haproxy' });
  return {
    name: 'HAProxy',
    version: versionOf(bin, ['-v']),
    port,
    pids: () => [child.pid],
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `load_module …;` when nginx has stream as a dynamic module, '' when built in, undefined when absent. */
function streamModule(bin) {
  const r = spawnSync(bin, ['-V'], { encoding: 'utf8' });
  const v = `${r.stdout}${r.stderr}`;
  for (const so of [
    '/usr/lib/nginx/modules/ngx_stream_module.so',
    '/usr/share/nginx/modules/ngx_stream_module.so',
  ])
    if (existsSync(so)) return `load_module ${so};`;
  return /--with-stream(\s|$)/.test(v) ? '' : undefined;
}

export async function startNginxTcp(redisPort, cpu) {
  const bin = which('nginx');
  if (!bin) return { skipped: 'nginx is not installed (apt-get install nginx-light libnginx-mod-stream)' };
  const load = streamModule(bin);
  if (load === undefined)
    return { skipped: 'nginx has no stream module (apt-get install libnginx-mod-stream)' };
  const dir = makeTempDir('nginx-tcp');
  const [port] = await freePorts(1);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${load}
daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
stream {
  upstream redis { server 127.0.0.1:${redisPort}; }
  server {
    listen 127.0.0.1:${port};
    proxy_pass redis;
    proxy_connect_timeout 2s;
    proxy_timeout 60s;
  }
}
`,
  );
  const child = spawnPinned(cpu, bin, ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf]);
  await waitPong(port, { child, what: 'nginx' });
  return {
    name: 'nginx',
    version: versionOf(bin, ['-v']),
    port,
    pids: () => processTree(child.pid),
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The floor for a Node relay: net + pipe() both ways, noDelay, sockets destroyed together.
const NODE_PIPE = `const net = require('node:net');
const [port, up] = process.argv.slice(1).map(Number);
net.createServer((c) => {
  const u = net.connect(up, '127.0.0.1');
  c.setNoDelay(true);
  u.setNoDelay(true);
  c.pipe(u);
  u.pipe(c);
  const end = () => { c.destroy(); u.destroy(); };
  for (const s of [c, u]) { s.on('error', end); s.on('close', end); }
}).listen(port, '127.0.0.1');`;

/** A bare Node relay (no ringleader): what the runtime itself costs per request. */
export async function startNodePipe(redisPort, cpu) {
  const [port] = await freePorts(1);
  const child = spawnPinned(cpu, process.execPath, ['-e', NODE_PIPE, String(port), String(redisPort)]);
  await waitPong(port, { child, what: 'node:net pipe relay' });
  return {
    name: 'node:net pipe',
    version: process.version,
    port,
    pids: () => [child.pid],
    stop: () => child.stop(),
  };
}

/** The service under test, as an operator would write it (docs/zookeeper.md). */
export const RINGLEADER_SERVICE = (port) => ({
  protocol: 'tcp',
  listen: port,
  policy: 'round-robin',
  healthCheck: { kind: 'tcp' },
});

/**
 * A one-node ringleader cluster (one ZooKeeper server, which inherits the caller's pinning),
 * the node moved to `cpu`, with the service `redis` → one backend `r1` written straight to
 * ZooKeeper. Resolves once PING through the service port answers; { skipped } if it never does
 * (a node without TCP services), with the tail of the node's log.
 */
export async function startRingleaderTcp(redisPort, cpu, { timeoutMs = 20_000 } = {}) {
  const c = await startLocalCluster({ zkServers: 1, nodes: 1, backends: 0, policy: 'round-robin' });
  try {
    const node = c.nodes[0];
    pin(node.pid, cpu);
    const [port] = await freePorts(1);
    const svc = `/ringleader/${c.cluster}/services/redis`;
    await c.session.mkdirp(`/ringleader/${c.cluster}/services`);
    await c.session.create(svc, JSON.stringify(RINGLEADER_SERVICE(port)));
    await c.session.create(`${svc}/backends`);
    await c.session.create(`${svc}/backends/r1`, JSON.stringify({ host: '127.0.0.1', port: redisPort }));
    const tail = () => {
      try {
        return `\n--- ${node.logFile} (tail) ---\n${readFileSync(node.logFile, 'utf8').split('\n').slice(-15).join('\n')}`;
      } catch {
        return '';
      }
    };
    try {
      await waitPong(port, { timeoutMs, what: 'ringleader tcp service' });
    } catch (err) {
      console.log(`  ringleader: ${err.message}${tail()}`);
      await c.stop();
      return { skipped: `ringleader: ${err.message} (a node without TCP services?)` };
    }
    // Threads the node started after the first pin (libuv pool, …) follow it too.
    pin(node.pid, cpu);
    return {
      name: 'ringleader',
      port,
      pids: () => [node.pid],
      // On a failed run: the node's last warnings and errors (pino levels ≥ 40).
      log: () => {
        try {
          const bad = readFileSync(node.logFile, 'utf8')
            .split('\n')
            .filter((l) => /"level":[4-6]\d/.test(l));
          return bad.length ? `\n    node log: ${bad.slice(-5).join('\n    ')}` : '';
        } catch {
          return '';
        }
      },
      stop: () => c.stop(),
    };
  } catch (err) {
    await c.stop();
    throw err;
  }
}

/**
 * One `redis-benchmark` run (--csv): { rps, avgMs, p50Ms, p95Ms, p99Ms, maxMs }, plus what
 * `during(pid)` resolved to (called once it runs; e.g. a mid-run connection count). `keyspace`
 * spreads keys (-r) so a key-aware proxy uses every backend.
 */
export async function redisBenchmark({ port, test, clients, pipeline, size = 3, n, cpu, keyspace, during }) {
  const args = ['-h', '127.0.0.1', '-p', port, '-c', clients, '-n', n, '-P', pipeline, '-d', size];
  if (keyspace !== undefined) args.push('-r', keyspace);
  args.push('-t', test);
  const child = spawnPinned(cpu, 'redis-benchmark', [...args.map(String), '--csv']);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c) => {
    err += c;
  });
  const mid = during?.(child.pid);
  const how = await child.exited;
  const line = out.split('\n').find((l) => l.startsWith(`"${test.toUpperCase()}"`));
  if (how.code !== 0 || !line)
    throw new Error(
      `redis-benchmark ${args.join(' ')} gave no result (${JSON.stringify(how)}): ${err || out}`,
    );
  const [, rps, avgMs, , p50Ms, p95Ms, p99Ms, maxMs] = line
    .split(',')
    .map((x) => Number(x.replaceAll('"', '')));
  return { rps, avgMs, p50Ms, p95Ms, p99Ms, maxMs, during: await mid };
}
