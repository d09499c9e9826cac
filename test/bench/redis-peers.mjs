// What the Redis benchmark (redis-bench.mjs) runs: three redis-servers, and in front of them
// twemproxy (Debian's `nutcracker`: ketama, hash_tag "{}") and a one-node ringleader cluster
// with a `redis` service over the same three. Each start function resolves with
// { name, port, pids(), stop(), version? } once a PING through it answers +PONG, or with
// { skipped } when the proxy is not installed or (ringleader) the node does not serve the
// service. A key-aware proxy answers PING itself, so a SET through it proves the path too.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePorts, startLocalCluster } from '@ringleader/launcher';
import { waitPong } from './tcp-peers.mjs';
import { makeTempDir, pin, sleep, spawnPinned, which } from './util.mjs';

/** One command on a fresh connection; resolves with the first reply line (or rejects after 5 s). */
export function command(port, args) {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setTimeout(5000, () => s.destroy(new Error(`${args[0]} on port ${port}: no answer in 5 s`)));
    s.on('error', reject);
    s.on('connect', () =>
      s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    );
    s.setEncoding('utf8').on('data', (c) => {
      buf += c;
      // A bulk reply: wait for its body (INFO).
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (m ? buf.length < m[0].length + Number(m[1]) + 2 : !buf.includes('\r\n')) return;
      s.destroy();
      resolve(m ? buf.slice(m[0].length, m[0].length + Number(m[1])) : buf.slice(0, buf.indexOf('\r\n')));
    });
  });
}

/**
 * Established TCP connections that the processes `pids` hold to any of `ports` on loopback,
 * from /proc (socket inodes of their fds matched against /proc/net/tcp): how many backend
 * connections a proxy uses, whatever the other proxies hold.
 */
export function backendConnections(pids, ports) {
  const inodes = new Set();
  for (const pid of pids) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {}
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch {}
    }
  }
  const want = new Set(ports.map((p) => p.toString(16).toUpperCase().padStart(4, '0')));
  let n = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '01') continue; // 01: ESTABLISHED
    if (want.has(f[2].split(':')[1]) && inodes.has(f[9])) n++;
  }
  return n;
}

/** SET then GET of one key through `port`: proves a key-aware proxy reaches a backend. */
async function proveKeyPath(port, what) {
  const set = await command(port, ['SET', 'ringleader:bench:probe', 'ok']);
  const get = await command(port, ['GET', 'ringleader:bench:probe']);
  if (set !== '+OK' || get !== 'ok') throw new Error(`${what}: SET → ${set}, GET → ${get}`);
}

export async function startTwemproxy(redisPorts, cpu) {
  const bin = which('nutcracker');
  if (!bin) return { skipped: 'twemproxy is not installed (apt-get install nutcracker)' };
  const dir = makeTempDir('twemproxy');
  const [port, statsPort] = await freePorts(2);
  const conf = join(dir, 'nutcracker.yml');
  writeFileSync(
    conf,
    [
      'cache:',
      `  listen: 127.0.0.1:${port}`,
      '  hash: fnv1a_64',
      '  distribution: ketama',
      '  hash_tag: "{}"',
      '  redis: true',
      '  preconnect: true',
      '  auto_eject_hosts: true',
      '  server_retry_timeout: 2000',
      '  server_failure_limit: 3',
      '  servers:',
      ...redisPorts.map((p, i) => `    - 127.0.0.1:${p}:1 r${i + 1}`),
      '',
    ].join('\n'),
  );
  const child = spawnPinned(cpu, bin, [
    '-c',
    conf,
    '-o',
    join(dir, 'nutcracker.log'),
    '-s',
    String(statsPort),
    '-a',
    '127.0.0.1',
    '-p',
    join(dir, 'pid'),
  ]);
  await waitPong(port, { child, what: 'twemproxy' });
  await proveKeyPath(port, 'twemproxy');
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return {
    name: 'twemproxy',
    version: `${r.stdout}${r.stderr}`.split('\n')[0].trim(),
    port,
    pids: () => [child.pid],
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The service under test, as the issue's contract writes it. */
export const RINGLEADER_REDIS_SERVICE = (port) => ({
  protocol: 'redis',
  listen: port,
  policy: 'consistent-hash',
});

/**
 * A one-node ringleader cluster (one ZooKeeper server, inheriting the caller's pinning), the
 * node moved to `cpu`, with the service `cache` over the three redis-servers written straight
 * to ZooKeeper. { skipped } when the node reports the service `unsupported` (no redis plane
 * in this build) or it never answers.
 */
export async function startRingleaderRedis(redisPorts, cpu, { timeoutMs = 20_000 } = {}) {
  const c = await startLocalCluster({ zkServers: 1, nodes: 1, backends: 0, policy: 'round-robin' });
  try {
    const node = c.nodes[0];
    pin(node.pid, cpu);
    const [port] = await freePorts(1);
    const svc = `/ringleader/${c.cluster}/services/cache`;
    await c.session.mkdirp(`/ringleader/${c.cluster}/services`);
    await c.session.create(svc, JSON.stringify(RINGLEADER_REDIS_SERVICE(port)));
    await c.session.create(`${svc}/backends`);
    for (const [i, p] of redisPorts.entries())
      await c.session.create(`${svc}/backends/r${i + 1}`, JSON.stringify({ host: '127.0.0.1', port: p }));
    const tail = () => {
      try {
        return `\n--- ${node.logFile} (tail) ---\n${readFileSync(node.logFile, 'utf8').split('\n').slice(-10).join('\n')}`;
      } catch {
        return '';
      }
    };
    const deadline = Date.now() + timeoutMs;
    let listener = 'not-opened';
    while (Date.now() < deadline) {
      const st = await node.status().catch(() => undefined);
      const s = st?.services.find((x) => x.name === 'cache');
      listener = s?.listener?.phase ?? 'not-opened';
      if (listener === 'unsupported') listener = `unsupported: ${s.listener.message}`;
      if (listener.startsWith('unsupported') || listener === 'listening' || listener === 'bind-failed') break;
      await sleep(100);
    }
    if (listener !== 'listening') {
      await c.stop();
      return {
        skipped: `ringleader: the node reports the redis service "${listener}" (no redis data plane in this build?)`,
      };
    }
    try {
      await waitPong(port, {
        timeoutMs: Math.max(1000, deadline - Date.now()),
        what: 'ringleader redis service',
      });
      await proveKeyPath(port, 'ringleader redis service');
    } catch (err) {
      console.log(`  ringleader: ${err.message}${tail()}`);
      await c.stop();
      return { skipped: `ringleader: ${err.message}` };
    }
    pin(node.pid, cpu); // threads started after the first pin follow it too
    return {
      name: 'ringleader',
      port,
      pids: () => [node.pid],
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
