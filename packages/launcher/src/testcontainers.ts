// ZooKeeper in a container via testcontainers (RINGLEADER_ZK=testcontainers), for machines
// with a container runtime but without Debian's package. One server; no chaos operations.
import type { StartOptions, ZkEnsemble } from './types.js';

/** Resolves true when a container runtime answers (rejects in ~1 ms when there is none). */
export async function containerRuntimeAvailable(): Promise<boolean> {
  try {
    const tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startContainer(opts: StartOptions): Promise<ZkEnsemble> {
  if ((opts.servers ?? 1) !== 1 || opts.chaos) {
    throw new Error(
      'the testcontainers harness provides one server without kill/pause/restart; ' +
        'ensembles and chaos tests need local servers (apt-get install zookeeper)',
    );
  }
  const tc = await import('testcontainers');
  const container = await new tc.GenericContainer(process.env.RINGLEADER_ZK_IMAGE ?? 'zookeeper:3.8')
    .withEnvironment({
      ZOO_TICK_TIME: String(opts.tickTime ?? 200),
      ZOO_4LW_COMMANDS_WHITELIST: '*',
      ZOO_ADMINSERVER_ENABLED: 'false',
    })
    .withExposedPorts(2181)
    .withWaitStrategy(tc.Wait.forLogMessage(/binding to port/i))
    .start();
  return {
    kind: 'testcontainers',
    connectString: `${container.getHost()}:${container.getMappedPort(2181)}`,
    servers: [],
    chaos: false,
    stop: async () => {
      await container.stop();
    },
  };
}
