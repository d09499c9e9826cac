// The proxies under test, each started pinned to the proxy core and stopped by the caller:
// bench backends, bare @fastify/http-proxy, HAProxy and nginx (configs generated in a temp
// dir, skipped with a note when not installed) and a one-node ringleader cluster.
// Each start function resolves with { name, url, pids(), stop(), version? }.

import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, startLocalCluster } from '@ringleader/launcher';
import { firstLine, makeTempDir, pin, processTree, sleep, spawnPinned, which } from './util.mjs';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));

/** Waits until `port` accepts; fails at once, with its stderr, if `child` exits first. */
async function waitListening(port, child, timeoutMs = 10_000, what = `port ${port}`) {
  const deadline = Date.now() + timeoutMs;
  let err = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (c) => {
    err += c;
  });
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}): ${err.trim()}`);
    const ok = await new Promise((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} not listening after ${timeoutMs} ms: ${err.trim()}`);
    await sleep(50);
  }
}

/** `count` bench backends (bench-backend.mjs) pinned to `cpu`. */
export async function startBackends(count, cpu) {
  const list = [];
  for (let i = 1; i <= count; i++) {
    const id = `b${i}`;
    const child = spawnPinned(cpu, process.execPath, [here('bench-backend.mjs'), '--id', id]);
    const { port } = JSON.parse(await firstLine(child, 10_000, `backend ${id}`));
    list.push({ id, port, url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.stop() });
  }
  return list;
}

/** Requests answered so far by each backend (for live figures and the spread). */
export async function backendCounts(backends) {
  return Promise.all(
    backends.map(async (b) => {
      try {
        const r = await fetch(`${b.url}/__count`, { signal: AbortSignal.timeout(1000) });
        return (await r.json()).count;
      } catch {
        return null;
      }
    }),
  );
}

export async function startBare(upstream, cpu) {
  const child = spawnPinned(cpu, process.execPath, [here('bare-proxy.mjs'), '--upstream', upstream.url]);
  const { port } = JSON.parse(await firstLine(child, 15_000, 'bare proxy'));
  return {
    name: 'bare @fastify/http-proxy',
    url: `http://127.0.0.1:${port}`,
    pids: () => [child.pid],
    stop: () => child.stop(),
  };
}

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0].trim();
}

export async function startHaproxy(backends, cpu, { threads = 1 } = {}) {
  const bin = which('haproxy');
  if (!bin) return { skipped: 'haproxy is not installed (apt-get install haproxy)' };
  const dir = makeTempDir('haproxy');
  const [port] = await freePorts(1);
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    [
      'global',
      `  nbthread ${threads}`,
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  timeout http-keep-alive 60s',
      '  option http-keep-alive',
      '  http-reuse always',
      'frontend fe',
      `  bind 127.0.0.1:${port}`,
      '  default_backend be',
      'backend be',
      '  balance roundrobin',
      '  option httpchk GET /healthz',
      ...backends.map((b) => `  server ${b.id} 127.0.0.1:${b.port} check inter 2s`),
      '',
    ].join('\n'),
  );
  const child = spawnPinned(cpu, bin, ['-f', cfg, '-db']);
  await waitListening(port, child, 10_000, 'haproxy');
  return {
    name: 'HAProxy',
    version: versionOf(bin, ['-v']),
    url: `http://127.0.0.1:${port}`,
    pids: () => [child.pid],
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startNginx(backends, cpu) {
  const bin = which('nginx');
  if (!bin) return { skipped: 'nginx is not installed (apt-get install nginx-light)' };
  const dir = makeTempDir('nginx');
  const [port] = await freePorts(1);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 65s;
  keepalive_requests 1000000;
  upstream be {
${backends.map((b) => `    server 127.0.0.1:${b.port};`).join('\n')}
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = spawnPinned(cpu, bin, ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf]);
  await waitListening(port, child, 10_000, 'nginx');
  return {
    name: 'nginx',
    version: versionOf(bin, ['-v']),
    url: `http://127.0.0.1:${port}`,
    pids: () => processTree(child.pid),
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const HASH = 'header:x-user-id';

/**
 * A one-node ringleader cluster (one ZooKeeper server, which inherits the caller's pinning)
 * over `backends`, the node moved to `cpu`. Every feature at its default: active health
 * checks (2 s), passive ejection, retries (2), Prometheus metrics, x-ringleader-epoch.
 * `engine` sets proxy.engine (undefined: the node's default).
 */
export async function startRingleader(backends, cpu, { engine, workers } = {}) {
  const nodeEnv = {
    ...(engine ? { RINGLEADER_PROXY_ENGINE: engine } : {}),
    ...(workers ? { RINGLEADER_WORKERS: String(workers) } : {}),
  };
  const c = await startLocalCluster({
    zkServers: 1,
    nodes: 1,
    backends: 0,
    policy: 'round-robin',
    ...(Object.keys(nodeEnv).length > 0 ? { nodeEnv } : {}),
  });
  try {
    for (const b of backends) await c.admin.addBackend(b.id, { host: '127.0.0.1', port: b.port, weight: 1 });
    await c.waitForBackends(
      backends.map((b) => b.id),
      15_000,
    );
    const node = c.nodes[0];
    pin(node.pid, cpu);
    const setPolicy = async (policy) => {
      const weighted = policy === 'weighted-round-robin';
      for (const [i, b] of backends.entries())
        await c.admin.updateBackend(b.id, { weight: weighted ? i + 1 : 1 });
      await c.admin.setConfig({ policy, hash: HASH });
      await c.waitFor(
        async () => {
          const s = await node.status();
          return (
            s.config.policy === policy &&
            s.snapshot.policy === policy &&
            s.backends.length === backends.length &&
            s.backends.every((b) => b.up && b.weight === (weighted ? Number(b.id.slice(1)) : 1))
          );
        },
        20_000,
        `node to route with ${policy} over ${backends.length} healthy backends`,
      );
    };
    return {
      name: 'ringleader',
      engine: engine ?? null,
      url: node.proxyUrl,
      pids: () => [node.pid],
      setPolicy,
      status: () => node.status(),
      stop: () => c.stop(),
    };
  } catch (err) {
    await c.stop();
    throw err;
  }
}

export const RINGLEADER_POLICIES = [
  'round-robin',
  'weighted-round-robin',
  'least-response-time',
  'consistent-hash',
  'maglev',
];
export const HASH_SOURCE = HASH;
