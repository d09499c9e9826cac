// startZooKeeper(): real ZooKeeper for the demo, the tests and the benchmarks.
//
// Which servers you get:
//   RINGLEADER_ZK_CONNECT=host:port,…   an existing ensemble (servers: [], chaos: false) — except
//                                       for callers that pass `chaos: true`, which always get
//                                       local servers of their own (an external ensemble is
//                                       never killed or paused).
//   RINGLEADER_ZK=testcontainers        the `zookeeper` image, when a container runtime answers.
//   otherwise                           local java processes from Debian's `zookeeper` package.
// When none is possible it fails fast and says how to get one.
// Servers do not keep the event loop alive: a script that ends stops them (exit hook), and a
// guardian shell kills them if this process is SIGKILLed. Scripts that serve must stay alive.
import { localZooKeeperAvailable, startLocal } from './local.js';
import { containerRuntimeAvailable, startContainer } from './testcontainers.js';
import type { StartOptions, ZkEnsemble } from './types.js';

export const HOW_TO_GET_ZOOKEEPER =
  "no ZooKeeper available: install Debian's package (`apt-get install zookeeper`, or run scripts/setup.sh), " +
  'or set RINGLEADER_ZK_CONNECT=host:port to use a running ensemble, ' +
  'or set RINGLEADER_ZK=testcontainers on a machine with a container runtime';

export async function startZooKeeper(opts: StartOptions = {}): Promise<ZkEnsemble> {
  const external = process.env.RINGLEADER_ZK_CONNECT;
  if (external && !opts.chaos) {
    return { kind: 'external', connectString: external, servers: [], chaos: false, stop: async () => {} };
  }
  if (process.env.RINGLEADER_ZK === 'testcontainers' && !opts.chaos) {
    if (await containerRuntimeAvailable()) return startContainer(opts);
    if (!localZooKeeperAvailable()) {
      throw new Error(
        `RINGLEADER_ZK=testcontainers but no container runtime answers; ${HOW_TO_GET_ZOOKEEPER}`,
      );
    }
    process.stderr.write(
      '[zk-harness] RINGLEADER_ZK=testcontainers: no container runtime answers; local servers\n',
    );
  }
  if (!localZooKeeperAvailable()) throw new Error(HOW_TO_GET_ZOOKEEPER);
  return startLocal(opts);
}
