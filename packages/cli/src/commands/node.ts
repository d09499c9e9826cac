import type { Command } from 'commander';

export function registerNodeCommands(program: Command): void {
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
}
