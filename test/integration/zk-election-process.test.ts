// A contender in a child process (the built @ringleader/zk), SIGKILLed or SIGSTOPped while
// it leads; the other contender runs in this process so its role events are timed exactly.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sleep } from '@ringleader/launcher';
import { ZkSession } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import { buildZk, ContenderProcess } from '../fixtures/contender-process.js';
import { enterElection, until, useElectionZooKeeper } from './zk-election-helpers.js';

const SESSION_MS = 1000;
const zk = useElectionZooKeeper(buildZk);

async function childLeaderWithLocalStandby(cluster: string) {
  const child = new ContenderProcess(zk.connectString, cluster, 'child', SESSION_MS);
  zk.defer(() => child.stop());
  await until(() => child.role === 'leader', 10_000, 'the child to lead');
  const session = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS }).start();
  const { election, roles } = await enterElection(zk, session, { cluster, nodeId: 'local' });
  await until(() => election.role === 'standby', 10_000, 'the local contender to stand by');
  return { child, session, election, roles };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('leader election with a contender in a child process', () => {
  it('sigkilledLeaderIsReplacedByAStandbyWithAHigherEpoch', async () => {
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      const cluster = `p-${randomUUID().slice(0, 8)}`;
      const { child, election, roles } = await childLeaderWithLocalStandby(cluster);
      const childEpoch = child.roles().at(-1)!.epoch as number;
      const t0 = performance.now();
      child.signal('SIGKILL');
      await until(() => election.role === 'leader', SESSION_MS + 1000, 'the standby to lead');
      const ms = roles.at(-1)!.at - t0;
      runs.push(ms);
      expect(election.epoch).toBeGreaterThan(childEpoch);
      expect(roles.at(-1)).toMatchObject({ from: 'standby', to: 'leader', cause: 'elected' });
      // Bounded by the session timeout (plus one tick of the server's expiry clock).
      expect(ms).toBeLessThan(SESSION_MS + 500);
      await zk.cleanUp();
    }
    console.log(
      JSON.stringify({
        metric: 'sigkill_leader_to_new_leader_ms',
        median: Math.round(median(runs)),
        runs: runs.map(Math.round),
        sessionTimeoutMs: SESSION_MS,
        tickTimeMs: 200,
      }),
    );
  });

  it('leaderFrozenPastTheSessionTimeoutNeverClaimsTheOldEpochAgainAndRejoinsAsStandby', async () => {
    const cluster = `p-${randomUUID().slice(0, 8)}`;
    const { child, election } = await childLeaderWithLocalStandby(cluster);
    const oldEpoch = child.roles().at(-1)!.epoch as number;
    child.signal('SIGSTOP');
    await until(() => election.role === 'leader', SESSION_MS + 1000, 'the standby to take over');
    const newEpoch = election.epoch!;
    expect(newEpoch).toBeGreaterThan(oldEpoch);
    await sleep(SESSION_MS); // stays frozen well past its session timeout
    const contAt = Date.now();
    const before = child.lines.length;
    child.signal('SIGCONT');
    await until(() => child.role === 'standby', 10_000, 'the thawed child to stand by');
    const after = child.lines.slice(before);
    const states = after.filter((l) => l.type === 'state').map((l) => l.to);
    const roles = after.filter((l) => l.type === 'role');
    // It noticed: by its own clock (suspended) or, when the socket's I/O runs before the timers
    // after the thaw, by the server's verdict first (expired); then a new session.
    expect(['suspended', 'expired']).toContain(states[0]);
    const expiredAt = states.indexOf('expired');
    expect(expiredAt).toBeGreaterThanOrEqual(0);
    expect(states.indexOf('connected', expiredAt)).toBeGreaterThan(expiredAt);
    expect(roles[0]).toMatchObject({ from: 'leader', to: 'candidate', epoch: oldEpoch });
    expect(['suspended', 'expired']).toContain(roles[0]!.cause);
    // Never leader again after the thaw, for any epoch, and the old epoch is gone for good.
    expect(roles.filter((r) => r.to === 'leader')).toEqual([]);
    expect(after.every((l) => l.t >= contAt - 50)).toBe(true);
    expect(child.sequence!).toBeGreaterThan(newEpoch);
    await sleep(300);
    expect(child.role).toBe('standby');
    expect(election.role).toBe('leader');
    expect(election.epoch).toBe(newEpoch);
  });
});
