// `ringleader config get|set`: the cluster `config` znode (policy, hash source, ring, health
// checks, retries). Writes are merge patches with a versioned write (ClusterAdmin.setConfig).
import { ClusterAdmin } from '@ringleader/zk';
import type { Command } from 'commander';
import {
  type ConfigFlags,
  configJson,
  configPatchFromFlags,
  formatConfig,
  POLICY_HELP,
  prevalidateConfigPatch,
} from '../config-plan.js';
import type { CliContext } from '../context.js';
import { usage } from '../errors.js';
import { collect, parseInteger, type ZkFlags } from '../flags.js';
import { printJson, targetOf, zkOptions } from '../options.js';
import { withSession } from '../zk.js';

type Opts = ZkFlags & ConfigFlags & { json?: boolean; ifVersion?: string; replace?: boolean };

export function registerConfigCommands(program: Command, ctx: CliContext): void {
  const config = program
    .command('config')
    .description('show or change the cluster routing config (the config znode)');

  zkOptions(
    config
      .command('get')
      .description(
        'show the stored config: every field, whether it is set or a default, and the flag that sets it',
      )
      .option('--json', 'machine-readable output ({ stored, effective, version, error })'),
  )
    .addHelpText('after', '\nExample:\n  ringleader config get --cluster shop')
    .action(async (opts: Opts) => {
      const target = targetOf(opts, ctx);
      await withSession(target, async (session) => {
        const admin = new ClusterAdmin({ session, cluster: target.cluster });
        const stored = await admin.getConfig();
        if (opts.json) printJson(ctx, configJson(stored, target.cluster, admin.paths.config));
        else ctx.io.out(formatConfig(stored, target.cluster, admin.paths.config));
      });
    });

  zkOptions(
    config
      .command('set')
      .description(
        'change config fields (merged into the stored config; validated before anything is written)',
      )
      .option('--policy <name>', POLICY_HELP)
      .option(
        '--hash <source>',
        'hash key for hash, consistent-hash, maglev: header:NAME | cookie:NAME | path | query:NAME | ip | ip:port',
      )
      .option('--vnodes <n>', 'consistent-hash points per unit of weight (1..1000)')
      .option('--load-factor <f>', 'consistent-hash bounded load factor (> 1, ≤ 10)')
      .option('--table-size <n>', 'maglev lookup table size (a prime)')
      .option('--decay-ms <ms>', 'least-response-time EWMA decay')
      .option('--retries <n>', 'other backends a failed connect is retried on (0..10)')
      .option('--health-path <path>', 'active health check path, e.g. /healthz')
      .option('--health-interval <ms>', 'health check interval')
      .option('--health-timeout <ms>', 'health check timeout (≤ interval)')
      .option('--health-rise <n>', 'successes that bring a backend up')
      .option('--health-fall <n>', 'failures that take a backend down')
      .option('--health-expect <min-max>', 'healthy status range, e.g. 200-399')
      .option('--outlier-failures <n>', 'consecutive failures that eject a backend (0 = off)')
      .option('--outlier-base-ms <ms>', 'first ejection time')
      .option('--outlier-max-ms <ms>', 'longest ejection time')
      .option('--unset <field>', 'back to the default, e.g. --unset load-factor (repeatable)', collect)
      .option('--replace', 'replace the stored config instead of merging (repairs an unreadable one)')
      .option('--if-version <n>', 'write only if the config znode is still at data version N (no retry)')
      .option('--json', 'print the stored result as JSON'),
  )
    .addHelpText(
      'after',
      `
Examples:
  ringleader config set --policy consistent-hash --hash header:x-user-id --vnodes 200 --load-factor 1.25
  ringleader config set --policy least-response-time --retries 1
  ringleader config set --health-path /ready --health-interval 1000 --health-timeout 500`,
    )
    .action(async (opts: Opts) => {
      const patch = configPatchFromFlags(opts);
      if (patch === undefined)
        throw usage('nothing to set: give at least one field (see ringleader config set --help)');
      prevalidateConfigPatch(patch);
      const expectedVersion =
        opts.ifVersion === undefined
          ? undefined
          : parseInteger('--if-version', opts.ifVersion, -1, 2 ** 31 - 1);
      const target = targetOf(opts, ctx);
      await withSession(target, async (session) => {
        const admin = new ClusterAdmin({ session, cluster: target.cluster });
        const stored = await admin.setConfig(patch, {
          ...(opts.replace === true ? { replace: true } : {}),
          ...(expectedVersion === undefined ? {} : { expectedVersion }),
        });
        if (opts.json) printJson(ctx, configJson(stored, target.cluster, admin.paths.config));
        else ctx.io.out(`written: ${formatConfig(stored, target.cluster, admin.paths.config)}`);
      });
    });
}
