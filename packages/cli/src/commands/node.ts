import type { NodeConfig } from '@ringleader/node';
import { ClusterAdmin, type MembershipSnapshot } from '@ringleader/zk';
import { type Command, CommanderError } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { DEFAULT_TIMEOUT_MS, parseInteger, type ZkTarget } from '../flags.js';
import { configSummary, judgeCluster } from '../node-check.js';
import { withSession } from '../zk.js';

interface CheckOpts {
  config?: string;
  zk?: string | true;
  timeout?: string;
}

export function registerNodeCommands(program: Command, ctx: CliContext): void {
  const node = program.command('node').description('run an LB node');
  node
    .command('start')
    .description('start an LB node (config from --config and/or RINGLEADER_* environment variables)')
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .addHelpText(
      'after',
      '\nExample:\n  RINGLEADER_NODE_ID=lb-1 RINGLEADER_ZK=zk1:2181 ringleader node start --config /etc/ringleader/node.yaml',
    )
    .action(async (opts: { config?: string }) => {
      // Loaded on demand: the data plane (fastify, undici, pino) is not needed by the other commands.
      const { runNode } = await import('@ringleader/node');
      await runNode(opts.config ? { configFile: opts.config } : {});
    });

  node
    .command('check')
    .description(
      'check a node config (file + RINGLEADER_* environment) as `node start` would, and with --zk the cluster znodes a node reads; exit 0 when all is well',
    )
    .option('-c, --config <file>', 'YAML or JSON configuration file')
    .option(
      '--zk [connect]',
      "also read the cluster's config, backends and services (default: the config's zookeeper.connect)",
    )
    .option('--timeout <ms>', `ZooKeeper connect deadline in ms (default ${DEFAULT_TIMEOUT_MS})`)
    .addHelpText(
      'after',
      '\nExit codes: 0 valid, 2 the config or a znode is invalid (the messages a start or a node would give), 1 ZooKeeper unreachable.\n' +
        'Example:\n  RINGLEADER_NODE_ID=lb-2 ringleader node check --config /etc/ringleader/node.yaml --zk',
    )
    .action(async (opts: CheckOpts) => {
      const { ConfigError, loadNodeConfig } = await import('@ringleader/node');
      let config: NodeConfig;
      try {
        config = loadNodeConfig({
          ...(opts.config ? { file: opts.config } : {}),
          env: ctx.env,
          readFile: (p) => ctx.readFile(p),
        });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // Word for word what `node start` prints (process.ts), and its exit code 2.
        ctx.io.err(`ringleader: ${err.message}\n`);
        throw new CommanderError(2, err.code, err.message);
      }
      ctx.io.out(`${configSummary(config, opts.config)}\n`);
      if (opts.zk === undefined) return;
      const target: ZkTarget = {
        connect: opts.zk === true ? config.zookeeper.connect : opts.zk,
        cluster: config.cluster,
        timeoutMs:
          opts.timeout === undefined
            ? DEFAULT_TIMEOUT_MS
            : parseInteger('--timeout', opts.timeout, 100, 600_000),
        ...(config.zookeeper.auth ? { auth: config.zookeeper.auth } : {}),
        ...(config.zookeeper.backendAuth ? { backendAuth: config.zookeeper.backendAuth } : {}),
      };
      const verdict = await withSession(target, async (session) => {
        const admin = new ClusterAdmin({ session, cluster: target.cluster });
        const services = await admin.listServices();
        const serviceBackends = new Map<string, MembershipSnapshot>();
        for (const s of services) {
          const scoped = new ClusterAdmin({ session, cluster: target.cluster, service: s.name });
          serviceBackends.set(s.name, await scoped.listBackends());
        }
        return judgeCluster(
          {
            config: await admin.getConfig(),
            configPath: admin.paths.config,
            backends: await admin.listBackends(),
            services,
            serviceBackends,
          },
          target.cluster,
        );
      });
      ctx.io.out(`${verdict.summary} (${target.connect})\n`);
      if (verdict.problems.length > 0)
        throw new CliError(
          'RL_CLI_CHECK_FAILED',
          `${verdict.problems.length} znode(s) a node would reject:\n${verdict.problems.map((p) => `  - ${p}`).join('\n')}\n`,
        );
    });
}
