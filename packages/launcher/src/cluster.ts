// startLocalCluster(): a whole ringleader cluster on loopback, made of real processes — a
// ZooKeeper ensemble (startZooKeeper), N LB nodes (`ringleader node start`, configured through
// RINGLEADER_* variables) and M sample backends (bin/backend.mjs) registered by
// writing `backends/<id>` znodes. Used by the end-to-end suite, the chaos suite, the benchmarks
// and `ringleader demo`.
//
//   const c = await startLocalCluster({ nodes: 3, backends: 4, standby: 'forward' });
//   const leader = await c.leader();          // the one node that proxies (active-passive)
//   await fetch(leader.proxyUrl + '/hello');  // → JSON { backend: 'b2', … }
//   await leader.kill('SIGKILL');             // …and watch a standby take over
//   await c.stop();
//
// Child processes run the BUILT code: run `npx tsc -b` (or `pnpm build`) first. Their output
// goes to `<logDir>/<id>.log` (appended across restarts). Everything started here is stopped by
// stop(), by a process 'exit' hook, and — if this process is SIGKILLed — by a guardian shell
// per child that kills it when our end of its pipe closes.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeOptionsWithDefaults, type StatusDocument } from '@ringleader/node';
import { ClusterAdmin, ZkSession, zkSecurity } from '@ringleader/zk';
import { freePorts, sleep } from './net.js';
import type { ZkEnsemble } from './types.js';
import { startZooKeeper } from './zookeeper.js';

// ------------------------------------------------------------------------------------ types

export type ClusterMode = 'active-passive' | 'active-active';
export type StandbyBehaviour = 'reject' | 'forward';

export interface LocalClusterOptions {
  /** ZooKeeper servers to start (ignored when `zk` is given). Default 1. */
  readonly zkServers?: 1 | 3;
  /** ZooKeeper tickTime in ms. Default 200 (sessions from 400 ms to 4 s). */
  readonly tickTime?: number;
  /** Use this ensemble instead of starting one (it is not stopped by stop()). */
  readonly zk?: ZkEnsemble;
  /** Ask for ZooKeeper servers that may be killed and paused (never an external ensemble). */
  readonly zkChaos?: boolean;
  /** LB nodes, ids `lb-1`…. Default 3. */
  readonly nodes?: number;
  /** Sample backends, ids `b1`…. Default 4. */
  readonly backends?: number;
  /** Backend weights by index (default 1 each). */
  readonly weights?: readonly number[];
  readonly mode?: ClusterMode;
  readonly standby?: StandbyBehaviour;
  /** Node fallback policy (RINGLEADER_POLICY), in force while the `config` znode is absent. */
  readonly policy?: string;
  /** Node fallback hash source (RINGLEADER_HASH): `header:NAME`, `cookie:NAME`, `path`, `query:NAME`, `ip`. */
  readonly hash?: string;
  /** Written to the cluster `config` znode (ClusterAdmin.setConfig) before any node starts. */
  readonly clusterConfig?: Readonly<Record<string, unknown>>;
  /** Node session timeout. Default 2000 ms. */
  readonly sessionTimeoutMs?: number;
  /** Cluster name. Default `default` on an ensemble started here, else a unique `local-<pid>-<n>`. */
  readonly cluster?: string;
  /**
   * Cluster credential `user:password`: the launcher's own session writes with it (ACLs as
   * in docs/security.md) and every node gets it as RINGLEADER_ZK_AUTH (a node's `nodeEnv`
   * may override it, e.g. with '' for a node without the credential).
   */
  readonly zkAuth?: string;
  /** Extra RINGLEADER_* variables for every node, or per node (index 0-based). */
  readonly nodeEnv?: Readonly<Record<string, string>> | ((index: number) => Readonly<Record<string, string>>);
  /** Where logs go. Default a temp dir, removed by stop() unless keepLogs. */
  readonly logDir?: string;
  readonly keepLogs?: boolean;
  /** Bounds start-up (nodes listening, every snapshot complete, a leader elected). Default 30 s. */
  readonly startTimeoutMs?: number;
  /**
   * Start-up also waits until every node is past its election and knows the leader (default
   * true). False for clusters where some nodes cannot join the election (no credential).
   */
  readonly awaitEveryRole?: boolean;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LocalNode {
  readonly id: string;
  readonly index: number;
  readonly proxyPort: number;
  readonly adminPort: number;
  readonly proxyUrl: string;
  readonly adminUrl: string;
  readonly logFile: string;
  /** The process id, undefined while it is not running. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL) and resolves with how the process ended. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Resolves when the current process ends (at once if it is not running). */
  exited(): Promise<ExitInfo>;
  /** Starts the node again on the same ports (extra env merged in); waits until /healthz answers. */
  restart(opts?: { env?: Readonly<Record<string, string>> }): Promise<void>;
  /** GET /status. */
  status(): Promise<StatusDocument>;
  /** The last lines of its log. */
  logTail(lines?: number): string;
}

export interface LocalBackend {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Starts it again on the same port (its znode stays valid). */
  restart(): Promise<void>;
  /** The x-ringleader-epoch of every proxied request it received (null when absent). */
  epochs(opts?: { reset?: boolean }): Promise<(number | null)[]>;
  /** Proxied requests it received. */
  requests(opts?: { reset?: boolean }): Promise<number>;
  /** Answers every later proxied request `ms` late (0: on time again): a slow backend. */
  delay(ms: number): Promise<void>;
  /** Sets the status its /healthz answers (503 fails the nodes' active checks). */
  setHealth(status: number): Promise<void>;
}

export interface LocalCluster {
  readonly zk: ZkEnsemble;
  readonly cluster: string;
  readonly sessionTimeoutMs: number;
  readonly nodes: readonly LocalNode[];
  readonly backends: readonly LocalBackend[];
  /** A session of the caller's own, for writes (backends, config) and reads. */
  readonly session: ZkSession;
  readonly admin: ClusterAdmin;
  readonly logDir: string;
  /** Every running node's /status (nodes not answering are left out). */
  statuses(): Promise<Array<{ node: LocalNode; status: StatusDocument }>>;
  /**
   * Polls until exactly one running node reports role leader and serving (and, in
   * active-passive, no other node serves); resolves with that node.
   */
  leader(timeoutMs?: number): Promise<LocalNode>;
  /** Polls `predicate` every 50 ms until it returns a truthy value, which it resolves with. */
  waitFor<T>(predicate: () => T | Promise<T>, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
  /** Waits until every running node has a connected session and a snapshot holding exactly `ids`. */
  waitForBackends(ids?: readonly string[], timeoutMs?: number): Promise<void>;
  /** Stops nodes, backends, the session and (if started here) ZooKeeper; removes temp logs. */
  stop(): Promise<void>;
}

// ------------------------------------------------------------------------------ plumbing

/** The repository root: the nearest folder above this file with pnpm-workspace.yaml. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new Error('startLocalCluster: cannot find the repository root (pnpm-workspace.yaml)');
    dir = up;
  }
}

const ROOT = repoRoot();
/** The `ringleader` command every LB node runs (`node start`): the checkout's packages/cli. */
export const CLI_BIN = join(ROOT, 'packages/cli/bin/ringleader.mjs');
/** The sample backend: plain node:http, no build (the same file from src/ and from dist/). */
export const BACKEND_SCRIPT = fileURLToPath(new URL('../bin/backend.mjs', import.meta.url));

const liveChildren = new Set<ManagedProcess>();
const cleanupDirs = new Set<string>();
let exitHookInstalled = false;
let clusterCounter = 0;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of liveChildren) p.killSync();
    for (const d of cleanupDirs) rmSync(d, { recursive: true, force: true });
  });
}

/**
 * RINGLEADER_* variables a run may set for every node it starts: a test matrix runs the same
 * suites once per proxy engine (vitest.config.ts). A node's own env still wins.
 */
const INHERITED_NODE_VARS = new Set(['RINGLEADER_PROXY_ENGINE', 'RINGLEADER_WORKERS']);

/** Child env: ours, minus inherited RINGLEADER_* (RINGLEADER_ZK means something else to the launcher). */
function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('RINGLEADER_') || INHERITED_NODE_VARS.has(k)) env[k] = v;
  return { ...env, ...extra };
}

/** One child process at a time, with a guardian that kills it if this process dies first. */
class ManagedProcess {
  readonly #label: string;
  readonly #logFile: string;
  /** Removed by the guardian if this process dies without cleaning up (a temp log dir). */
  readonly #orphanDir: string;
  #proc: ChildProcess | undefined;
  #guardian: ChildProcess | undefined;
  #exit: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });

  constructor(label: string, logFile: string, orphanDir = '') {
    this.#label = label;
    this.#logFile = logFile;
    this.#orphanDir = orphanDir;
  }

  get pid(): number | undefined {
    const p = this.#proc;
    return p && p.exitCode === null && p.signalCode === null ? p.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  get logFile(): string {
    return this.#logFile;
  }

  /** Spawns `node args…`; stdout is piped when `pipeStdout` (the caller reads it), else logged. */
  spawn(args: readonly string[], env: NodeJS.ProcessEnv, pipeStdout = false): ChildProcess {
    if (this.running) throw new Error(`${this.#label} is already running (pid ${this.pid})`);
    installExitHook();
    const log = openSync(this.#logFile, 'a');
    const proc = spawn(process.execPath, [...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', pipeStdout ? 'pipe' : log, log],
    });
    closeSync(log);
    this.#proc = proc;
    this.#exit = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    proc.unref();
    (proc.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    // Runs only when our end of its stdin closes without us killing it first: we died.
    const script = 'read _ignored; kill -9 "$1" 2>/dev/null; [ -n "$2" ] && sleep 0.3 && rm -rf "$2"';
    const guardian = spawn('sh', ['-c', script, 'guardian', String(proc.pid), this.#orphanDir], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    guardian.unref();
    (guardian.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.#guardian = guardian;
    proc.once('exit', () => {
      liveChildren.delete(this);
      guardian.kill('SIGKILL');
    });
    liveChildren.add(this);
    return proc;
  }

  exited(): Promise<ExitInfo> {
    return this.#exit;
  }

  /** Signals and waits; a process still there after `graceMs` gets SIGKILL. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', graceMs = 15_000): Promise<ExitInfo> {
    const proc = this.#proc;
    if (!proc || !this.running) return this.#exit;
    proc.ref(); // a plain script stays alive until the child is really gone
    proc.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => {
      timer = setTimeout(() => r('late'), graceMs);
    });
    if ((await Promise.race([this.#exit, late])) === 'late') proc.kill('SIGKILL');
    clearTimeout(timer);
    return this.#exit;
  }

  killSync(): void {
    if (this.running) this.#proc?.kill('SIGKILL');
    this.#guardian?.kill('SIGKILL');
  }

  logTail(lines = 40): string {
    try {
      return readFileSync(this.#logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

async function httpGet(url: string, timeoutMs = 1000): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, text: await res.text() };
}

/** Thrown by a poll predicate to stop waiting at once (e.g. the process it waits for died). */
class FatalWait extends Error {}

async function poll<T>(
  predicate: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await predicate();
      if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    } catch (err) {
      if (err instanceof FatalWait) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(intervalMs);
  }
}

// ------------------------------------------------------------------------------ nodes

class NodeProcess implements LocalNode {
  readonly id: string;
  readonly index: number;
  readonly proxyPort: number;
  readonly adminPort: number;
  readonly proxyUrl: string;
  readonly adminUrl: string;
  readonly #proc: ManagedProcess;
  #env: Readonly<Record<string, string>>;

  constructor(
    index: number,
    proxyPort: number,
    adminPort: number,
    env: Record<string, string>,
    logDir: string,
    orphanDir = '',
  ) {
    this.index = index;
    this.id = `lb-${index + 1}`;
    this.proxyPort = proxyPort;
    this.adminPort = adminPort;
    this.proxyUrl = `http://127.0.0.1:${proxyPort}`;
    this.adminUrl = `http://127.0.0.1:${adminPort}`;
    this.#env = {
      RINGLEADER_NODE_ID: this.id,
      RINGLEADER_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      RINGLEADER_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      ...env,
    };
    this.#proc = new ManagedProcess(`node ${this.id}`, join(logDir, `${this.id}.log`), orphanDir);
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }
  get running(): boolean {
    return this.#proc.running;
  }
  get logFile(): string {
    return this.#proc.logFile;
  }

  /** Spawns the process and waits until its admin port answers /healthz. */
  async start(timeoutMs = 20_000): Promise<void> {
    const env = childEnv(this.#env);
    env.NODE_OPTIONS = nodeOptionsWithDefaults(env.NODE_OPTIONS);
    this.#proc.spawn([CLI_BIN, 'node', 'start'], env);
    await poll(
      async () => {
        if (!this.#proc.running) {
          const how = await this.#proc.exited();
          throw new FatalWait(`node ${this.id} exited (${JSON.stringify(how)}) while starting`);
        }
        return (await httpGet(`${this.adminUrl}/healthz`, 500)).status === 200;
      },
      timeoutMs,
      `node ${this.id} to answer /healthz`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- ${this.logFile} ---\n${this.logTail()}`);
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    return this.#proc.kill(signal);
  }

  exited(): Promise<ExitInfo> {
    return this.#proc.exited();
  }

  async restart(opts: { env?: Readonly<Record<string, string>> } = {}): Promise<void> {
    if (this.running) await this.kill('SIGTERM');
    if (opts.env) this.#env = { ...this.#env, ...opts.env };
    await this.start();
  }

  async status(): Promise<StatusDocument> {
    const r = await httpGet(`${this.adminUrl}/status`, 2000);
    if (r.status !== 200) throw new Error(`GET ${this.adminUrl}/status → ${r.status}: ${r.text}`);
    return JSON.parse(r.text) as StatusDocument;
  }

  logTail(lines = 40): string {
    return this.#proc.logTail(lines);
  }
}

// ------------------------------------------------------------------------------ backends

class BackendProcess implements LocalBackend {
  readonly id: string;
  readonly host = '127.0.0.1';
  #port = 0;
  readonly #proc: ManagedProcess;

  constructor(id: string, logDir: string, orphanDir = '') {
    this.id = id;
    this.#proc = new ManagedProcess(`backend ${id}`, join(logDir, `${id}.log`), orphanDir);
  }

  get port(): number {
    return this.#port;
  }
  get url(): string {
    return `http://${this.host}:${this.#port}`;
  }
  get pid(): number | undefined {
    return this.#proc.pid;
  }
  get running(): boolean {
    return this.#proc.running;
  }

  /** Spawns the fixture and waits for its `{id, host, port}` line. */
  async start(timeoutMs = 10_000): Promise<void> {
    const proc = this.#proc.spawn(
      [BACKEND_SCRIPT, '--id', this.id, '--port', String(this.#port), '--host', this.host],
      childEnv({}),
      true,
    );
    const line = await new Promise<string>((resolveLine, reject) => {
      let buf = '';
      const timer = setTimeout(
        () => reject(new Error(`backend ${this.id} printed nothing in ${timeoutMs} ms`)),
        timeoutMs,
      );
      proc.stdout?.setEncoding('utf8');
      proc.stdout?.on('data', (chunk: string) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolveLine(buf.slice(0, nl));
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`backend ${this.id} exited (${code ?? signal}) while starting:\n${this.#proc.logTail()}`),
        );
      });
    });
    this.#port = (JSON.parse(line) as { port: number }).port;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    return this.#proc.kill(signal);
  }

  async restart(): Promise<void> {
    if (this.running) await this.kill('SIGTERM');
    await this.start();
  }

  async epochs(opts: { reset?: boolean } = {}): Promise<(number | null)[]> {
    const r = await httpGet(`${this.url}/__epochs${opts.reset ? '?reset=1' : ''}`);
    return (JSON.parse(r.text) as { epochs: (number | null)[] }).epochs;
  }

  async requests(opts: { reset?: boolean } = {}): Promise<number> {
    const r = await httpGet(`${this.url}/__requests${opts.reset ? '?reset=1' : ''}`);
    return (JSON.parse(r.text) as { requests: number }).requests;
  }

  async delay(ms: number): Promise<void> {
    await httpGet(`${this.url}/__delay?ms=${ms}`);
  }

  async setHealth(status: number): Promise<void> {
    await httpGet(`${this.url}/__health?status=${status}`);
  }
}

// ------------------------------------------------------------------------------ cluster

export async function startLocalCluster(opts: LocalClusterOptions = {}): Promise<LocalCluster> {
  installExitHook();
  const nodeCount = opts.nodes ?? 3;
  const backendCount = opts.backends ?? 4;
  // A fresh ensemble of our own gets `default`; a shared one a name no other run uses.
  const cluster =
    opts.cluster ??
    (opts.zk === undefined && process.env.RINGLEADER_ZK_CONNECT === undefined
      ? 'default'
      : `local-${process.pid}-${++clusterCounter}`);
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 2000;
  const startTimeoutMs = opts.startTimeoutMs ?? 30_000;
  const tickTime = opts.tickTime ?? 200;
  const ownLogs = opts.logDir === undefined;
  const logDir = opts.logDir ? resolve(opts.logDir) : mkdtempSync(join(tmpdir(), 'ringleader-cluster-'));
  mkdirSync(logDir, { recursive: true });
  let removeLogs = ownLogs && !opts.keepLogs;
  if (removeLogs) cleanupDirs.add(logDir);

  const ownZk = opts.zk === undefined;
  let zk: ZkEnsemble | undefined = opts.zk;
  let session: ZkSession | undefined;
  const nodes: NodeProcess[] = [];
  const backends: BackendProcess[] = [];
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Nodes first, gracefully (they close their sessions), then the rest.
      await Promise.all(nodes.map((n) => (n.running ? n.kill('SIGTERM') : undefined)));
      await Promise.all(backends.map((b) => (b.running ? b.kill('SIGKILL') : undefined)));
      await session?.close().catch(() => {});
      if (ownZk) await zk?.stop();
      if (removeLogs) {
        rmSync(logDir, { recursive: true, force: true });
        cleanupDirs.delete(logDir);
      }
    })();
    return stopped;
  };

  try {
    zk ??= await startZooKeeper({
      servers: opts.zkServers ?? 1,
      tickTime,
      ...(opts.zkChaos ? { chaos: true } : {}),
    });
    // The caller's session outlives node sessions comfortably; ZooKeeper caps it at 20 × tickTime.
    session = new ZkSession({
      connectString: zk.connectString,
      sessionTimeoutMs: Math.min(20 * tickTime, 10_000),
      ...zkSecurity({ cluster, credential: opts.zkAuth }),
    });
    session.start();
    await session.waitFor('connected', 10_000);
    const admin = new ClusterAdmin({ session, cluster });
    await admin.ensureClusterPaths();
    if (opts.clusterConfig) await admin.setConfig(opts.clusterConfig);

    const orphanDir = removeLogs ? logDir : '';
    for (let i = 0; i < backendCount; i++) backends.push(new BackendProcess(`b${i + 1}`, logDir, orphanDir));
    await Promise.all(backends.map((b) => b.start()));
    for (const [i, b] of backends.entries()) {
      await admin.addBackend(b.id, { host: b.host, port: b.port, weight: opts.weights?.[i] ?? 1 });
    }

    const ports = await freePorts(nodeCount * 2);
    for (let i = 0; i < nodeCount; i++) {
      const extra = typeof opts.nodeEnv === 'function' ? opts.nodeEnv(i) : (opts.nodeEnv ?? {});
      const env: Record<string, string> = {
        RINGLEADER_ZK: zk.connectString,
        RINGLEADER_CLUSTER: cluster,
        RINGLEADER_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
        RINGLEADER_MODE: opts.mode ?? 'active-passive',
        RINGLEADER_STANDBY: opts.standby ?? 'reject',
        ...(opts.zkAuth ? { RINGLEADER_ZK_AUTH: opts.zkAuth } : {}),
        ...(opts.policy ? { RINGLEADER_POLICY: opts.policy } : {}),
        ...(opts.hash ? { RINGLEADER_HASH: opts.hash } : {}),
        ...extra,
      };
      nodes.push(new NodeProcess(i, ports[i * 2]!, ports[i * 2 + 1]!, env, logDir, orphanDir));
    }
    await Promise.all(nodes.map((n) => n.start(startTimeoutMs)));

    const waitFor = <T>(predicate: () => T | Promise<T>, timeoutMs = 10_000, what = 'a condition') =>
      poll(predicate, timeoutMs, what);

    const statuses = async () => {
      const all = await Promise.all(
        nodes
          .filter((n) => n.running)
          .map(async (node) => {
            try {
              return { node, status: await node.status() };
            } catch {
              return undefined;
            }
          }),
      );
      return all.filter((s): s is { node: NodeProcess; status: StatusDocument } => s !== undefined);
    };

    const waitForBackends = async (
      ids: readonly string[] = backends.map((b) => b.id),
      timeoutMs = 10_000,
    ) => {
      const want = [...ids].sort().join(',');
      await poll(
        async () => {
          const running = nodes.filter((n) => n.running);
          const all = await statuses();
          return (
            all.length === running.length &&
            all.every(
              ({ status }) =>
                status.session.state === 'connected' &&
                status.backends
                  .map((b) => b.id)
                  .sort()
                  .join(',') === want,
            )
          );
        },
        timeoutMs,
        `every node's snapshot to hold [${want}]`,
      );
    };

    const leader = async (timeoutMs = 10_000) =>
      poll(
        async () => {
          const all = await statuses();
          const leaders = all.filter(({ status }) => status.role === 'leader' && status.serving);
          if (leaders.length !== 1) return undefined;
          const activePassive = leaders[0]!.status.node.mode === 'active-passive';
          if (activePassive && all.some(({ status }) => status.serving && status.role !== 'leader'))
            return undefined;
          return leaders[0]!.node as LocalNode;
        },
        timeoutMs,
        'exactly one serving leader',
      );

    await waitForBackends(
      backends.map((b) => b.id),
      startTimeoutMs,
    );
    const first = await leader(startTimeoutMs);
    // A node learns its role from the election and the leader's address from a separate watch:
    // tests start once every node is past its election and knows who leads, not mid-way.
    if (opts.awaitEveryRole !== false)
      await poll(
        async () => {
          const all = await statuses();
          return (
            all.length === nodes.filter((n) => n.running).length &&
            all.every(({ status }) => status.role !== 'candidate' && status.leader?.id === first.id)
          );
        },
        startTimeoutMs,
        'every node to know its role and the leader',
      );

    return {
      zk,
      cluster,
      sessionTimeoutMs,
      nodes,
      backends,
      session,
      admin,
      logDir,
      statuses,
      leader,
      waitFor,
      waitForBackends,
      stop,
    };
  } catch (err) {
    // Keep the logs of a failed start for a look (node start-up errors quote their tails).
    removeLogs = false;
    cleanupDirs.delete(logDir);
    await stop().catch(() => {});
    if (err instanceof Error) err.message += `\n(cluster logs kept in ${logDir})`;
    throw err;
  }
}
