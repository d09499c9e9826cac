// The `ringleader` command. Each command group lives in its own module; this file only builds
// the command tree and maps errors to one stderr line and an exit code
// (0 done, 1 runtime or ZooKeeper failure, 2 usage or validation: nothing was written).
import { Command, CommanderError } from 'commander';
import { registerBackendCommands } from './commands/backend.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDemoCommands } from './commands/demo.js';
import { registerLeaderCommands } from './commands/leader.js';
import { registerNodeCommands } from './commands/node.js';
import { registerServiceCommands } from './commands/service.js';
import { registerStatusCommand } from './commands/status.js';
import { CONFIG_FIELD_FLAGS } from './config-plan.js';
import { type CliContext, processContext } from './context.js';
import { renderError } from './errors.js';

export type { CliContext, CliIo } from './context.js';
export { CLI_ERRORS, CliError, renderError } from './errors.js';

export function buildProgram(ctx: CliContext = processContext()): Command {
  const program = new Command('ringleader')
    .description('HA HTTP load-balancer cluster coordinated by ZooKeeper')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (t) => ctx.io.out(t), writeErr: (t) => ctx.io.err(t) })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  ringleader backend add web-1 --host 10.0.0.5 --port 8080
  ringleader backend list
  ringleader config set --policy consistent-hash --hash header:x-user-id
  ringleader service add pg --protocol tcp --listen 5433 --policy least-connections --check postgres
  ringleader status --watch
  ringleader leader resign
Every command takes --zk (or $RINGLEADER_ZK) and --cluster (or $RINGLEADER_CLUSTER); see <command> --help.`,
    );
  registerNodeCommands(program, ctx);
  registerBackendCommands(program, ctx);
  registerConfigCommands(program, ctx);
  registerServiceCommands(program, ctx);
  registerStatusCommand(program, ctx);
  registerLeaderCommands(program, ctx);
  registerDemoCommands(program, ctx);
  return program;
}

/**
 * Runs the CLI. Resolves with an exit code on failure (or after help/version), undefined on
 * success (long-running commands such as `node start` resolve once started).
 */
export async function main(
  argv: readonly string[],
  ctx: CliContext = processContext(),
): Promise<number | undefined> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return undefined;
  } catch (err) {
    // Commander already wrote its message (unknown option, missing argument, help).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const { text, exitCode } = renderError(err, CONFIG_FIELD_FLAGS);
    ctx.io.err(`ringleader: ${text}\n`);
    return exitCode;
  }
}
