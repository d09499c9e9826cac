// Real Redis and PostgreSQL servers for the services tests and demos, as plain processes from
// Debian's packages: a free loopback port (or the caller's), state in a temp dir, clean stop.
// Like the ZooKeeper servers they do not keep the event loop alive, die with this process (exit
// hook, and a guardian shell when it is SIGKILLed) and leave no temp dir behind.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePorts, sleep } from './net.js';

export interface RedisOptions {
  /** Address to bind and to report (default 127.0.0.1). */
  readonly host?: string;
  /** Port to listen on; default a free one. A given port is taken again when it is briefly busy. */
  readonly port?: number;
  /** Start as a replica of this master (`--replicaof`). */
  readonly replicaOf?: { readonly host: string; readonly port: number };
  /** Extra redis-server arguments, appended last (so they win). */
  readonly args?: readonly string[];
  /** `requirepass`: clients (the readiness check too) must AUTH with it. */
  readonly password?: string;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM, SIGKILL after 2 s, then removes the temp dir. Safe after the process was killed. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  readonly host?: string;
  readonly port?: number;
}

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  /** The cluster's data directory (inside the temp dir, which also holds the socket and log). */
  readonly dataDir: string;
  /** `pg_ctl stop -m fast`, then removes the temp dir. */
  stop(): Promise<void>;
}

export const HOW_TO_GET_REDIS =
  "redis-server not found on PATH: install Debian's package (`apt-get install redis-server`, or run scripts/setup.sh)";
export const HOW_TO_GET_POSTGRES =
  "PostgreSQL not found under /usr/lib/postgresql/*/bin: install Debian's package (`apt-get install postgresql`, or run scripts/setup.sh)";

const READY_TIMEOUT_MS = 5000;
const STOP_GRACE_MS = 2000;
const PG_ROOT = '/usr/lib/postgresql';

// Sync cleanups for whatever is still running when the process exits without stop().
const cleanups = new Set<() => void>();
let exitHookInstalled = false;
function atExit(fn: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of cleanups) c();
    });
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

// Runs `script` when our end of its stdin closes without being killed first: we were SIGKILLed.
function guardian(script: string, args: readonly string[]): ChildProcess {
  const g = spawn('sh', ['-c', `read _ignored; ${script}`, 'guardian', ...args], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  g.unref();
  (g.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return g;
}

function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir || '.', bin);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Sends `PING` and `INFO server`; resolves the answering server's pid once PING got `+PONG`,
 * else undefined. The pid tells our Redis from another one already on a port we were given.
 * Never rejects.
 */
function pingRedis(
  host: string,
  port: number,
  password?: string,
  timeoutMs = 500,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let buf = '';
    const done = (pid: number | undefined) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(pid);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.setEncoding('utf8');
    const auth = password === undefined ? '' : `AUTH ${password}\r\n`;
    sock.on('connect', () => sock.write(`${auth}PING\r\nINFO server\r\n`));
    sock.on('data', (d) => {
      buf += d;
      if (auth !== '' && buf.startsWith('+OK\r\n')) buf = buf.slice(5);
      if (!buf.includes('\r\n')) return;
      if (!buf.startsWith('+PONG\r\n')) return done(undefined); // e.g. -LOADING
      const m = /\r\nprocess_id:(\d+)\r\n/.exec(buf);
      if (m) done(Number(m[1]));
    });
    sock.on('error', () => done(undefined));
    sock.on('close', () => done(undefined));
  });
}

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const bin = onPath('redis-server');
  if (!bin) throw new Error(HOW_TO_GET_REDIS);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePorts(1))[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'ringleader-redis-'));
  const logPath = join(dir, 'redis.log');
  const args = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', dir];
  // protected-mode off: a test server may bind a non-loopback address (network namespaces).
  // No diskless-sync delay: by default a master waits 5 s for more replicas before a full sync.
  args.push('--protected-mode', 'no', '--repl-diskless-sync-delay', '0');
  if (opts.password !== undefined) args.push('--requirepass', opts.password);
  if (opts.replicaOf) args.push('--replicaof', opts.replicaOf.host, String(opts.replicaOf.port));
  args.push(...(opts.args ?? []));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    mkdirSync(dir, { recursive: true }); // again after a retry's stop() removed it
    const fd = openSync(logPath, 'a');
    const proc = spawn(bin, args, { stdio: ['ignore', fd, fd], cwd: dir });
    closeSync(fd);
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const spawnError = new Promise<Error>((r) => proc.once('error', r));
    proc.unref();
    const alive = () => proc.exitCode === null && proc.signalCode === null;
    const g = guardian('kill -9 "$1" 2>/dev/null; sleep 0.3; rm -rf "$2"', [String(proc.pid), dir]);
    proc.once('exit', () => g.kill('SIGKILL'));
    const forget = atExit(() => {
      if (alive()) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        if (alive()) {
          proc.ref(); // keep a plain script alive until Redis is really gone
          proc.kill('SIGCONT');
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        g.kill('SIGKILL');
        forget();
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    };

    let why: string | undefined;
    while (why === undefined) {
      const answered = await pingRedis(host, port, opts.password);
      if (answered !== undefined && answered === proc.pid) return { host, port, pid: answered, stop };
      const err = await Promise.race([spawnError, sleep(50).then(() => undefined)]);
      if (err) why = `could not run ${bin}: ${err.message}`;
      else if (!alive()) why = `redis-server exited while starting (${proc.exitCode ?? proc.signalCode})`;
      else if (Date.now() > deadline) why = `redis-server did not answer PING within ${READY_TIMEOUT_MS} ms`;
    }
    const log = tail(logPath);
    // A port the caller chose may still be held for a moment by the Redis a test just killed.
    const busy = opts.port !== undefined && !alive() && /Address already in use/.test(log);
    if (busy && Date.now() < deadline) {
      await stop().catch(() => {});
      await sleep(100);
      continue;
    }
    await stop().catch(() => {});
    throw new Error(`${why} on ${host}:${port}; log:\n${log}`);
  }
}

/** The bin dir of the highest PostgreSQL major version under /usr/lib/postgresql. */
export function findPostgresBin(root = PG_ROOT): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return undefined;
  }
  const usable = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((v) => join(root, v, 'bin'))
    .filter((bin) => {
      try {
        accessSync(join(bin, 'initdb'), constants.X_OK);
        accessSync(join(bin, 'pg_ctl'), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return usable[0];
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      const out = `${stdout}${stderr}`.trimEnd().split('\n').slice(-20).join('\n');
      const how = err.killed ? `killed by ${err.signal}` : `exit ${err.code}`;
      reject(new Error(`\`${[cmd, ...args].join(' ')}\` failed (${how}):\n${out}`));
    });
  });
}

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(HOW_TO_GET_POSTGRES);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? (await freePorts(1))[0]!;
  // PostgreSQL refuses to run as root: then every step runs as the package's `postgres` user.
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'ringleader-pg-'));
  const dataDir = join(dir, 'data');
  const logPath = join(dir, 'postgres.log');
  const pg = (tool: string, args: readonly string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], dir)
      : run(join(bin, tool), args, dir);
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const forgetDir = atExit(removeDir);

  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number.parseInt(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8'), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };
  const killNow = () => {
    const pid = postmasterPid();
    try {
      if (pid) process.kill(pid, 'SIGQUIT'); // immediate shutdown: children follow the postmaster
    } catch {}
  };
  let g: ChildProcess | undefined;
  const forgetKill = atExit(killNow);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      try {
        if (postmasterPid() !== undefined)
          await pg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '10', 'stop']);
      } catch {
        killNow(); // already gone, or stuck: what matters is that the port and the dir are freed
      } finally {
        g?.kill('SIGKILL');
        forgetKill();
        forgetDir();
        removeDir();
      }
    })();
    return stopped;
  };

  try {
    if (asRoot) await run('chown', ['-R', 'postgres:postgres', dir], dir);
    await pg('initdb', [
      '-D',
      dataDir,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
    // pg_ctl hands -o to a shell: quote the socket dir.
    const serverOpts = `-p ${port} -k '${dir}' -c listen_addresses='${host}' -c fsync=off`;
    await pg('pg_ctl', ['-D', dataDir, '-o', serverOpts, '-l', logPath, '-w', '-t', '15', 'start']);
  } catch (err) {
    const log = tail(logPath);
    await stop();
    const hint = asRoot
      ? ' (as root: via `runuser -u postgres`; the postgresql package creates that user)'
      : '';
    throw new Error(
      `PostgreSQL on ${host}:${port} did not start${hint}: ${(err as Error).message}\nlog:\n${log}`,
    );
  }
  const pid = postmasterPid();
  if (pid) g = guardian('kill -QUIT "$1" 2>/dev/null; sleep 0.5; rm -rf "$2"', [String(pid), dir]);
  return { host, port, dataDir, stop };
}
