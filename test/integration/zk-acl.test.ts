// ZooKeeper ACLs against a real server: a cluster created under the cluster credential cannot
// be written by a client without it (no credential, or a wrong password), the backend
// credential registers and removes its own ephemeral backend and writes nothing else, reads
// follow readAcl, and an old open tree is locked by the first node that holds the credential.
import { randomUUID } from 'node:crypto';
import { startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import {
  type AclPolicy,
  ClusterAdmin,
  clusterPaths,
  LeaderElection,
  NodeRegistry,
  PERMS,
  type ReadAcl,
  type RoleChange,
  type ZkAuth,
  ZkSession,
  zkSecurity,
} from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLUSTER_CRED = 'ringleader:s3cret-cluster';
const BACKEND_CRED = 'registrar:b4ckend-only';
const WRONG_CRED = 'ringleader:not-the-password';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 1, tickTime: 200 });
});
afterAll(async () => {
  for (const c of closers) await c().catch(() => {});
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

async function open(
  cluster: string,
  security: { auth?: ZkAuth[]; acl?: AclPolicy } = {},
): Promise<{ session: ZkSession; admin: ClusterAdmin }> {
  const session = new ZkSession({
    connectString: zk.connectString,
    sessionTimeoutMs: 2000,
    opTimeoutMs: 2000,
    ...security,
  });
  sessions.push(session);
  session.start();
  await session.waitFor('connected');
  return { session, admin: new ClusterAdmin({ session, cluster }) };
}

const asCluster = (cluster: string, readAcl: ReadAcl = 'open') =>
  open(cluster, zkSecurity({ cluster, credential: CLUSTER_CRED, backendCredential: BACKEND_CRED, readAcl }));
const asBackend = (cluster: string) =>
  open(cluster, zkSecurity({ cluster, backendCredential: BACKEND_CRED }));
const anonymous = (cluster: string) => open(cluster);
const wrongPassword = (cluster: string) => open(cluster, zkSecurity({ cluster, credential: WRONG_CRED }));

function waitRole(e: LeaderElection, role: RoleChange['to'], ms = 10_000): Promise<void> {
  if (e.role === role) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${role} within ${ms} ms (now ${e.role})`)), ms);
    e.on('role', (c) => {
      if (c.to === role) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

/** A protected cluster with a backend, a config, a registered node, a leader and a standby. */
async function protectedCluster(readAcl: ReadAcl = 'open') {
  const cluster = `acl-${readAcl}-${randomUUID().slice(0, 8)}`;
  const p = clusterPaths(cluster);
  const owner = await asCluster(cluster, readAcl);
  await owner.admin.ensureClusterPaths();
  await owner.admin.addBackend('web-1', { host: '127.0.0.1', port: 8080 });
  await owner.admin.setConfig({ policy: 'round-robin' });
  const urls = { proxyUrl: 'http://127.0.0.1:1', adminUrl: 'http://127.0.0.1:2' };
  const leader = new LeaderElection({ session: owner.session, nodeId: 'lb-1', cluster, urls });
  leader.start();
  await waitRole(leader, 'leader');
  const second = await asCluster(cluster, readAcl);
  const standby = new LeaderElection({ session: second.session, nodeId: 'lb-2', cluster, urls });
  standby.start();
  await waitRole(standby, 'standby');
  const registry = new NodeRegistry({
    session: owner.session,
    cluster,
    info: {
      id: 'lb-1',
      host: '127.0.0.1',
      proxyPort: 1,
      adminPort: 2,
      mode: 'active-passive',
      version: 't',
      startedAt: new Date().toISOString(),
    },
  });
  registry.start();
  await owner.session.waitFor('connected');
  await new Promise<void>((r) => registry.once('registered', () => r()));
  closers.push(
    () => leader.close(),
    () => standby.close(),
    () => registry.close(),
  );
  const election = (await owner.session.getChildren(p.election)).children.sort(
    (a, b) => Number(a.slice(a.lastIndexOf('_') + 1)) - Number(b.slice(b.lastIndexOf('_') + 1)),
  );
  return { cluster, p, owner, leader, election: election.map((n) => `${p.election}/${n}`) };
}

type Attack = [name: string, run: (s: ZkSession, admin: ClusterAdmin) => Promise<unknown>];

function attacks(c: Awaited<ReturnType<typeof protectedCluster>>): Attack[] {
  const { p } = c;
  const [leaderZnode, standbyZnode] = c.election as [string, string];
  return [
    ['add a backend', (_s, a) => a.addBackend('evil', { host: '203.0.113.9', port: 80 })],
    [
      'add an ephemeral backend',
      (_s, a) => a.addBackend('evil-e', { host: '203.0.113.9', port: 80 }, { ephemeral: true }),
    ],
    ['rewrite a backend', (_s, a) => a.updateBackend('web-1', { host: '203.0.113.9' })],
    ['remove a backend', (_s, a) => a.removeBackend('web-1')],
    ['change the config', (_s, a) => a.setConfig({ policy: 'least-connections' })],
    ['delete the config', (s) => s.remove(p.config)],
    ['delete the leader znode', (s) => s.remove(p.leader)],
    ["delete the leader's election znode", (s) => s.remove(leaderZnode)],
    ["delete another node's election znode", (s) => s.remove(standbyZnode)],
    [
      'join the election',
      (s) => s.create(`${p.election}/_c_${randomUUID()}-n_`, '{"id":"evil"}', 'ephemeral-sequential'),
    ],
    ['register as a node', (s) => s.create(p.node('evil'), '{}', 'ephemeral')],
    ["overwrite a node's registration", (s) => s.setData(p.node('lb-1'), '{}')],
    ['publish stats', (s) => s.create(p.stat('evil'), '{}', 'ephemeral')],
    ['open the root ACL', (s) => s.setACL(p.root, [{ perms: PERMS.all, scheme: 'world', id: 'anyone' }])],
    [
      'open the backends ACL',
      (s) => s.setACL(p.backends, [{ perms: PERMS.all, scheme: 'world', id: 'anyone' }]),
    ],
    ['claim the leader znode', (s) => s.setData(p.leader, '{"id":"evil","epoch":99}')],
  ];
}

/** Everything the cluster had is still there, unchanged. */
async function expectIntact(c: Awaited<ReturnType<typeof protectedCluster>>): Promise<void> {
  const { owner, p } = c;
  expect((await owner.admin.getBackend('web-1')).backend.host).toBe('127.0.0.1');
  expect((await owner.admin.listBackends()).backends.map((b) => b.id)).toEqual(['web-1']);
  expect((await owner.admin.getConfig()).config?.policy).toBe('round-robin');
  expect(JSON.parse((await owner.session.getData(p.leader)).data.toString())).toMatchObject({ id: 'lb-1' });
  for (const z of c.election) expect(await owner.session.exists(z)).not.toBeNull();
  expect((await owner.session.getChildren(p.election)).children).toHaveLength(2);
  expect((await owner.session.getChildren(p.nodes)).children).toEqual(['lb-1']);
  expect(c.leader.role).toBe('leader');
}

describe.each([
  ['unauthenticatedClient', anonymous],
  ['clientWithTheWrongPassword', wrongPassword],
])('%s against a cluster created under the cluster credential', (label, connect) => {
  let c: Awaited<ReturnType<typeof protectedCluster>>;
  let intruder: { session: ZkSession; admin: ClusterAdmin };

  beforeAll(async () => {
    c = await protectedCluster();
    intruder = await connect(c.cluster);
  });

  it(`${label}IsRefusedEveryWriteWithRL_ZK_NOT_AUTHORISEDNamingOperationAndPath`, async () => {
    for (const [name, run] of attacks(c)) {
      const err = await run(intruder.session, intruder.admin).then(
        () => new Error(`"${name}" was allowed`),
        (e: unknown) => e,
      );
      expect(err, name).toMatchObject({ code: 'RL_ZK_NOT_AUTHORISED' });
      expect((err as Error).message, name).toMatch(
        /^not authorised: \w+ \/ringleader\/\S+ needs the cluster credential/,
      );
    }
    await expectIntact(c);
  });

  it(`${label}CannotBecomeLeaderItsElectionStaysACandidateAndTheLeaderKeepsLeading`, async () => {
    const e = new LeaderElection({
      session: intruder.session,
      nodeId: 'evil',
      cluster: c.cluster,
      urls: { proxyUrl: 'http://evil', adminUrl: 'http://evil' },
    });
    const roles: string[] = [];
    e.on('role', (r) => roles.push(r.to));
    e.start();
    await new Promise((r) => setTimeout(r, 1500));
    expect(e.role).toBe('candidate');
    expect(roles).toEqual([]);
    await e.close();
    await expectIntact(c);
  });

  it(`${label}CanStillReadWithOpenReads`, async () => {
    expect((await intruder.admin.listBackends()).backends.map((b) => b.id)).toEqual(['web-1']);
    expect((await intruder.admin.getConfig()).config?.policy).toBe('round-robin');
  });
});

describe('backend-registration credential', () => {
  let c: Awaited<ReturnType<typeof protectedCluster>>;
  let reg: { session: ZkSession; admin: ClusterAdmin };

  beforeAll(async () => {
    c = await protectedCluster();
    reg = await asBackend(c.cluster);
  });

  it('backendCredentialAddsUpdatesAndRemovesItsOwnEphemeralBackend', async () => {
    await reg.admin.addBackend('self-1', { host: '127.0.0.1', port: 9001 }, { ephemeral: true });
    const stat = await c.owner.session.exists(c.p.backend('self-1'));
    expect(stat?.ephemeralOwner).toBe(reg.session.sessionId);
    expect((await c.owner.admin.listBackends()).backends.map((b) => b.id)).toEqual(['self-1', 'web-1']);
    // Its own znode: it may drain itself. Under open reads the cluster credential may delete it
    // (DELETE is checked on the folder) but not rewrite it (no owner id is published).
    await reg.admin.drainBackend('self-1');
    expect((await c.owner.admin.getBackend('self-1')).backend.state).toBe('draining');
    await expect(c.owner.admin.undrainBackend('self-1')).rejects.toMatchObject({
      code: 'RL_ZK_NOT_AUTHORISED',
    });
    const { acl } = await reg.session.getACL(c.p.backend('self-1'));
    expect(acl).toEqual([
      { perms: PERMS.all, scheme: 'digest', id: reg.session.aclPolicy?.ownId },
      { perms: PERMS.read, scheme: 'world', id: 'anyone' },
    ]);
    await reg.admin.removeBackend('self-1');
    expect(await c.owner.session.exists(c.p.backend('self-1'))).toBeNull();
  });

  it('backendCredentialCannotChangeConfigElectionNodesOrAnotherBackendsPayload', async () => {
    const refused: Attack[] = attacks(c).filter(
      ([name]) => !['add a backend', 'add an ephemeral backend', 'remove a backend'].includes(name),
    );
    for (const [name, run] of refused) {
      await expect(run(reg.session, reg.admin), name).rejects.toMatchObject({ code: 'RL_ZK_NOT_AUTHORISED' });
    }
    await expectIntact(c);
  });

  it('backendCredentialMayDeleteAnyChildOfBackendsBecauseZooKeeperChecksDeleteOnTheParent', async () => {
    // Documented limitation (docs/security.md): DELETE is a right on the folder, not the child.
    await c.owner.admin.addBackend('victim', { host: '127.0.0.1', port: 9002 });
    await reg.admin.removeBackend('victim');
    expect(await c.owner.session.exists(c.p.backend('victim'))).toBeNull();
  });
});

describe('read access', () => {
  it('restrictedReadsRefuseAnonymousReadsButNotTheCredentials', async () => {
    const c = await protectedCluster('restricted');
    const anon = await anonymous(c.cluster);
    await expect(anon.admin.listBackends()).rejects.toMatchObject({ code: 'RL_ZK_NOT_AUTHORISED' });
    await expect(anon.admin.getConfig()).rejects.toMatchObject({ code: 'RL_ZK_NOT_AUTHORISED' });
    await expect(anon.session.getData(c.p.leader)).rejects.toMatchObject({ code: 'RL_ZK_NOT_AUTHORISED' });
    expect((await c.owner.admin.listBackends()).backends.map((b) => b.id)).toEqual(['web-1']);
    // The backend credential registers there too: its znode grants the owners named in the
    // folder's note (so nodes read it and operators can drain it) and anyone nothing.
    const reg = await asBackend(c.cluster);
    await reg.admin.addBackend('self-r', { host: '127.0.0.1', port: 9003 }, { ephemeral: true });
    const { acl } = await c.owner.session.getACL(c.p.backend('self-r'));
    expect(acl.some((e) => e.scheme === 'world')).toBe(false);
    expect(acl.filter((e) => e.perms === PERMS.all)).toHaveLength(2);
    await c.owner.admin.drainBackend('self-r');
    expect((await c.owner.admin.listBackends()).backends.map((b) => [b.id, b.state])).toEqual([
      ['self-r', 'draining'],
      ['web-1', 'active'],
    ]);
    await expect(anon.session.getData(c.p.backend('self-r'))).rejects.toMatchObject({
      code: 'RL_ZK_NOT_AUTHORISED',
    });
    // A CLI that does not know the nodes' readAcl follows the folder's.
    const cli = await open(c.cluster, zkSecurity({ cluster: c.cluster, credential: CLUSTER_CRED }));
    await cli.admin.addBackend('web-2', { host: '127.0.0.1', port: 8081 });
    expect((await c.owner.session.getACL(c.p.backend('web-2'))).acl.some((e) => e.scheme === 'world')).toBe(
      false,
    );
    await expect(anon.session.getData(c.p.backend('web-2'))).rejects.toMatchObject({
      code: 'RL_ZK_NOT_AUTHORISED',
    });
  });
});

describe('securing an existing tree', () => {
  it('anOpenTreeIsLockedByTheFirstSessionWithTheCredentialIncludingOldBackendZnodes', async () => {
    const cluster = `acl-upgrade-${randomUUID().slice(0, 8)}`;
    const p = clusterPaths(cluster);
    const before = await anonymous(cluster);
    await before.admin.ensureClusterPaths();
    await before.admin.addBackend('old-1', { host: '127.0.0.1', port: 8080 });
    await before.admin.setConfig({ policy: 'round-robin' });
    // Anyone could write it until now.
    await before.admin.updateBackend('old-1', { weight: 2 });

    const owner = await asCluster(cluster);
    await owner.admin.ensureClusterPaths();
    for (const path of [p.root, p.nodes, p.election, p.stats, p.config, p.backend('old-1')]) {
      const { acl } = await owner.session.getACL(path);
      expect(acl, path).not.toContainEqual(expect.objectContaining({ scheme: 'world', perms: PERMS.all }));
      expect(acl, path).toContainEqual(expect.objectContaining({ scheme: 'digest', perms: PERMS.all }));
    }
    expect((await owner.session.getACL(p.backends)).acl).toContainEqual(
      expect.objectContaining({ scheme: 'digest', perms: PERMS.create | PERMS.delete }),
    );
    await expect(before.admin.updateBackend('old-1', { weight: 9 })).rejects.toMatchObject({
      code: 'RL_ZK_NOT_AUTHORISED',
    });
    await expect(
      before.admin.setConfig({ policy: 'maglev', hash: { source: 'path' } }),
    ).rejects.toMatchObject({
      code: 'RL_ZK_NOT_AUTHORISED',
    });
    // Idempotent for the owner; a session without the credential neither fails nor changes it.
    await owner.admin.ensureClusterPaths();
    await before.admin.ensureClusterPaths();
    // Someone with another credential cannot take the tree over.
    const other = await wrongPassword(cluster);
    const err = await other.admin.ensureClusterPaths().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({ code: 'RL_ZK_NOT_AUTHORISED' });
    expect(err?.message).toContain(`not authorised: setACL ${p.root} needs the cluster credential`);
  });
});
