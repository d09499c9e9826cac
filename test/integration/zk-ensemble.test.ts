// A real 3-server ensemble: the server a leader is attached to dies (its session moves, no
// expiry, no role change); two of three stop (everyone suspends, the leader stops leading);
// they come back (one leader again). Roles are sampled all along: never two leaders at once.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sleep, startZooKeeper, type ZkEnsemble, type ZkServer } from '@ringleader/launcher';
import { LeaderElection, type RoleChange, type SessionStateChange, ZkSession } from '@ringleader/zk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from './zk-election-helpers.js';

const SESSION_MS = 2000;
let zk: ZkEnsemble;
let cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 3, chaos: true, tickTime: 200 });
});
afterEach(async () => {
  for (const f of cleanup.reverse()) await f().catch(() => {});
  cleanup = [];
  // Every test starts from a full ensemble.
  for (const s of zk.servers) if (!s.running) await s.restart();
});
afterAll(async () => {
  await zk?.stop();
});

interface Contender {
  id: string;
  session: ZkSession;
  election: LeaderElection;
  roles: RoleChange[];
  states: SessionStateChange[];
}

async function contenders(): Promise<Contender[]> {
  const cluster = `e-${randomUUID().slice(0, 8)}`;
  const cs: Contender[] = [];
  for (const id of ['a', 'b', 'c']) {
    const session = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS }).start();
    const election = new LeaderElection({ session, cluster, nodeId: id });
    const c: Contender = { id, session, election, roles: [], states: [] };
    election.on('role', (r) => c.roles.push(r));
    session.on('state', (s) => c.states.push(s));
    cleanup.push(async () => {
      await election.close();
      await session.close();
    });
    await session.waitFor('connected', 10_000);
    election.start();
    cs.push(c);
  }
  await until(() => cs.every((c) => c.election.role !== 'candidate'), 10_000, 'contenders to settle');
  return cs;
}

/** Samples every contender's role every few ms; remembers the most leaders seen at once. */
function sampleRoles(cs: Contender[]): { max: () => number; stop: () => void } {
  let max = 0;
  const timer = setInterval(() => {
    max = Math.max(max, cs.filter((c) => c.election.role === 'leader').length);
  }, 2);
  return { max: () => max, stop: () => clearInterval(timer) };
}

function attachedServer(c: Contender): ZkServer | undefined {
  const port = Number(c.session.connectedServer?.split(':').pop());
  return zk.servers.find((s) => s.clientPort === port);
}

const leaders = (cs: Contender[]) => cs.filter((c) => c.election.role === 'leader');

describe('3-server ensemble', () => {
  it('killingTheServerTheLeaderIsAttachedToMovesItsSessionWithoutExpiryOrRoleChange', async () => {
    const cs = await contenders();
    const sampler = sampleRoles(cs);
    const leader = leaders(cs)[0]!;
    const server = attachedServer(leader)!;
    expect(server).toBeDefined();
    const mode = await server.mode();
    const before = cs.map((c) => ({
      id: c.session.sessionId,
      gen: c.session.generation,
      roles: c.roles.length,
    }));
    const t0 = performance.now();
    await server.kill();
    await until(
      () => {
        const now = attachedServer(leader);
        return now !== undefined && now !== server;
      },
      SESSION_MS,
      'the leader session to move',
    );
    const movedMs = performance.now() - t0;
    await sleep(SESSION_MS); // give any (wrong) expiry or role change time to show
    sampler.stop();
    console.log(
      JSON.stringify({
        metric: 'session_move_after_server_kill_ms',
        value: Math.round(movedMs),
        killedServerMode: mode,
        sessionTimeoutMs: SESSION_MS,
      }),
    );
    cs.forEach((c, i) => {
      expect(c.session.sessionId, c.id).toBe(before[i]!.id);
      expect(c.session.generation, c.id).toBe(before[i]!.gen);
      expect(
        c.states.filter((s) => s.to === 'expired'),
        c.id,
      ).toEqual([]);
      expect(c.roles.length, `${c.id} role events`).toBe(before[i]!.roles);
    });
    expect(leader.election.role).toBe('leader');
    expect(sampler.max()).toBe(1);
  });

  it('losingQuorumSuspendsEveryoneAndStopsTheLeaderThenExactlyOneLeaderReturns', async () => {
    const cs = await contenders();
    const sampler = sampleRoles(cs);
    const leader = leaders(cs)[0]!;
    const oldEpoch = leader.election.epoch!;
    const [keep, ...stopped] = zk.servers;
    const t0 = performance.now();
    await Promise.all(stopped.map((s) => s.stop()));
    expect(keep!.running).toBe(true);
    await until(
      () => cs.every((c) => c.session.state === 'suspended'),
      SESSION_MS + 1000,
      'every session to suspend',
    );
    const suspendedMs = performance.now() - t0;
    expect(leaders(cs)).toEqual([]);
    expect(leader.roles.at(-1)).toMatchObject({
      from: 'leader',
      to: 'candidate',
      epoch: oldEpoch,
      cause: 'suspended',
    });
    await sleep(500);
    expect(leaders(cs)).toEqual([]); // nobody can lead without a quorum
    await Promise.all(stopped.map((s) => s.restart({ wait: false })));
    await Promise.all(stopped.map((s) => s.waitServing()));
    await until(
      () => leaders(cs).length === 1 && cs.every((c) => c.election.role !== 'candidate'),
      3 * SESSION_MS + 5000,
      'one leader again',
    );
    await sleep(300);
    sampler.stop();
    const again = leaders(cs)[0]!;
    console.log(
      JSON.stringify({
        metric: 'quorum_loss_suspended_after_ms',
        value: Math.round(suspendedMs),
        sessionTimeoutMs: SESSION_MS,
        epochBefore: oldEpoch,
        epochAfter: again.election.epoch,
        expired: cs.filter((c) => c.states.some((s) => s.to === 'expired')).length,
      }),
    );
    expect(again.election.epoch).toBeGreaterThanOrEqual(oldEpoch);
    expect(sampler.max()).toBe(1);
  });
});
