// @ringleader/launcher: a whole ringleader cluster on this machine, made of plain processes —
// ZooKeeper servers (Debian's `zookeeper` package, a testcontainers container, or an external
// ensemble), LB nodes (`ringleader node start`) and sample backends (bin/backend.mjs). Used by
// `ringleader demo`, the integration, chaos and hostile suites, and the benchmarks.
//
//   startZooKeeper()      ZooKeeper alone (zookeeper.ts)
//   startLocalCluster()   ZooKeeper, nodes and backends together (cluster.ts)
//   startRedis(), startPostgres()   Redis / PostgreSQL for the services work (servers.ts)
//   freePorts, fourLetter, sleep   the loopback helpers they use (net.ts)
//
// The sample backend is importable in-process too: `@ringleader/launcher/backend`.

export type {
  ClusterMode,
  ExitInfo,
  LocalBackend,
  LocalCluster,
  LocalClusterOptions,
  LocalNode,
  StandbyBehaviour,
} from './cluster.js';
export { BACKEND_SCRIPT, CLI_BIN, startLocalCluster } from './cluster.js';
export { fourLetter, freePorts, sleep } from './net.js';
export type { PostgresOptions, PostgresServer, RedisOptions, RedisServer } from './servers.js';
export {
  findPostgresBin,
  HOW_TO_GET_POSTGRES,
  HOW_TO_GET_REDIS,
  startPostgres,
  startRedis,
} from './servers.js';
export type { StartOptions, ZkEnsemble, ZkServer, ZkServerMode } from './types.js';
export { HOW_TO_GET_ZOOKEEPER, startZooKeeper } from './zookeeper.js';
