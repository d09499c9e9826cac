// Process lifecycle around a RingleaderNode: load config (or exit non-zero naming every
// problem), start, and turn signals into a graceful stop. Used by `ringleader node start`.
import { ConfigError, loadNodeConfig } from './config/load.js';
import { installDashboard } from './control/dashboard/index.js';
import { ListenError } from './listen-error.js';
import { createNodeLogger } from './logging.js';
import { RingleaderNode, type StartOptions } from './node.js';

export interface RunOptions extends StartOptions {
  readonly configFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Where fatal configuration errors are written (default stderr). */
  readonly stderr?: (text: string) => void;
}

/** Starts a node for this process; resolves with it once listening, or exits non-zero on bad config. */
export async function runNode(opts: RunOptions = {}): Promise<RingleaderNode | undefined> {
  const stderr = opts.stderr ?? ((t: string) => process.stderr.write(t));
  let node: RingleaderNode;
  try {
    const config = loadNodeConfig({
      ...(opts.configFile ? { file: opts.configFile } : {}),
      env: opts.env ?? process.env,
    });
    const logger = opts.logger ?? createNodeLogger({ level: config.log.level, format: config.log.format });
    node = new RingleaderNode(config, { logger });
  } catch (err) {
    if (err instanceof ConfigError) {
      stderr(`ringleader: ${err.message}\n`);
      process.exitCode = 2;
      return undefined;
    }
    throw err;
  }

  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signalled++;
    if (signalled > 1) {
      node.log.warn({ signal }, 'second signal: exiting without draining');
      process.exit(1);
    }
    node.stop(`signal ${signal}`).then(
      () => process.exit(0),
      (err: unknown) => {
        node.log.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP reloads the proxy's TLS certificate (tls.ts); it never stops the node.
  process.on('SIGHUP', () => node.reloadTls());
  // A bug in a listener must not take the node down silently; it is logged and the node goes on.
  process.on('uncaughtException', (err) => node.log.fatal({ err }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => node.log.error({ err }, 'unhandled rejection'));

  try {
    await node.start({
      ...opts,
      // The operator dashboard on the admin port (control/dashboard/index.ts).
      extendAdmin: async (app, n) => {
        installDashboard(app, n);
        await opts.extendAdmin?.(app, n);
      },
    });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = err instanceof ListenError ? err.message : (err as Error).message;
    node.log.fatal({ err, code }, `node could not start: ${why}`);
    // Also one plain line on stderr, as a bad config gives: the JSON log may go to a collector.
    stderr(`ringleader: node could not start: ${why}${code ? ` [${code}]` : ''}\n`);
    await node.stop('start failed').catch(() => {});
    process.exitCode = 1;
    return undefined;
  }
  return node;
}
