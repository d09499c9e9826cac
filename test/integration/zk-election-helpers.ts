// Shared helpers of the zk-election suites (not a test file).
import { performance } from 'node:perf_hooks';
import { startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import { LeaderElection, type RoleChange, type ZkSession } from '@ringleader/zk';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { until as poll } from './poll.js';

export interface ElectionZooKeeper {
  readonly connectString: string;
  /** Registers what the current test leaves behind (sessions, elections); undone last first. */
  defer(f: () => Promise<void>): void;
  /** Undoes what was deferred so far, ignoring failures; runs after every test too. */
  cleanUp(): Promise<void>;
}

/**
 * One standalone ZooKeeper for the file (started after `before`, e.g. a build), stopped after
 * its tests; call it once at the top of a file.
 */
export function useElectionZooKeeper(before?: () => void): ElectionZooKeeper {
  let zk: ZkEnsemble | undefined;
  let deferred: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const f of deferred.reverse()) await f().catch(() => {});
    deferred = [];
  };
  beforeAll(async () => {
    before?.();
    zk = await startZooKeeper({ servers: 1, tickTime: 200 });
  });
  afterEach(cleanUp);
  afterAll(async () => {
    await zk?.stop();
  });
  return {
    get connectString() {
      if (zk === undefined) throw new Error('useElectionZooKeeper: used before its beforeAll ran');
      return zk.connectString;
    },
    defer: (f) => {
      deferred.push(f);
    },
    cleanUp,
  };
}

/** Role changes, each with the performance.now() at which this process saw it. */
export type TimedRoles = Array<RoleChange & { at: number }>;

/**
 * Enters the election on `session` (started) once it connects; the election, then the
 * session, are closed after the test.
 */
export async function enterElection(
  zk: ElectionZooKeeper,
  session: ZkSession,
  opts: Omit<ConstructorParameters<typeof LeaderElection>[0], 'session'>,
): Promise<{ election: LeaderElection; roles: TimedRoles }> {
  const election = new LeaderElection({ session, ...opts });
  const roles: TimedRoles = [];
  election.on('role', (c) => roles.push({ ...c, at: performance.now() }));
  zk.defer(async () => {
    await election.close();
    await session.close();
  });
  await session.waitFor('connected', 10_000);
  election.start();
  return { election, roles };
}

/** Polls every 5 ms: some tests time a hand-over by when the poll sees it. */
export function until(
  cond: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return poll(cond, timeoutMs, what, 5);
}
