// Side effects of a role change that live outside the process: operator notify scripts
// (like keepalived's) and moving a virtual IP. Failures are logged, never fatal: a broken
// hook must not stop a node from leading.
import { execFile } from 'node:child_process';

export interface HookLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CommandResult {
  readonly ok: boolean;
  readonly code: number | null;
  readonly stderr: string;
}

export type CommandRunner = (
  file: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
) => Promise<CommandResult>;

export const runCommand: CommandRunner = (file, args, env) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: 10_000, env: { ...process.env, ...env } },
      (err, _stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ ok: !err, code, stderr: String(stderr).slice(0, 2000) });
      },
    );
  });

/** Runs an operator hook through the shell with the role facts in its environment. */
export async function runHook(
  command: string,
  facts: { role: string; epoch: number | undefined; nodeId: string },
  logger: HookLogger,
  run: CommandRunner = runCommand,
): Promise<CommandResult> {
  const result = await run('/bin/sh', ['-c', command], {
    RINGLEADER_ROLE: facts.role,
    RINGLEADER_EPOCH: facts.epoch === undefined ? '' : String(facts.epoch),
    RINGLEADER_NODE_ID: facts.nodeId,
  });
  if (result.ok) logger.info({ hook: command, role: facts.role }, 'role hook ran');
  else
    logger.warn(
      { hook: command, role: facts.role, code: result.code, stderr: result.stderr },
      'role hook failed',
    );
  return result;
}

/**
 * Moves a virtual IP with `ip addr add/del`, then announces it with gratuitous ARP so
 * neighbours update their caches at once instead of after their ARP timeout.
 */
export class VipMover {
  readonly address: string;
  readonly iface: string;
  readonly logger: HookLogger;
  readonly run: CommandRunner;

  constructor(
    vip: { address: string; interface: string },
    logger: HookLogger,
    run: CommandRunner = runCommand,
  ) {
    this.address = vip.address;
    this.iface = vip.interface;
    this.logger = logger;
    this.run = run;
  }

  async acquire(): Promise<boolean> {
    const add = await this.run('ip', ['addr', 'add', this.address, 'dev', this.iface]);
    // "File exists" means we already hold it (e.g. a quick re-promotion): fine.
    if (!add.ok && !/File exists/i.test(add.stderr)) {
      this.logger.warn(
        { vip: this.address, iface: this.iface, stderr: add.stderr },
        'could not add virtual IP',
      );
      return false;
    }
    const bare = this.address.split('/')[0] as string;
    const arp = await this.run('arping', ['-U', '-c', '2', '-I', this.iface, bare]);
    if (!arp.ok)
      this.logger.warn({ vip: bare, stderr: arp.stderr }, 'gratuitous ARP failed (is arping installed?)');
    this.logger.info({ vip: this.address, iface: this.iface }, 'virtual IP acquired');
    return true;
  }

  async release(): Promise<boolean> {
    const del = await this.run('ip', ['addr', 'del', this.address, 'dev', this.iface]);
    if (!del.ok && !/Cannot assign|not found/i.test(del.stderr)) {
      this.logger.warn(
        { vip: this.address, iface: this.iface, stderr: del.stderr },
        'could not remove virtual IP',
      );
      return false;
    }
    this.logger.info({ vip: this.address, iface: this.iface }, 'virtual IP released');
    return true;
  }
}
