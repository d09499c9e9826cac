// `ringleader backend add|update|drain|undrain|remove|list`: the backends/ znodes.
// Every write is validated by the core codec before the session is even opened.
import { ClusterAdmin, type WriteOptions, type ZkSession } from '@ringleader/zk';
import type { Command } from 'commander';
import {
  type BackendFlags,
  backendJson,
  backendListJson,
  checkId,
  describeBackend,
  formatBackendList,
  planBackendAdd,
  planBackendPatch,
  weightHint,
} from '../backend-plan.js';
import type { CliContext } from '../context.js';
import { usage } from '../errors.js';
import { collect, parseInteger, type ZkFlags, type ZkTarget } from '../flags.js';
import { printJson, targetOf, zkOptions } from '../options.js';
import { withSession } from '../zk.js';
import { holdEphemeral } from './backend-ephemeral.js';

type Common = ZkFlags & { json?: boolean; ifVersion?: string; service?: string };

function writeOptions(opts: Common): WriteOptions {
  return opts.ifVersion === undefined
    ? {}
    : { expectedVersion: parseInteger('--if-version', opts.ifVersion, 0, 2 ** 31 - 1) };
}

const IF_VERSION = 'change only if the znode data version is still N (no retry; see backend list --json)';

export function registerBackendCommands(program: Command, ctx: CliContext): void {
  const backend = program
    .command('backend')
    .description('manage the backends the cluster routes to (znodes under backends/)');

  backendOptions(
    backend
      .command('add <id>')
      .description('register a backend (fails if the id exists)')
      .requiredOption('--host <host>', 'host name or IP address')
      .requiredOption('--port <port>', 'TCP port, 1..65535')
      .option('--weight <w>', 'integer 0..1000 (default 1; 0 takes no new traffic)')
      .option('--zone <zone>', 'zone label (zone-aware routing, status display)')
      .option('--meta <key=value>', 'metadata (repeatable)', collect)
      .option('--draining', 'register in state draining (no new requests)')
      .option('--ephemeral', 'ephemeral znode: stay running and hold the session until SIGINT/SIGTERM')
      .option(
        '--session-timeout <ms>',
        'with --ephemeral: how long the znode outlives a crash (default 10000)',
      )
      .option('--json', 'print the stored backend as JSON'),
  )
    .addHelpText(
      'after',
      `
Examples:
  ringleader backend add web-1 --host 10.0.0.5 --port 8080 --weight 2 --zone eu-1
  # self-registration from a backend's start script; the znode goes when this process ends:
  ringleader backend add "$(hostname)" --host "$MY_IP" --port 8080 --ephemeral &`,
    )
    .action(
      async (
        id: string,
        opts: Common & BackendFlags & { draining?: boolean; ephemeral?: boolean; sessionTimeout?: string },
      ) => {
        const input = planBackendAdd(id, opts);
        const target = targetOf(opts, ctx);
        if (opts.ephemeral === true) {
          const sessionTimeoutMs =
            opts.sessionTimeout === undefined
              ? 10_000
              : parseInteger('--session-timeout', opts.sessionTimeout, 1000, 60_000);
          await holdEphemeral(ctx, target, {
            id,
            input,
            sessionTimeoutMs,
            json: opts.json === true,
            ...(opts.service !== undefined ? { service: opts.service } : {}),
          });
          return;
        }
        if (opts.sessionTimeout !== undefined) throw usage('--session-timeout applies only with --ephemeral');
        await withSession(target, async (session) => {
          const rec = await admin(session, target, opts.service).addBackend(id, input);
          if (opts.json) printJson(ctx, { ...backendJson(rec.backend), version: rec.version });
          else ctx.io.out(`added backend ${id}: ${describeBackend(rec.backend)}\n`);
          await printWeightHint(ctx, session, target, opts.service, input.weight);
        });
      },
    );

  backendOptions(
    backend
      .command('update <id>')
      .description('change some fields of a backend (versioned read-modify-write)')
      .option('--host <host>', 'new host')
      .option('--port <port>', 'new port')
      .option('--weight <w>', 'new weight 0..1000')
      .option('--zone <zone>', 'new zone ("" removes it)')
      .option('--meta <key=value>', 'set metadata keys; key= removes one (repeatable)', collect)
      .option('--if-version <n>', IF_VERSION)
      .option('--json', 'print the stored backend as JSON'),
  )
    .addHelpText('after', '\nExample:\n  ringleader backend update web-1 --weight 5')
    .action(async (id: string, opts: Common & BackendFlags) => {
      const patch = planBackendPatch(id, opts);
      if (patch === undefined)
        throw usage('nothing to update: give --host, --port, --weight, --zone or --meta');
      const write = writeOptions(opts);
      const target = targetOf(opts, ctx);
      await withSession(target, async (session) => {
        const rec = await admin(session, target, opts.service).updateBackend(id, patch, write);
        if (opts.json) printJson(ctx, { ...backendJson(rec.backend), version: rec.version });
        else ctx.io.out(`updated backend ${id}: ${describeBackend(rec.backend)}\n`);
        await printWeightHint(ctx, session, target, opts.service, patch.weight ?? undefined);
      });
    });

  for (const [verb, what] of [
    ['drain', 'stop sending new requests to a backend (in-flight requests finish)'],
    ['undrain', 'put a drained backend back into rotation'],
  ] as const) {
    backendOptions(
      backend
        .command(`${verb} <id>`)
        .description(what)
        .option('--if-version <n>', IF_VERSION)
        .option('--json', 'print the stored backend as JSON'),
    )
      .addHelpText('after', `\nExample:\n  ringleader backend ${verb} web-1`)
      .action(async (id: string, opts: Common) => {
        checkId(id);
        const write = writeOptions(opts);
        const target = targetOf(opts, ctx);
        await withSession(target, async (session) => {
          const a = admin(session, target, opts.service);
          const rec = verb === 'drain' ? await a.drainBackend(id, write) : await a.undrainBackend(id, write);
          if (opts.json) printJson(ctx, { ...backendJson(rec.backend), version: rec.version });
          else ctx.io.out(`backend ${id} is ${rec.backend.state}: ${describeBackend(rec.backend)}\n`);
        });
      });
  }

  backendOptions(
    backend
      .command('remove <id>')
      .description('delete a backend znode (nodes stop routing to it at once)')
      .option('--if-version <n>', IF_VERSION),
  )
    .addHelpText('after', '\nExample:\n  ringleader backend remove web-1')
    .action(async (id: string, opts: Common) => {
      checkId(id);
      const write = writeOptions(opts);
      const target = targetOf(opts, ctx);
      await withSession(target, async (session) => {
        await admin(session, target, opts.service).removeBackend(id, write);
        ctx.io.out(`removed backend ${id}\n`);
      });
    });

  backendOptions(
    backend
      .command('list')
      .alias('ls')
      .description('list backends as ZooKeeper holds them, and znodes rejected as malformed')
      .option('--json', 'machine-readable output'),
  )
    .addHelpText('after', '\nExample:\n  ringleader backend list --zk zk1:2181,zk2:2181 --cluster shop')
    .action(async (opts: Common) => {
      const target = targetOf(opts, ctx);
      await withSession(target, async (session) => {
        const snap = await admin(session, target, opts.service).listBackends();
        if (opts.json) printJson(ctx, backendListJson(snap, target.cluster));
        else ctx.io.out(formatBackendList(snap, target.cluster));
      });
    });
}

/** On stderr (so --json stays clean): a weight set under a policy that ignores weights. */
async function printWeightHint(
  ctx: CliContext,
  session: ZkSession,
  target: ZkTarget,
  service: string | undefined,
  weight: number | undefined,
): Promise<void> {
  if (weight === undefined) return;
  const a = admin(session, target, service);
  // The hint is advice: a config that cannot be read leaves it out, never fails the write.
  const policy = await (service === undefined
    ? a.getConfig().then((c) => c.config?.policy)
    : a.getService(service).then((s) => s.definition?.routing.policy)
  ).catch(() => undefined);
  const where = service === undefined ? `cluster ${target.cluster}` : `service ${service}`;
  const hint = weightHint(weight, policy, where);
  if (hint !== undefined) ctx.io.err(hint);
}

function admin(session: ZkSession, target: ZkTarget, service?: string): ClusterAdmin {
  return new ClusterAdmin({
    session,
    cluster: target.cluster,
    ...(service !== undefined ? { service } : {}),
  });
}

/** The ZooKeeper flags, and `--service NAME`: the backends of services/NAME instead of backends/. */
function backendOptions(cmd: Command): Command {
  return zkOptions(
    cmd.option('--service <name>', 'a service of services/ (default: the default HTTP service, backends/)'),
  );
}
