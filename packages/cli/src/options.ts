// Commander wiring shared by the command modules: the common ZooKeeper flags and --json.
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import {
  DEFAULT_CLUSTER,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_ZK,
  resolveZkTarget,
  type ZkFlags,
  type ZkTarget,
} from './flags.js';

export const ZK_HELP = `
ZooKeeper:
  --zk defaults to $RINGLEADER_ZK, then ${DEFAULT_ZK}; --cluster to $RINGLEADER_CLUSTER, then ${DEFAULT_CLUSTER}.
  A digest credential (user:password) for ACL-protected znodes comes from $RINGLEADER_ZK_AUTH or
  the file named by $RINGLEADER_ZK_AUTH_FILE, never from a flag (flags show up in process listings).
Exit codes: 0 done, 1 runtime or ZooKeeper failure, 2 invalid usage or input (nothing written).`;

/** Adds --zk, --cluster and --timeout (and the environment notes to the help). */
export function zkOptions(cmd: Command): Command {
  return cmd
    .option('--zk <connect>', 'ZooKeeper connect string host:port[,host:port...][/chroot]')
    .option('--cluster <name>', 'cluster name (znodes under /ringleader/<name>)')
    .option('--timeout <ms>', `connect deadline in ms (default ${DEFAULT_TIMEOUT_MS})`)
    .addHelpText('after', ZK_HELP);
}

export function targetOf(opts: ZkFlags, ctx: CliContext): ZkTarget {
  return resolveZkTarget(opts, ctx.env, ctx.readFile);
}

/** Writes a value as pretty JSON on stdout. */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.io.out(`${JSON.stringify(value, null, 2)}\n`);
}
