// The shapes startZooKeeper() hands to the demo, the tests and the benchmarks.

export type ZkServerMode = 'standalone' | 'leader' | 'follower' | 'observer';

export interface ZkServer {
  /** 1-based server id (myid). */
  readonly id: number;
  readonly clientPort: number;
  /** `127.0.0.1:<clientPort>`: this server alone. */
  readonly connectString: string;
  /** The java process id, undefined while the server is down. */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** SIGKILL, and wait for the process to end. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 5 s), and wait. */
  stop(): Promise<void>;
  /** Stop if running, start again with the same config and data; waits until it serves unless wait: false. */
  restart(opts?: { wait?: boolean }): Promise<void>;
  /** SIGSTOP: the server goes silent without closing any socket. */
  pause(): Promise<void>;
  /** SIGCONT. */
  resume(): Promise<void>;
  /** Waits until `srvr` reports a mode (standalone, or leader/follower once in quorum). */
  waitServing(timeoutMs?: number): Promise<ZkServerMode>;
  /** The mode `srvr` reports now, undefined when not serving. */
  mode(): Promise<ZkServerMode | undefined>;
}

export interface ZkEnsemble {
  /** How it was provided: local processes, a testcontainers container, or an external ensemble. */
  readonly kind: 'local' | 'testcontainers' | 'external';
  /** All servers, comma-separated. */
  readonly connectString: string;
  /** Empty for an external ensemble. */
  readonly servers: readonly ZkServer[];
  /** True when servers can be killed, paused and restarted (local processes). */
  readonly chaos: boolean;
  /** Stops every server it started and removes temp dirs; a no-op for an external ensemble. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly servers?: 1 | 3;
  /** ZooKeeper tickTime in ms (default 200: sessions from 400 ms to 4 s). */
  readonly tickTime?: number;
  /** Where temp data dirs go (default the OS temp dir). */
  readonly dataDirRoot?: string;
  /** slf4j-simple level of the servers' logs (written to a file in their data dir). Default 'warn'. */
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /**
   * The caller will kill/pause/restart servers. Such callers always get servers of their own
   * (local processes), even when RINGLEADER_ZK_CONNECT names an external ensemble.
   */
  readonly chaos?: boolean;
  readonly startTimeoutMs?: number;
}
