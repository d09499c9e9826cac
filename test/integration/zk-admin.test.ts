// Cluster admin helpers against a real standalone server: validation before any write,
// typed errors, racing writers that never overwrite each other, and the status read.
import { DEFAULT_CLUSTER_CONFIG } from '@ringleader/core';
import { startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import {
  ClusterAdmin,
  LeaderElection,
  NodeRegistry,
  type RoleChange,
  readClusterStatus,
  type ZkSession,
} from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession, uniqueCluster } from './zk-membership-helpers.js';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 1, tickTime: 200 });
});
afterAll(async () => {
  for (const c of closers) await c();
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

async function adminOn(cluster: string, maxAttempts?: number) {
  const s = openSession(sessions, zk.connectString);
  await s.waitFor('connected');
  return {
    session: s,
    admin: new ClusterAdmin({ session: s, cluster, ...(maxAttempts ? { maxAttempts } : {}) }),
  };
}

describe('cluster admin', () => {
  it('invalidBackendIsRefusedBeforeAnythingIsWrittenAndDuplicatesAreTypedErrors', async () => {
    const { session, admin } = await adminOn(uniqueCluster('a-valid'));
    await admin.ensureClusterPaths();
    await expect(admin.addBackend('web-1', { host: '127.0.0.1', port: 70000 })).rejects.toMatchObject({
      code: 'RL_BAD_BACKEND_PAYLOAD',
      field: 'port',
      path: admin.paths.backend('web-1'),
    });
    expect(await session.exists(admin.paths.backend('web-1'))).toBeNull();
    await expect(admin.addBackend('bad/id', { host: 'h', port: 1 })).rejects.toMatchObject({
      code: 'RL_ZK_BAD_PATH',
    });

    const rec = await admin.addBackend('web-1', { host: '127.0.0.1', port: 8080 });
    expect(rec).toMatchObject({
      version: 0,
      backend: { id: 'web-1', weight: 1, state: 'active', format: 'native' },
    });
    await expect(admin.addBackend('web-1', { host: '127.0.0.1', port: 9090 })).rejects.toMatchObject({
      code: 'RL_ZK_NODE_EXISTS',
      field: 'id',
    });
    await expect(admin.updateBackend('web-1', { weight: 5000 })).rejects.toMatchObject({ field: 'weight' });
    expect((await admin.getBackend('web-1')).version).toBe(0); // nothing written
    await expect(admin.updateBackend('nope', { weight: 2 })).rejects.toMatchObject({ code: 'RL_ZK_NO_NODE' });
    await expect(admin.removeBackend('nope')).rejects.toMatchObject({ code: 'RL_ZK_NO_NODE' });
    await admin.removeBackend('web-1');
    expect(await session.exists(admin.paths.backend('web-1'))).toBeNull();
  });

  it('addBackendRecreatesAFolderAnOperatorDeletedAndEphemeralBackendsLeaveWithTheirSession', async () => {
    const cluster = uniqueCluster('a-eph');
    const { session, admin } = await adminOn(cluster);
    await admin.addBackend('self', { host: '127.0.0.1', port: 8080 }, { ephemeral: true });
    expect((await session.exists(admin.paths.backend('self')))?.ephemeralOwner).toBe(session.sessionId);
    const other = await adminOn(cluster);
    expect((await other.admin.listBackends()).backends.map((b) => b.id)).toEqual(['self']);
    await session.close();
    expect((await other.admin.listBackends()).backends).toEqual([]);
  });

  it('twoWritersRacingOnUpdateBackendNeverOverwriteEachOther', async () => {
    const cluster = uniqueCluster('a-race');
    const a = await adminOn(cluster, 100);
    const b = await adminOn(cluster, 100);
    await a.admin.addBackend('web-1', { host: '127.0.0.1', port: 8080 });
    const rounds = 40;
    // Each writer bumps its own meta key; a lost update would leave one behind.
    const run = async (admin: ClusterAdmin, key: string) => {
      for (let i = 1; i <= rounds; i++) await admin.updateBackend('web-1', { meta: { [key]: i } });
    };
    await Promise.all([run(a.admin, 'a'), run(b.admin, 'b')]);
    const final = await a.admin.getBackend('web-1');
    expect(final.backend.meta).toEqual({ a: rounds, b: rounds });
    expect(final.version).toBe(2 * rounds); // exactly one write per update: none lost, none doubled

    // With expectedVersion the loser is told, not retried: it must re-read.
    const v = final.version;
    await a.admin.updateBackend('web-1', { weight: 3 }, { expectedVersion: v });
    await expect(b.admin.updateBackend('web-1', { weight: 9 }, { expectedVersion: v })).rejects.toMatchObject(
      {
        code: 'RL_ZK_BAD_VERSION',
      },
    );
    await expect(b.admin.removeBackend('web-1', { expectedVersion: v })).rejects.toMatchObject({
      code: 'RL_ZK_BAD_VERSION',
    });
    expect((await b.admin.getBackend('web-1')).backend.weight).toBe(3);
  });

  it('racingConfigWritersMergeTheirPatchesAndInvalidPatchesWriteNothing', async () => {
    const cluster = uniqueCluster('a-config');
    const a = await adminOn(cluster, 100);
    const b = await adminOn(cluster, 100);
    expect(await a.admin.getConfig()).toEqual({ exists: false, version: -1 });
    await expect(b.admin.setConfig({ retries: 1 })).rejects.toMatchObject({
      code: 'RL_BAD_CONFIG',
      field: 'policy',
    });
    await a.admin.setConfig({ policy: 'round-robin' });
    await Promise.all([
      a.admin.setConfig({ policy: 'least-connections' }),
      b.admin.setConfig({ retries: 1 }),
    ]);
    const stored = await a.admin.getConfig();
    expect(stored.raw).toEqual({ policy: 'least-connections', retries: 1 });
    expect(stored.config?.healthCheck).toEqual(DEFAULT_CLUSTER_CONFIG.healthCheck);
    await expect(a.admin.setConfig({ ring: { vnodes: 0 } })).rejects.toMatchObject({ field: 'ring.vnodes' });
    expect((await a.admin.getConfig()).version).toBe(stored.version);
  });

  it('foreignFormatBackendsAreNotRewritten', async () => {
    const { session, admin } = await adminOn(uniqueCluster('a-foreign'));
    await admin.ensureClusterPaths();
    const ss = JSON.stringify({
      serviceEndpoint: { host: '10.0.0.1', port: 80 },
      additionalEndpoints: {},
      status: 'ALIVE',
    });
    await session.create(admin.paths.backend('member_0000000001'), ss);
    await expect(admin.drainBackend('member_0000000001')).rejects.toMatchObject({
      code: 'RL_ZK_FOREIGN_PAYLOAD',
    });
    expect((await session.getData(admin.paths.backend('member_0000000001'))).data.toString()).toBe(ss);
  });

  it('readClusterStatusShowsNodesElectionOrderLeaderBackendsAndConfig', async () => {
    const cluster = uniqueCluster('a-status');
    const { session, admin } = await adminOn(cluster);
    await admin.ensureClusterPaths();
    await admin.addBackend('web-1', { host: '127.0.0.1', port: 8080 });
    await admin.setConfig({ policy: 'round-robin' });
    const lead: Promise<RoleChange>[] = [];
    for (const id of ['lb-1', 'lb-2']) {
      const s = openSession(sessions, zk.connectString);
      await s.waitFor('connected');
      const info = {
        id,
        host: '127.0.0.1',
        proxyPort: 1,
        adminPort: 2,
        mode: 'active-passive',
        version: 't',
        startedAt: 'now',
      };
      const reg = new NodeRegistry({ session: s, cluster, info });
      reg.start();
      const el = new LeaderElection({ session: s, nodeId: id, cluster });
      if (id === 'lb-1') lead.push(new Promise((r) => el.on('role', (c) => c.to === 'leader' && r(c))));
      el.start();
      closers.push(
        () => el.close(),
        () => reg.close(),
      );
      if (id === 'lb-1') await lead[0]; // lb-1 enters first, so it leads
    }
    let status = await readClusterStatus(session, cluster);
    // lb-2 registers and joins on its own schedule: poll (up to ~10 s, not a timing claim).
    for (
      let i = 0;
      i < 200 && (status.nodes.length < 2 || status.election.length < 2 || !status.leader);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
      status = await readClusterStatus(session, cluster);
    }
    expect(status.cluster).toBe(cluster);
    expect(status.nodes.map((n) => n.id)).toEqual(['lb-1', 'lb-2']);
    expect(status.nodes[0]?.info).toMatchObject({ id: 'lb-1', proxyPort: 1 });
    expect(status.election.map((c) => c.id)).toEqual(['lb-1', 'lb-2']);
    expect(status.election[0]!.seq).toBeLessThan(status.election[1]!.seq);
    expect(status.leader?.info).toMatchObject({ id: 'lb-1', epoch: status.election[0]!.seq });
    expect(status.backends.backends.map((b) => b.id)).toEqual(['web-1']);
    expect(status.config).toMatchObject({ exists: true, config: { policy: 'round-robin' } });
  });
});
