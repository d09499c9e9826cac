// `ringleader leader resign`: asks the current leader (found through the `leader` znode) to hand
// over gracefully, then waits for the `leader` znode to show the next term.
import { performance } from 'node:perf_hooks';
import {
  clusterPaths,
  decodeLeaderPayload,
  hasCode,
  type LeaderPayload,
  type ZkSession,
} from '@ringleader/zk';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseInteger, type ZkFlags } from '../flags.js';
import { requestJson } from '../http.js';
import { describeHandOver, isNewTerm, resolveAdminToken } from '../leader-plan.js';
import { printJson, targetOf, zkOptions } from '../options.js';
import { withSession } from '../zk.js';

type Opts = ZkFlags & { adminTokenFile?: string; wait?: string; json?: boolean };

async function readLeader(session: ZkSession, path: string): Promise<LeaderPayload | null> {
  try {
    return decodeLeaderPayload((await session.getData(path)).data);
  } catch (err) {
    if (hasCode(err, 'RL_ZK_NO_NODE')) return null;
    throw err;
  }
}

export function registerLeaderCommands(program: Command, ctx: CliContext): void {
  const leader = program.command('leader').description('leadership of the LB cluster');
  zkOptions(
    leader
      .command('resign')
      .description('graceful hand-over: the leader drains, steps down, and a standby takes over')
      .option(
        '--admin-token-file <file>',
        'file holding the admin bearer token (else $RINGLEADER_ADMIN_TOKEN)',
      )
      .option('--wait <ms>', 'how long to wait for the next leader (default 5000)')
      .option('--json', 'print { before, after, tookMs } as JSON'),
  )
    .addHelpText(
      'after',
      `
The leader is found through the leader znode (its adminUrl); POST /leader/resign is sent there.
Example:
  RINGLEADER_ADMIN_TOKEN_FILE=/etc/ringleader/admin-token ringleader leader resign`,
    )
    .action(async (opts: Opts) => {
      const waitMs = opts.wait === undefined ? 5000 : parseInteger('--wait', opts.wait, 0, 120_000);
      const token = resolveAdminToken(opts.adminTokenFile, ctx.env, ctx.readFile);
      const target = targetOf(opts, ctx);
      const path = clusterPaths(target.cluster).leader;
      await withSession(target, async (session) => {
        const before = await readLeader(session, path);
        if (before === null) {
          throw new CliError(
            'RL_CLI_NO_LEADER',
            `no leader in cluster ${target.cluster} (${path} is absent or unreadable)`,
          );
        }
        if (before.adminUrl === undefined) {
          throw new CliError('RL_CLI_NO_LEADER', `the leader ${before.id} published no adminUrl in ${path}`);
        }
        const started = performance.now();
        const reply = await requestJson(`${before.adminUrl}/leader/resign`, {
          method: 'POST',
          timeoutMs: Math.max(waitMs, 5000),
          ...(token === undefined ? {} : { token }),
        });
        const body = (typeof reply.body === 'object' && reply.body !== null ? reply.body : {}) as Record<
          string,
          unknown
        >;
        if (reply.status === 401) {
          throw new CliError(
            'RL_CLI_ADMIN_REQUEST',
            `${before.id} refused: a valid admin token is required (--admin-token-file FILE or RINGLEADER_ADMIN_TOKEN)`,
          );
        }
        if (reply.status !== 200) {
          throw new CliError(
            'RL_CLI_ADMIN_REQUEST',
            `${before.id} answered ${reply.status}: ${String(body.message ?? reply.body)}`,
          );
        }
        if (body.resigned !== true) {
          throw new CliError(
            'RL_CLI_NO_LEADER',
            `${before.id} did not resign: ${String(body.reason ?? 'no reason given')}`,
          );
        }
        let after: LeaderPayload | null = null;
        while (performance.now() - started < waitMs + 100) {
          const now = await readLeader(session, path);
          if (isNewTerm(before, now)) {
            after = now;
            break;
          }
          await new Promise((r) => setTimeout(r, 25));
        }
        const tookMs = performance.now() - started;
        if (after === null) {
          throw new CliError(
            'RL_CLI_NO_LEADER',
            `${before.id} resigned, but no node took the lead within ${waitMs} ms`,
          );
        }
        if (opts.json) printJson(ctx, { before, after, tookMs: Math.round(tookMs) });
        else ctx.io.out(describeHandOver(before, after, tookMs));
      });
    });
}
