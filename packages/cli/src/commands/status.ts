// `ringleader status [--json] [--watch]`: ZooKeeper's view of the cluster joined with every
// node's own GET /status (fetched in parallel, each with a short deadline).
import { readClusterStatus, type ZkSession } from '@ringleader/zk';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { renderError, usage } from '../errors.js';
import { parseInteger, type ZkFlags, type ZkTarget } from '../flags.js';
import { requestJson } from '../http.js';
import { printJson, targetOf, zkOptions } from '../options.js';
import {
  adminUrlOf,
  buildStatusView,
  formatStatus,
  type NodeDoc,
  type NodeFetch,
  type StatusView,
} from '../status-view.js';
import { connect, withSession } from '../zk.js';

type Opts = ZkFlags & { json?: boolean; watch?: boolean; interval?: string; nodeTimeout?: string };

const CLEAR = '\x1b[H\x1b[2J';

export async function gatherStatus(
  session: ZkSession,
  target: ZkTarget,
  nodeTimeoutMs: number,
): Promise<StatusView> {
  const status = await readClusterStatus(session, target.cluster);
  const fetched = new Map<string, NodeFetch>();
  await Promise.all(
    status.nodes.map(async (n) => {
      const url = adminUrlOf(n, status);
      if (url === null) return;
      try {
        const reply = await requestJson(`${url}/status`, { timeoutMs: nodeTimeoutMs });
        if (reply.status !== 200 || typeof reply.body !== 'object' || reply.body === null)
          fetched.set(n.id, { error: `GET /status answered ${reply.status}` });
        else fetched.set(n.id, { doc: reply.body as NodeDoc });
      } catch (err) {
        fetched.set(n.id, { error: (err as Error).message.replace(/^GET \S+: /, '') });
      }
    }),
  );
  return buildStatusView(status, fetched, { zk: target.connect, at: new Date() });
}

export function registerStatusCommand(program: Command, ctx: CliContext): void {
  zkOptions(
    program
      .command('status')
      .description(
        "nodes (role, epoch, session, snapshot version, serving), leader, config, backends with each node's health view, each node's services",
      )
      .option('--json', 'machine-readable output (with --watch: one JSON document per line)')
      .option('--watch', 'redraw every --interval until Ctrl-C')
      .option('--interval <ms>', 'with --watch: refresh period (default 2000)')
      .option('--node-timeout <ms>', "deadline for each node's GET /status (default 1000)"),
  )
    .addHelpText(
      'after',
      `
A node whose SNAPSHOT differs from ZooKeeper's membership version is flagged (zk N): it has not
applied the latest backends change yet, or it is cut off from ZooKeeper.
Examples:
  ringleader status
  ringleader status --watch --interval 1000
  ringleader status --json | jq '.nodes[] | {id, role, snapshotVersion}'`,
    )
    .action(async (opts: Opts) => {
      const intervalMs =
        opts.interval === undefined ? 2000 : parseInteger('--interval', opts.interval, 100, 3_600_000);
      const nodeTimeoutMs =
        opts.nodeTimeout === undefined ? 1000 : parseInteger('--node-timeout', opts.nodeTimeout, 50, 60_000);
      const target = targetOf(opts, ctx);
      if (opts.watch !== true) {
        if (opts.interval !== undefined) throw usage('--interval applies only with --watch');
        await withSession(target, async (session) => {
          const view = await gatherStatus(session, target, nodeTimeoutMs);
          if (opts.json) printJson(ctx, view);
          else ctx.io.out(formatStatus(view));
        });
        return;
      }
      await watch(ctx, target, { intervalMs, nodeTimeoutMs, json: opts.json === true });
    });
}

async function watch(
  ctx: CliContext,
  target: ZkTarget,
  opts: { intervalMs: number; nodeTimeoutMs: number; json: boolean },
): Promise<void> {
  const signalled = ctx.untilSignal();
  let stopped = false;
  void signalled.then(() => {
    stopped = true;
  });
  const session = await connect(target);
  let lastFrame = '';
  let lastGood = 'never';
  try {
    while (!stopped) {
      const now = new Date().toISOString();
      const footer = `every ${opts.intervalMs} ms · Ctrl-C to stop`;
      try {
        const view = await gatherStatus(session, target, opts.nodeTimeoutMs);
        lastGood = view.at;
        if (opts.json) ctx.io.out(`${JSON.stringify(view)}\n`);
        else {
          lastFrame = formatStatus(view);
          draw(ctx, now, `${lastFrame}\nrefreshed ${view.at} · ${footer}\n`);
        }
      } catch (err) {
        const line = `refresh failed at ${now}: ${renderError(err).text} (last good ${lastGood}) · ${footer}`;
        if (opts.json) ctx.io.err(`ringleader: ${line}\n`);
        else draw(ctx, now, `${lastFrame}\n${line}\n`);
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((r) => (timer = setTimeout(r, opts.intervalMs))), signalled]);
      clearTimeout(timer);
    }
  } finally {
    await session.close().catch(() => {});
  }
}

function draw(ctx: CliContext, now: string, frame: string): void {
  if (ctx.io.isTTY) ctx.io.out(CLEAR + frame);
  else ctx.io.out(`----- ${now} -----\n${frame}`);
}
