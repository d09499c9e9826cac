// Leader election against a real standalone server, contenders in this process:
// one leader with the lowest sequence, failover on session close, hand-over on resign,
// and the node registry's re-creation after a new session.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type CreateMode, type LeaderElection, NodeRegistry, ZkSession, zkError } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import { enterElection, type TimedRoles, until, useElectionZooKeeper } from './zk-election-helpers.js';

const SESSION_MS = 1500;
const zk = useElectionZooKeeper();

interface Contender {
  id: string;
  session: ZkSession;
  election: LeaderElection;
  roles: TimedRoles;
}

async function contender(cluster: string, id: string): Promise<Contender> {
  const session = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS }).start();
  const { election, roles } = await enterElection(zk, session, {
    cluster,
    nodeId: id,
    urls: { proxyUrl: `http://127.0.0.1:1/${id}`, adminUrl: `http://127.0.0.1:2/${id}` },
  });
  return { id, session, election, roles };
}

const settled = (cs: Contender[]) => cs.every((c) => c.election.role !== 'candidate');
const leaders = (cs: Contender[]) => cs.filter((c) => c.election.role === 'leader');

async function threeContenders(): Promise<{ cluster: string; cs: Contender[] }> {
  const cluster = `t-${randomUUID().slice(0, 8)}`;
  const cs: Contender[] = [];
  for (const id of ['a', 'b', 'c']) cs.push(await contender(cluster, id));
  await until(() => settled(cs), 10_000, 'three contenders to settle');
  return { cluster, cs };
}

describe('leader election (one server, contenders in-process)', () => {
  it('threeContendersElectExactlyOneLeaderWithTheLowestSequenceAsEpoch', async () => {
    const { cs } = await threeContenders();
    const ls = leaders(cs);
    expect(ls).toHaveLength(1);
    const leader = ls[0]!;
    const seqs = cs.map((c) => c.election.sequence!);
    expect(leader.election.epoch).toBe(Math.min(...seqs));
    // The election folder is the authority; the `leader` znode mirrors it for observers.
    const current = await cs[2]!.election.currentLeader();
    expect(current).toMatchObject({
      id: leader.id,
      epoch: leader.election.epoch,
      sessionId: leader.session.sessionId,
    });
    let found = false;
    const probe = () => cs[1]!.session.exists(leader.election.paths.leader).then((s) => (found = s !== null));
    // The leader writes this znode after it leads: how long after depends on the machine's load.
    await until(probe, 10_000, 'the leader znode');
    expect(found).toBe(true);
    const { data, stat } = await cs[1]!.session.getData(leader.election.paths.leader);
    const payload = JSON.parse(data.toString());
    expect(payload).toMatchObject({
      id: leader.id,
      epoch: leader.election.epoch,
      proxyUrl: `http://127.0.0.1:1/${leader.id}`,
    });
    expect(stat.ephemeralOwner).toBe(leader.session.sessionId);
    // Standbys report the leader's epoch; nobody reported leader but the leader.
    for (const c of cs.filter((x) => x !== leader)) {
      expect(c.election.role).toBe('standby');
      expect(c.roles.at(-1)).toMatchObject({
        to: 'standby',
        epoch: leader.election.epoch,
        cause: 'predecessor',
      });
      expect(c.roles.some((r) => r.to === 'leader')).toBe(false);
    }
    expect(leader.election.leaseValidUntil()).toBeGreaterThan(performance.now());
  });

  it('closingTheLeadersSessionHandsLeadershipToTheNextWithinTheSessionTimeout', async () => {
    const { cs } = await threeContenders();
    const leader = leaders(cs)[0]!;
    const oldEpoch = leader.election.epoch!;
    const rest = cs.filter((c) => c !== leader);
    const t0 = performance.now();
    await leader.session.close();
    await until(() => leaders(rest).length === 1, SESSION_MS + 500, 'a new leader');
    const next = leaders(rest)[0]!;
    const ms = performance.now() - t0;
    console.log(
      JSON.stringify({
        metric: 'session_close_to_new_leader_ms',
        value: Math.round(ms),
        sessionTimeoutMs: SESSION_MS,
      }),
    );
    expect(next.election.epoch).toBeGreaterThan(oldEpoch);
    // The lower of the two remaining sequences leads; the other stands by.
    expect(next.election.sequence).toBe(Math.min(...rest.map((c) => c.election.sequence!)));
    expect(leaders(cs).filter((c) => c !== leader)).toHaveLength(1);
  });

  it('resignHandsOverWithoutWaitingForAnyTimeout', async () => {
    const { cs } = await threeContenders();
    const leader = leaders(cs)[0]!;
    const oldEpoch = leader.election.epoch!;
    const t0 = performance.now();
    await leader.election.resign();
    expect(leader.election.role).not.toBe('leader');
    await until(() => leaders(cs).length === 1 && leaders(cs)[0] !== leader, 1000, 'hand-over');
    const ms = performance.now() - t0;
    console.log(JSON.stringify({ metric: 'resign_to_new_leader_ms', value: Math.round(ms) }));
    expect(ms).toBeLessThan(SESSION_MS / 2);
    expect(leaders(cs)[0]!.election.epoch).toBeGreaterThan(oldEpoch);
    // The resigned node re-entered at the back of the line.
    await until(() => leader.election.role === 'standby', 10_000, 'the old leader to stand by');
    expect(leader.election.sequence).toBe(Math.max(...cs.map((c) => c.election.sequence!)));
    expect(leader.roles.map((r) => `${r.to}:${r.cause}`).slice(-2)).toEqual([
      'candidate:resigned',
      'standby:predecessor',
    ]);
  });

  it('deletedElectionZnodeIsReplacedAndTheLeaderStepsDown', async () => {
    const { cs } = await threeContenders();
    const leader = leaders(cs)[0]!;
    const path = `${leader.election.paths.election}/${(await leader.election.currentLeader())!.path.split('/').pop()}`;
    await cs.find((c) => c !== leader)!.session.remove(path); // an operator deletes it
    await until(() => leaders(cs).length === 1 && leaders(cs)[0] !== leader, 10_000, 'the next leader');
    await until(() => leader.election.role === 'standby', 10_000, 'the old leader to re-enter');
    expect(leader.roles.some((r) => r.cause === 'node-lost')).toBe(true);
  });
});

describe('leader election faults', () => {
  it('electionCreateWhoseReplyWasLostIsFoundByItsGuidAndNotDuplicated', async () => {
    const cluster = `t-${randomUUID().slice(0, 8)}`;
    // The create reaches the real server and is applied; only its reply is lost on the way back.
    class LossySession extends ZkSession {
      lost = 0;
      override async create(path: string, data?: Buffer | string | null, mode?: CreateMode): Promise<string> {
        const created = await super.create(path, data, mode);
        if (mode === 'ephemeral-sequential' && this.lost++ === 0) {
          throw zkError('RL_ZK_TIMEOUT', `create ${path} (reply dropped by the test)`);
        }
        return created;
      }
    }
    const session = new LossySession({
      connectString: zk.connectString,
      sessionTimeoutMs: SESSION_MS,
    }).start();
    const { election } = await enterElection(zk, session, { cluster, nodeId: 'lossy' });
    await until(() => election.role === 'leader', 10_000, 'leadership');
    const { children } = await session.getChildren(election.paths.election);
    expect(session.lost).toBe(1);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatch(/^_c_[0-9a-f-]{36}-n_\d{10}$/);
    expect(election.sequence).toBe(Number(children[0]!.slice(-10)));
  });
});

describe('node registry', () => {
  it('registryRecreatesItsEphemeralAfterSessionExpiry', async () => {
    const cluster = `t-${randomUUID().slice(0, 8)}`;
    const session = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 1000 }).start();
    const observer = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 4000 }).start();
    const info = {
      id: 'n1',
      host: '127.0.0.1',
      proxyPort: 1,
      adminPort: 2,
      mode: 'active-passive',
      version: '0',
      startedAt: new Date().toISOString(),
    };
    const reg = new NodeRegistry({ session, cluster, info });
    zk.defer(async () => {
      await reg.close();
      await session.close();
      await observer.close();
    });
    const registered: number[] = [];
    reg.on('registered', (r) => registered.push(r.generation));
    await session.waitFor('connected', 10_000);
    reg.start();
    await until(() => registered.length === 1, 10_000, 'registration');
    const first = await observer.getData(reg.path);
    expect(JSON.parse(first.data.toString())).toEqual(info);
    expect(first.stat.ephemeralOwner).toBe(session.sessionId);
    await reg.update({ ...info, mode: 'active-active' });
    expect(JSON.parse((await observer.getData(reg.path)).data.toString()).mode).toBe('active-active');
    // The server expires the session: a new one registers again.
    await session.injectExpiry();
    await until(() => registered.length === 2, 10_000, 're-registration');
    expect(registered).toEqual([0, 1]);
    const again = await observer.getData(reg.path);
    expect(again.stat.ephemeralOwner).toBe(session.sessionId);
    expect(JSON.parse(again.data.toString()).mode).toBe('active-active');
    await reg.close();
    expect(await observer.exists(reg.path)).toBeNull();
  });

  it('registryWaitsForAnotherSessionsZnodeOfTheSameIdToGoAway', async () => {
    const cluster = `t-${randomUUID().slice(0, 8)}`;
    const info = {
      id: 'dup',
      host: 'h',
      proxyPort: 1,
      adminPort: 2,
      mode: 'm',
      version: 'v',
      startedAt: 's',
    };
    const s1 = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 2000 }).start();
    const s2 = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 2000 }).start();
    const r1 = new NodeRegistry({ session: s1, cluster, info });
    const r2 = new NodeRegistry({ session: s2, cluster, info });
    zk.defer(async () => {
      await r1.close();
      await r2.close();
      await s1.close();
      await s2.close();
    });
    await Promise.all([s1.waitFor('connected', 10_000), s2.waitFor('connected', 10_000)]);
    r1.start();
    await until(() => r1.state === 'registered', 10_000, 'first registration');
    const conflicts: string[] = [];
    r2.on('conflict', (e) => conflicts.push(e.code));
    r2.start();
    await until(() => r2.state === 'waiting', 10_000, 'conflict');
    expect(conflicts).toEqual(['RL_ZK_NODE_ID_TAKEN']);
    await s1.close(); // its ephemeral goes; the waiting registry takes the id at once
    await until(() => r2.state === 'registered', 2000, 'take-over');
    expect((await s2.exists(r2.path))?.ephemeralOwner).toBe(s2.sessionId);
  });
});
