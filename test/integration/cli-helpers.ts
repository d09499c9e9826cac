// Shared helpers of the cli-* suites (not a test file): the BUILT `ringleader` command run as a
// child process (packages/cli/bin/ringleader.mjs → dist), exactly as an operator runs it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sleep, startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import { ZkSession } from '@ringleader/zk';
import { afterAll, beforeAll } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bin = fileURLToPath(new URL('../../packages/cli/bin/ringleader.mjs', import.meta.url));

/** Builds the CLI and what it needs (tsc -b, incremental); fails with tsc's output. */
export function buildCli(): void {
  try {
    execFileSync(`${repo}node_modules/.bin/tsc`, ['-b', 'packages/cli'], { cwd: repo, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: unknown; stderr?: unknown };
    throw new Error(
      `the CLI suites run packages/cli/dist, and \`tsc -b packages/cli\` failed:\n${e.stdout}${e.stderr}`,
    );
  }
  if (!existsSync(`${repo}packages/cli/dist/index.js`))
    throw new Error('packages/cli/dist/index.js is missing');
}

/** The parent's environment without RINGLEADER_* (the harness uses RINGLEADER_ZK for itself). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RINGLEADER_')) env[k] = v;
  return { ...env, ...extra };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running `ringleader` process with its output collected. */
export class CliProcess {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;

  constructor(args: readonly string[], env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, [bin, ...args], {
      cwd: repo,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) =>
      this.proc.once('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Waits until stdout (or stderr) matches. */
  async waitFor(re: RegExp, timeoutMs = 10_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!re.test(this[stream])) {
      if (!this.running) throw new Error(`exited before ${re}:\n${this.stdout}\n${this.stderr}`);
      if (performance.now() > deadline)
        throw new Error(`no ${re} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await sleep(20);
    }
  }

  /** Signals, and SIGKILLs if it has not exited after graceMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<CliResult> {
    if (this.running) this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}

/** Runs `ringleader <args>` to completion. */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 20_000,
): Promise<CliResult> {
  const p = new CliProcess(args, env);
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), timeoutMs);
  return p.exited.finally(() => clearTimeout(timer));
}

/** What a cli-* file shares: one standalone ZooKeeper, and a session of the test's own to look at znodes. */
export interface CliZooKeeper {
  readonly connectString: string;
  readonly session: ZkSession;
  /** A cluster name of its own, so tests never see each other's znodes. */
  newCluster(): string;
  /** Runs `ringleader <args> --zk <this ZooKeeper> --cluster <cluster>` to completion. */
  cliOn(cluster: string): (...args: string[]) => Promise<CliResult>;
}

/**
 * Builds the CLI and starts the ZooKeeper before the file's tests, and stops both session and
 * server after them; call it once at the top of a file.
 */
export function useCliZooKeeper(): CliZooKeeper {
  let zk: ZkEnsemble | undefined;
  let session: ZkSession | undefined;
  beforeAll(async () => {
    buildCli();
    zk = await startZooKeeper({ servers: 1, tickTime: 200 });
    session = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 4000 }).start();
    await session.waitFor('connected', 10_000);
  });
  afterAll(async () => {
    await session?.close();
    await zk?.stop();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useCliZooKeeper: used before its beforeAll ran');
    return v;
  };
  return {
    get connectString() {
      return started(zk).connectString;
    },
    get session() {
      return started(session);
    },
    newCluster: () => `cli-${randomUUID().slice(0, 8)}`,
    cliOn:
      (cluster) =>
      (...args) =>
        runCli([...args, '--zk', started(zk).connectString, '--cluster', cluster]),
  };
}

/** `ringleader node start` configured from the environment, both ports on 127.0.0.1:0. */
export function startNodeProcess(opts: {
  id: string;
  zk: string;
  cluster: string;
  token?: string;
}): CliProcess {
  return new CliProcess(['node', 'start'], {
    RINGLEADER_NODE_ID: opts.id,
    RINGLEADER_ZK: opts.zk,
    RINGLEADER_CLUSTER: opts.cluster,
    RINGLEADER_PROXY_LISTEN: '127.0.0.1:0',
    RINGLEADER_ADMIN_LISTEN: '127.0.0.1:0',
    RINGLEADER_SESSION_TIMEOUT_MS: '2000',
    RINGLEADER_DRAIN_TIMEOUT_MS: '500',
    RINGLEADER_LOG_LEVEL: 'warn',
    ...(opts.token ? { RINGLEADER_ADMIN_TOKEN: opts.token } : {}),
  });
}
