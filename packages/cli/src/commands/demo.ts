// `ringleader demo` (a whole cluster on this machine with live traffic; see ../demo-run.ts) and
// `ringleader demo kill-leader` (from another terminal: finds the running demo through its state
// file and signals its leader's process).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { type DemoFlags, planDemo, planKill } from '../demo-plan.js';
import { chooseDemo, type DemoNodeInfo, demoStateDir, pidAlive, readDemoStates } from '../demo-state.js';
import { CliError } from '../errors.js';
import { requestJson } from '../http.js';

interface LeaderFound {
  readonly node: DemoNodeInfo;
  readonly epoch: number | null;
}

/** The demo node whose own /status says it leads and serves. */
async function findLeader(nodes: readonly DemoNodeInfo[]): Promise<LeaderFound | undefined> {
  const answers = await Promise.all(
    nodes
      .filter((n) => n.pid !== null)
      .map(async (node) => {
        try {
          const r = await requestJson(`${node.adminUrl}/status`, { timeoutMs: 1000 });
          const b = r.body as { role?: string; serving?: boolean; epoch?: number | null };
          return r.status === 200 && b.role === 'leader' && b.serving === true
            ? { node, epoch: b.epoch ?? null }
            : undefined;
        } catch {
          return undefined;
        }
      }),
  );
  return answers.find((a) => a !== undefined);
}

/** On Linux, check the pid still runs the node (a pid could have been reused). */
function runsRingleader(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ringleader');
  } catch {
    return process.platform !== 'linux';
  }
}

export function registerDemoCommands(program: Command, ctx: CliContext): void {
  const demo = program
    .command('demo')
    .description(
      'run a local cluster with live traffic: 3 ZooKeeper servers, 3 LB nodes, 4 backends, Redis and PostgreSQL services (Ctrl-C stops all)',
    )
    .option('--rate <n>', 'requests per second, spread over the three proxy ports (default 100)')
    .option('--standby <mode>', 'what standbys do with traffic: forward (default) or reject')
    .option('--session-timeout <ms>', 'the nodes’ ZooKeeper session timeout, 500..4000 (default 2000)')
    .option('--duration <s>', 'stop after this many seconds of traffic and exit 0 (default: until Ctrl-C)')
    .option('--kill-leader-after <s>', 'SIGKILL the leader this many seconds after traffic starts')
    .option('--restart-after <s>', 'restart a node that died after this many seconds; 0: never (default 5)')
    .option('--keep-logs', 'keep the processes’ log files after exit')
    .addHelpText(
      'after',
      `
Needs a built checkout (scripts/demo.sh runs scripts/setup.sh first) and Debian's zookeeper package.
Each backend answers with its id, so the share per backend shows the routing. Every proxied request
reaches the backend with x-ringleader-node and x-ringleader-epoch; the live line shows both.
With Debian's redis-server and postgresql it also defines the services cache (Redis, port 6390) and
db (PostgreSQL, port 5440) on every node's service host 127.0.0.1/.2/.3, with traffic on each; a
missing package leaves that tier out. Try them: redis-cli -h 127.0.0.1 -p 6390 ping,
psql -h 127.0.0.1 -p 5440 -U postgres.

Examples:
  ringleader demo
  ringleader demo kill-leader                  # in another terminal: SIGKILL the leader, watch the failover
  ringleader demo kill-leader --signal SIGTERM # graceful hand-over: no request fails
  ringleader demo --duration 12 --kill-leader-after 5   # self-contained showcase, exits 0`,
    )
    .action(async (flags: DemoFlags) => {
      const plan = planDemo(flags);
      const { runDemo } = await import('../demo-run.js');
      const code = await runDemo(plan, ctx.io);
      if (code !== 0) process.exitCode = code;
    });

  demo
    .command('kill-leader')
    .description('signal the leader of the running demo (SIGKILL by default) to watch a failover')
    .option('--signal <sig>', 'SIGKILL (default: a crash) or SIGTERM (graceful hand-over)')
    .option('--demo <pid>', 'which demo, when several run (default: the newest)')
    .addHelpText(
      'after',
      `
The running demo is found through its state file in ${demoStateDir()}/<pid>.json; the leader is the
node whose admin API (GET /status) says it leads and serves.
Example:
  ringleader demo kill-leader`,
    )
    .action(async (flags: { signal?: string; demo?: string }) => {
      const plan = planKill(flags);
      const choice = chooseDemo(readDemoStates(pidAlive), pidAlive, plan.demoPid);
      if (!choice.ok) throw new CliError('RL_CLI_DEMO', choice.reason);
      const state = choice.state;
      const leader = await findLeader(state.nodes);
      if (leader === undefined || leader.node.pid === null) {
        throw new CliError(
          'RL_CLI_NO_LEADER',
          `no node of the demo (pid ${state.pid}) leads right now — a failover may be in progress; try again in a second`,
        );
      }
      const pid = leader.node.pid;
      if (!pidAlive(pid) || !runsRingleader(pid)) {
        throw new CliError(
          'RL_CLI_DEMO',
          `pid ${pid} recorded for ${leader.node.id} no longer runs it (the demo rewrites ${state.pid}.json on restarts; try again)`,
        );
      }
      process.kill(pid, plan.signal);
      ctx.io.out(
        `sent ${plan.signal} to the leader ${leader.node.id} (pid ${pid}, epoch ${leader.epoch ?? '?'}) ` +
          `of the demo with pid ${state.pid}; its terminal shows the ${plan.signal === 'SIGKILL' ? 'failover' : 'hand-over'}\n`,
      );
    });
}
