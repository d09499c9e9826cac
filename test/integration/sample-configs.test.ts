// Every sample configuration the project ships is started here, as its own comments say to start
// it, with only what a test must change (ports, directories, host names) substituted: a sample
// that cannot start (ZooKeeper reading `500   # comment` as the value of tickTime, a key the node
// config refuses) fails this suite instead of an operator's first try.
//   - deploy/systemd/zookeeper.service: its zoo.cfg and ExecStart, as a 3-server ensemble;
//   - deploy/config/zoo-single.cfg + node.quickstart.yaml: the README's five-minute start, kill
//     of the leader included;
//   - deploy/systemd/ringleader@.service + deploy/config/node.example.yaml, and the container
//     image's deploy/docker/healthcheck.mjs against that node;
//   - and what zoo-single.cfg's tickTime does to a node asking a shorter session (logged, not silent).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CLI_BIN, fourLetter, freePorts, sleep } from '@ringleader/launcher';
import { nodeOptionsWithDefaults } from '@ringleader/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
/** Node 24 first on PATH, as scripts/env.sh puts it: the units run `/usr/bin/env node`. */
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { PATH };
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('RINGLEADER_') && k !== 'PATH') env[k] = v;
  return env;
};

let dir: string;
const children: ChildProcess[] = [];
const logs = new Map<ChildProcess, string[]>();

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = baseEnv()): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout?.on('data', (d) => out.push(String(d)));
  child.stderr?.on('data', (d) => out.push(String(d)));
  logs.set(child, out);
  children.push(child);
  return child;
}
const tail = (c: ChildProcess) => (logs.get(c) ?? []).join('').slice(-3000);
const exited = (c: ChildProcess) =>
  c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve(c.exitCode)
    : new Promise<number | null>((r) => c.once('exit', (code) => r(code)));

async function until<T>(
  what: string,
  f: () => Promise<T | undefined>,
  ms: number,
  who?: ChildProcess,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not within ${ms} ms (${String(last)})${who ? `\n${tail(who)}` : ''}`);
}

const zkMode = async (port: number) => {
  const m = /Mode: (\w+)/.exec(await fourLetter(port, 'srvr'));
  return m?.[1];
};

/** zoo-single.cfg as shipped, but for its data directory and client port; serving when it resolves. */
async function startSingleZk(name: string, port: number): Promise<ChildProcess> {
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(
    cfg,
    zooCfg(read('deploy/config/zoo-single.cfg'), { dataDir: join(dir, name), clientPort: String(port) }),
  );
  const zk = start('java', [
    '-Xmx128m',
    '-cp',
    '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar',
    'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    cfg,
  ]);
  await until(`zk ${name} serving`, () => zkMode(port), 30_000, zk);
  return zk;
}

/** A unit file's ExecStart with its `\` continuations joined, as systemd reads it. */
function execStart(unit: string): string[] {
  const joined = unit.replace(/\\\n\s*/g, ' ');
  const line = /^ExecStart=(.*)$/m.exec(joined);
  if (!line?.[1]) throw new Error('no ExecStart');
  return line[1].trim().split(/\s+/);
}

/** Sets `key=value` lines of a zoo.cfg (replacing the sample's, appending a new key). */
function zooCfg(text: string, set: Record<string, string>, drop: RegExp = /^$/): string {
  const out: string[] = [];
  const done = new Set<string>();
  for (const line of text.split('\n')) {
    const key = /^([^#=\s]+)=/.exec(line)?.[1];
    if (key && drop.test(key)) continue;
    if (key && key in set) {
      out.push(`${key}=${set[key]}`);
      done.add(key);
    } else out.push(line);
  }
  for (const [k, v] of Object.entries(set)) if (!done.has(k)) out.push(`${k}=${v}`);
  return `${out.join('\n')}\n`;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, body: await res.text() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringleader-samples-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await exited(c);
    }
  }
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('every shipped sample config starts as its comments say', () => {
  it('zookeeper.service: its zoo.cfg and ExecStart form a serving 3-server ensemble', async () => {
    const unit = read('deploy/systemd/zookeeper.service');
    // The zoo.cfg sample is the comment block after its file name; one level of `#   ` removed.
    const lines = unit.split('\n');
    const at = lines.findIndex((l) => l.includes('# /etc/zookeeper/ringleader/zoo.cfg'));
    expect(at).toBeGreaterThan(-1);
    const cfgLines: string[] = [];
    for (const l of lines.slice(at + 1)) {
      const m = /^# {3}(.*)$/.exec(l);
      if (!m) break;
      cfgLines.push(m[1] ?? '');
    }
    const sample = cfgLines.join('\n');
    expect(sample).toMatch(/^tickTime=\d+$/m);
    const ports = await freePorts(9);
    const servers = [1, 2, 3].map((id) => ({
      id,
      client: ports[id - 1]!,
      peer: ports[2 + id]!,
      election: ports[5 + id]!,
    }));
    const argv = execStart(unit);
    const procs = servers.map((s) => {
      const conf = join(dir, `zk${s.id}`, 'conf');
      const data = join(dir, `zk${s.id}`, 'data');
      mkdirSync(conf, { recursive: true });
      mkdirSync(data, { recursive: true });
      writeFileSync(join(data, 'myid'), `${s.id}\n`);
      const set: Record<string, string> = { dataDir: data, clientPort: String(s.client) };
      for (const o of servers) set[`server.${o.id}`] = `127.0.0.1:${o.peer}:${o.election}`;
      writeFileSync(join(conf, 'zoo.cfg'), zooCfg(sample, set));
      // The unit's command line, with its paths pointed at this server's directories.
      const args = argv
        .slice(1)
        .flatMap((a) => (a === '$JAVA_OPTS' ? ['-Xmx128m', '-XX:+UseSerialGC'] : [a]))
        .map((a) => a.replaceAll('/etc/zookeeper/ringleader', conf));
      return start(argv[0]!, args);
    });
    const modes = await Promise.all(
      servers.map((s, i) => until(`zk ${s.id} serving`, () => zkMode(s.client), 45_000, procs[i])),
    );
    expect(modes.sort()).toEqual(['follower', 'follower', 'leader']);
    // Its four-letter-word whitelist is what ringleader's tooling and the launcher ask.
    expect(await fourLetter(servers[0]!.client, 'ruok')).toBe('imok');
    expect(await fourLetter(servers[0]!.client, 'mntr')).toMatch(/zk_server_state\t(leader|follower)/);
  }, 90_000);

  it('zoo-single.cfg and node.quickstart.yaml: the README five-minute start serves, and a SIGKILLed leader is replaced', async () => {
    const readme = read('README.md');
    const cfgText = read('deploy/config/zoo-single.cfg');
    // The java command is the one the README and the file's own header give.
    const java =
      /^java -cp (\S+) \\\n\s+(org\.apache\.zookeeper\.server\.quorum\.QuorumPeerMain) deploy\/config\/zoo-single\.cfg/m.exec(
        readme,
      );
    expect(java, 'README runs zoo-single.cfg with java -cp … QuorumPeerMain').not.toBeNull();
    expect(cfgText).toContain(java![1]);
    expect(readme).toContain('--config deploy/config/node.quickstart.yaml');
    const [zkPort, p1, a1, p2, a2, b1, b2] = await freePorts(7);
    const cfg = join(dir, 'zoo-single.cfg');
    writeFileSync(cfg, zooCfg(cfgText, { dataDir: join(dir, 'single'), clientPort: String(zkPort) }));
    const zk = start('java', ['-Xmx128m', '-cp', java![1]!, java![2]!, cfg]);
    expect(await until('single zk serving', () => zkMode(zkPort!), 30_000, zk)).toBe('standalone');

    const zkConnect = `127.0.0.1:${zkPort}`;
    const nodeConfig = join(ROOT, 'deploy/config/node.quickstart.yaml');
    // What the test must change: the ZooKeeper port, and lb-1's ports (lb-2 overrides its own as the README says).
    const node = (id: string, proxy: number, admin: number) =>
      start(process.execPath, [CLI_BIN, 'node', 'start', '--config', nodeConfig], {
        ...baseEnv(),
        RINGLEADER_ZK: zkConnect,
        RINGLEADER_NODE_ID: id,
        RINGLEADER_PROXY_LISTEN: `127.0.0.1:${proxy}`,
        RINGLEADER_ADMIN_LISTEN: `127.0.0.1:${admin}`,
      });
    const lb = { 'lb-1': node('lb-1', p1!, a1!), 'lb-2': node('lb-2', p2!, a2!) };
    const proxyOf = { 'lb-1': p1!, 'lb-2': p2! };
    const adminOf = { 'lb-1': a1!, 'lb-2': a2! };
    for (const [id, port] of [
      ['web-1', b1!],
      ['web-2', b2!],
    ] as const) {
      start(process.execPath, [join(ROOT, 'deploy/sample-backend/backend.mjs')], {
        ...baseEnv(),
        BACKEND_ID: id,
        BACKEND_PORT: String(port),
        BACKEND_LISTEN_HOST: '127.0.0.1',
      });
      await run(
        process.execPath,
        [CLI_BIN, 'backend', 'add', id, '--host', '127.0.0.1', '--port', String(port), '--zk', zkConnect],
        {
          env: baseEnv(),
        },
      );
    }
    // Either port answers (standby: forward), from both backends, stamped by the leader.
    const seen = new Set<string>();
    let leader: 'lb-1' | 'lb-2' | undefined;
    await until(
      'both backends served through both nodes',
      async () => {
        for (const port of [p1!, p2!]) {
          const r = await get(`http://127.0.0.1:${port}/hello`);
          if (r.status !== 200) return undefined;
          const body = JSON.parse(r.body) as { backend: string; node: 'lb-1' | 'lb-2'; epoch: number };
          seen.add(body.backend);
          leader = body.node;
        }
        return seen.size === 2 ? true : undefined;
      },
      20_000,
      lb['lb-1'],
    );
    const status = JSON.parse((await get(`http://127.0.0.1:${adminOf[leader!]}/status`)).body) as {
      role: string;
      epoch: number;
      node: { pid: number };
    };
    expect(status.role).toBe('leader');
    expect(status.node.pid).toBe(lb[leader!].pid);
    // The drill: kill -9 the leader's PID, then the survivor serves at a higher epoch within session + 1 s.
    const survivor = leader === 'lb-1' ? 'lb-2' : 'lb-1';
    const sessionMs = Number(/sessionTimeoutMs: (\d+)/.exec(read('deploy/config/node.quickstart.yaml'))?.[1]);
    const t0 = Date.now();
    process.kill(status.node.pid, 'SIGKILL');
    const after = await until(
      'the survivor serves',
      async () => {
        const r = await get(`http://127.0.0.1:${proxyOf[survivor]}/hello`);
        if (r.status !== 200) return undefined;
        const body = JSON.parse(r.body) as { node: string; epoch: number };
        return body.node === survivor ? body : undefined;
      },
      sessionMs + 5_000,
      lb[survivor],
    );
    expect(Date.now() - t0).toBeLessThan(sessionMs + 1_000 + 1_000);
    expect(after.epoch).toBeGreaterThan(status.epoch);
  }, 90_000);

  it('ringleader@.service runs node.example.yaml, and the image health check reads that node', async () => {
    const unit = read('deploy/systemd/ringleader@.service');
    const [zkPort, proxy, admin] = await freePorts(3);
    await startSingleZk('example', zkPort!);
    // The unit's Environment= lines with %i = lb-1, then what /etc/ringleader/lb-1.env would
    // hold on this machine (the ensemble and the ports), as the EnvironmentFile= line allows.
    const env: NodeJS.ProcessEnv = { ...baseEnv() };
    for (const m of unit.matchAll(/^Environment=([A-Z_]+)=(.*)$/gm))
      env[m[1]!] = m[2]!.replaceAll('%i', 'lb-1');
    expect(env.RINGLEADER_NODE_ID).toBe('lb-1');
    // The same V8 defaults as every other way of starting a node (runtime-flags.ts).
    expect(env.NODE_OPTIONS).toBe(nodeOptionsWithDefaults(undefined));
    Object.assign(env, {
      RINGLEADER_ZK: `127.0.0.1:${zkPort}`,
      RINGLEADER_PROXY_LISTEN: `127.0.0.1:${proxy}`,
      RINGLEADER_ADMIN_LISTEN: `127.0.0.1:${admin}`,
    });
    const argv = execStart(unit).map((a) =>
      a
        .replace('/opt/ringleader', ROOT)
        .replace('/etc/ringleader/%i.yaml', join(ROOT, 'deploy/config/node.example.yaml')),
    );
    expect(argv.slice(0, 2)).toEqual(['/usr/bin/env', 'node']);
    const lb = start(argv[0]!, argv.slice(1), env);
    const health = join(ROOT, 'deploy/docker/healthcheck.mjs');
    await until(
      'the node leads (GET /readyz 200 through the image health check)',
      async () => {
        try {
          await run(process.execPath, [health, '/readyz'], { env });
          return true;
        } catch {
          return undefined;
        }
      },
      20_000,
      lb,
    );
    const st = JSON.parse((await get(`http://127.0.0.1:${admin}/status`)).body) as {
      node: { id: string; mode: string };
      role: string;
    };
    expect(st.node).toMatchObject({ id: 'lb-1', mode: 'active-passive' });
    // A stop as systemd does it (KillSignal=SIGTERM): a clean exit well inside TimeoutStopSec.
    const stopSec = Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]);
    const t0 = Date.now();
    lb.kill('SIGTERM');
    expect(await exited(lb)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(stopSec * 1000);
    // Down: the health check says so with a non-zero exit.
    await expect(run(process.execPath, [health], { env })).rejects.toMatchObject({ code: 1 });
  }, 90_000);
  it('a node asking zoo-single.cfg for a 500 ms session says the server raised it to 1000 ms (2 × tickTime)', async () => {
    const [zkPort, proxy, admin] = await freePorts(3);
    const text = read('deploy/config/zoo-single.cfg');
    await startSingleZk('min', zkPort!);
    const tick = Number(/^tickTime=(\d+)$/m.exec(text)?.[1]);
    const lb = start(
      process.execPath,
      [CLI_BIN, 'node', 'start', '--config', join(ROOT, 'deploy/config/node.quickstart.yaml')],
      {
        ...baseEnv(),
        RINGLEADER_ZK: `127.0.0.1:${zkPort}`,
        RINGLEADER_PROXY_LISTEN: `127.0.0.1:${proxy}`,
        RINGLEADER_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        RINGLEADER_SESSION_TIMEOUT_MS: '500',
      },
    );
    const line = await until(
      'the granted-timeout warning',
      async () =>
        tail(lb)
          .split('\n')
          .filter((l) => l.includes('"grantedMs"'))
          .map(
            (l) => JSON.parse(l) as { level: number; requestedMs: number; grantedMs: number; msg: string },
          )[0],
      15_000,
      lb,
    );
    expect(line).toMatchObject({ level: 40, requestedMs: 500, grantedMs: 2 * tick });
    expect(line.msg).toContain('below the server minimum (2 × tickTime)');
    const st = JSON.parse((await get(`http://127.0.0.1:${admin}/status`)).body) as {
      session: { timeoutMs: number };
    };
    expect(st.session.timeoutMs).toBe(2 * tick);
  }, 60_000);
});
