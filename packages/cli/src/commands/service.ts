// `ringleader service add|set|get|list|remove`: the services/<name> znodes. Every write is
// validated by the core codec (validateService) before anything is written.
import { ClusterAdmin } from '@ringleader/zk';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { usage } from '../errors.js';
import type { ZkFlags } from '../flags.js';
import { printJson, targetOf, zkOptions } from '../options.js';
import {
  formatServiceList,
  planService,
  type ServiceFlags,
  serviceBase,
  serviceListJson,
} from '../service-plan.js';
import { withSession } from '../zk.js';

type Opts = ZkFlags & ServiceFlags & { json?: boolean };

function fieldOptions(cmd: Command): Command {
  return cmd
    .option('--protocol <p>', 'http | tcp | redis')
    .option('--listen <port>', 'the port every node binds on its service host')
    .option(
      '--policy <name>',
      'round-robin, weighted-round-robin, least-connections, least-response-time, hash, consistent-hash, maglev',
    )
    .option('--hash <source>', 'hash source: ip or ip:port (tcp); as the cluster config for http')
    .option('--vnodes <n>', 'ring points per unit of weight')
    .option('--retries <n>', 'other backends a failed connect may move to')
    .option('--check <kind>', 'health check: tcp | redis | postgres | http')
    .option('--check-path <path>', 'http check path (e.g. /primary)')
    .option('--check-port <port>', 'http check port, when an agent answers (e.g. Patroni on 8008)')
    .option('--check-role <role>', 'redis check: master (only a primary is healthy)')
    .option('--check-interval <ms>', 'health check interval')
    .option('--connect-timeout <ms>', 'backend connect timeout')
    .option('--idle-timeout <ms>', 'close connections silent both ways this long')
    .option('--max-duration <ms>', 'longest life of one connection')
    .option('--max-conns <n>', 'open connections per backend')
    .option('--proxy-protocol <v>', 'send a PROXY header to backends: v1 | v2')
    .option('--accept-proxy-protocol', 'require a PROXY header from a trusted front')
    .option('--drain-timeout <ms>', 'how long open connections may finish on removal or stop')
    .option('--definition <json>', 'fields as a JSON object (applied before the other flags)')
    .option('--json', 'print the stored definition as JSON');
}

export function registerServiceCommands(program: Command, ctx: CliContext): void {
  const service = program
    .command('service')
    .description('manage services: a port, protocol, policy, check and backends each (services/<name>)');

  zkOptions(fieldOptions(service.command('add <name>').description('define a service (fails if it exists)')))
    .addHelpText(
      'after',
      `
Examples:
  ringleader service add pg --protocol tcp --listen 5433 --policy least-connections --check postgres
  ringleader service add cache --protocol tcp --listen 6380 --policy consistent-hash --hash ip --check redis
  ringleader backend add pg-1 --host 10.0.0.7 --port 5432 --service pg`,
    )
    .action(async (name: string, opts: Opts) => {
      const value = planService(opts);
      const target = targetOf(opts, ctx);
      await withSession(target, async (session) => {
        const stored = await new ClusterAdmin({ session, cluster: target.cluster }).putService(name, value, {
          create: 'only',
        });
        if (opts.json) printJson(ctx, { name, version: stored.version, definition: stored.raw });
        else
          ctx.io.out(
            `added service ${name}: ${stored.definition?.protocol} on port ${stored.definition?.listen}\n`,
          );
      });
    });

  zkOptions(
    fieldOptions(
      service.command('set <name>').description('change some fields of a service (the rest stay)'),
    ),
  )
    .addHelpText('after', '\nExample:\n  ringleader service set pg --policy round-robin --drain-timeout 5000')
    .action(async (name: string, opts: Opts) => {
      const target = targetOf(opts, ctx);
      await withSession(target, async (session) => {
        const admin = new ClusterAdmin({ session, cluster: target.cluster });
        const current = await admin.getService(name);
        const value = planService(opts, serviceBase(current));
        const stored = await admin.putService(name, value, { expectedVersion: current.version });
        if (opts.json) printJson(ctx, { name, version: stored.version, definition: stored.raw });
        else
          ctx.io.out(
            `updated service ${name}: ${stored.definition?.protocol} on port ${stored.definition?.listen}\n`,
          );
      });
    });

  zkOptions(
    service
      .command('get <name>')
      .description('print a service definition as stored')
      .option('--json', 'JSON'),
  ).action(async (name: string, opts: Opts) => {
    const target = targetOf(opts, ctx);
    await withSession(target, async (session) => {
      const s = await new ClusterAdmin({ session, cluster: target.cluster }).getService(name);
      printJson(ctx, { name, version: s.version, definition: s.raw ?? null, error: s.error ?? null });
    });
  });

  zkOptions(
    service
      .command('list')
      .alias('ls')
      .description('list services and their definitions')
      .option('--json', 'JSON'),
  ).action(async (opts: Opts) => {
    const target = targetOf(opts, ctx);
    await withSession(target, async (session) => {
      const list = await new ClusterAdmin({ session, cluster: target.cluster }).listServices();
      if (opts.json) printJson(ctx, serviceListJson(list, target.cluster));
      else ctx.io.out(formatServiceList(list, target.cluster));
    });
  });

  zkOptions(
    service
      .command('remove <name>')
      .description('delete a service and its backends (every node stops accepting and drains it)')
      .option('--yes', 'really delete (its backends go with it)'),
  ).action(async (name: string, opts: Opts & { yes?: boolean }) => {
    if (opts.yes !== true) throw usage(`service remove deletes ${name} and its backends: add --yes`, '--yes');
    const target = targetOf(opts, ctx);
    await withSession(target, async (session) => {
      await new ClusterAdmin({ session, cluster: target.cluster }).removeService(name);
      ctx.io.out(`removed service ${name}\n`);
    });
  });
}
