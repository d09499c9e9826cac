// Membership against a real 3-server ensemble: three watching nodes, each attached to a
// different server, must converge on identical snapshots (same version, same members)
// through adds, updates, drains, removes, a burst of 200 creates, malformed payloads,
// foreign registration formats and the deletion of the whole backends/ folder.
// Also measures write → all-three-snapshots notification latency.
import { isDeepStrictEqual } from 'node:util';
import { startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import { ClusterAdmin, MembershipWatcher, type ZkSession } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './poll.js';
import { ids, openSession, percentile, summary, uniqueCluster, waitAll } from './zk-membership-helpers.js';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];
const watchers: MembershipWatcher[] = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 3, tickTime: 200 });
});
afterAll(async () => {
  for (const w of watchers) w.close();
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

/** A writer on the whole ensemble and three watchers, one per server when there are three. */
async function setup(prefix: string, coalesceMs?: number) {
  const cluster = uniqueCluster(prefix);
  const writer = openSession(sessions, zk.connectString);
  await writer.waitFor('connected');
  const admin = new ClusterAdmin({ session: writer, cluster });
  await admin.ensureClusterPaths();
  const targets = zk.servers.length === 3 ? zk.servers.map((s) => s.connectString) : [zk.connectString];
  const ws = [0, 1, 2].map((i) => {
    const s = openSession(sessions, targets[i % targets.length] as string);
    const w = new MembershipWatcher({
      session: s,
      cluster,
      ...(coalesceMs !== undefined ? { coalesceMs } : {}),
    }).start();
    watchers.push(w);
    return w;
  });
  await Promise.all(ws.map((w) => w.ready()));
  return { cluster, writer, admin, ws };
}

/**
 * All three agree with each other and with a fresh read by the writer. The watchers sit on
 * three different servers, each applying the write (and firing its watch) on its own time, so
 * agreement is awaited; a watcher that never catches up fails with the last difference.
 */
async function expectConverged(admin: ClusterAdmin, ws: readonly MembershipWatcher[]) {
  let fresh = await admin.listBackends();
  const agree = () => ws.every((w) => isDeepStrictEqual(summary(w.current), summary(fresh)));
  await until(
    async () => {
      fresh = await admin.listBackends();
      return agree();
    },
    10_000,
    'the three watchers to agree with a fresh read',
  ).catch(() => undefined);
  for (const w of ws) expect(summary(w.current)).toEqual(summary(fresh));
  return fresh;
}

describe('membership: three watching nodes', () => {
  it('addUpdateDrainRemoveConvergeOnIdenticalSnapshots', async () => {
    const { admin, ws } = await setup('m-basic');
    expect(ws.map((w) => w.current?.backends.length)).toEqual([0, 0, 0]);

    await admin.addBackend('web-1', { host: '127.0.0.1', port: 8081 });
    const add2 = await admin.addBackend('web-2', { host: '127.0.0.1', port: 8082, zone: 'a' });
    expect(add2.backend.zone).toBe('a');
    await waitAll(ws, (s) => s.backends.length === 2);
    const afterAdd = await expectConverged(admin, ws);
    expect(ids(afterAdd)).toEqual(['web-1', 'web-2']);

    await admin.updateBackend('web-1', { weight: 7 });
    await waitAll(ws, (s) => s.backends[0]?.weight === 7);
    const afterWeight = await expectConverged(admin, ws);
    expect(afterWeight.version).toBeGreaterThan(afterAdd.version);

    await admin.drainBackend('web-2');
    await waitAll(ws, (s) => s.backends[1]?.state === 'draining');
    await expectConverged(admin, ws);
    await admin.undrainBackend('web-2');
    await waitAll(ws, (s) => s.backends[1]?.state === 'active');

    await admin.removeBackend('web-1');
    await waitAll(ws, (s) => s.backends.length === 1);
    const afterRemove = await expectConverged(admin, ws);
    expect(ids(afterRemove)).toEqual(['web-2']);
    expect(afterRemove.backends[0]).toMatchObject({
      host: '127.0.0.1',
      port: 8082,
      weight: 1,
      state: 'active',
    });
  });

  it('burstOf200CreatesCoalescesIntoFewSnapshotsAndConverges', async () => {
    const { admin, ws } = await setup('m-burst');
    const counts = ws.map(() => 0);
    for (const [i, w] of ws.entries()) {
      w.on('snapshot', () => {
        counts[i] = (counts[i] ?? 0) + 1;
      });
    }
    const n = 200;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        admin.addBackend(`web-${String(i).padStart(3, '0')}`, { host: '10.0.0.1', port: 10_000 + i }),
      ),
    );
    await waitAll(ws, (s) => s.backends.length === n);
    const fresh = await expectConverged(admin, ws);
    expect(fresh.backends.map((b) => b.port)).toEqual(Array.from({ length: n }, (_, i) => 10_000 + i));
    console.log(
      JSON.stringify({ metric: 'membership-burst-snapshots', creates: n, snapshotsPerWatcher: counts }),
    );
    for (const c of counts) expect(c).toBeLessThan(n / 2);
  });

  it('malformedPayloadsAreReportedAndExcludedWhileValidOnesStay', async () => {
    const { admin, writer, ws } = await setup('m-bad');
    const folder = admin.paths.backends;
    await admin.addBackend('good', { host: '127.0.0.1', port: 9000 });
    const reported: string[] = [];
    ws[0]?.on('rejected', (r) => reported.push(`${r.id}:${r.code}:${r.field ?? ''}`));
    await writer.create(`${folder}/not-json`, '{"host": "a", port');
    await writer.create(`${folder}/bad-port`, JSON.stringify({ host: '127.0.0.1', port: 70000 }));
    const [snap] = await waitAll(ws, (s) => s.rejected.length === 2);
    expect(ids(snap!)).toEqual(['good']);
    expect(snap!.rejected.map((r) => [r.id, r.path, r.code, r.field])).toEqual([
      ['bad-port', `${folder}/bad-port`, 'RL_BAD_BACKEND_PAYLOAD', 'port'],
      ['not-json', `${folder}/not-json`, 'RL_BAD_JSON', undefined],
    ]);
    expect(reported.sort()).toEqual(['bad-port:RL_BAD_BACKEND_PAYLOAD:port', 'not-json:RL_BAD_JSON:']);
    await expectConverged(admin, ws);

    // A valid payload that turns bad is excluded (never crashing the watch); fixed, it returns.
    await writer.setData(`${folder}/good`, 'garbage');
    await waitAll(ws, (s) => s.backends.length === 0 && s.rejected.length === 3);
    await writer.setData(`${folder}/bad-port`, JSON.stringify({ host: '127.0.0.1', port: 7000 }));
    await writer.setData(`${folder}/good`, JSON.stringify({ host: '127.0.0.1', port: 9000 }));
    await waitAll(ws, (s) => s.backends.length === 2 && s.rejected.length === 1);
    expect(ids(await expectConverged(admin, ws))).toEqual(['bad-port', 'good']);
  });

  it('serverSetNerveAndCuratorRegistrationsBecomeMembersLikeNativeOnes', async () => {
    const { admin, writer, ws } = await setup('m-formats');
    const folder = admin.paths.backends;
    await admin.addBackend('native-1', { host: '10.1.0.1', port: 80 });
    const ss = await writer.create(
      `${folder}/member_`,
      JSON.stringify({
        serviceEndpoint: { host: '10.1.0.2', port: 8080 },
        additionalEndpoints: { http: { host: '10.1.0.2', port: 8080 } },
        status: 'ALIVE',
        shard: 0,
      }),
      'ephemeral-sequential',
    );
    const nerve = await writer.create(
      `${folder}/web_`,
      JSON.stringify({
        host: '10.1.0.3',
        port: 8081,
        name: 'web',
        weight: 3,
        haproxy_server_options: 'check',
      }),
      'ephemeral-sequential',
    );
    await writer.create(
      `${folder}/curator-1`,
      JSON.stringify({
        name: 'web',
        id: 'abc',
        address: '10.1.0.4',
        port: 8082,
        payload: null,
        enabled: true,
      }),
    );
    const [snap] = await waitAll(ws, (s) => s.backends.length === 4);
    const byId = new Map(snap!.backends.map((b) => [b.id, b]));
    expect(byId.get(ss.split('/').pop()!)).toMatchObject({
      host: '10.1.0.2',
      port: 8080,
      state: 'active',
      format: 'serverset',
    });
    expect(byId.get(nerve.split('/').pop()!)).toMatchObject({
      host: '10.1.0.3',
      port: 8081,
      weight: 3,
      format: 'nerve',
    });
    expect(byId.get('curator-1')).toMatchObject({
      host: '10.1.0.4',
      port: 8082,
      state: 'active',
      format: 'curator',
    });
    expect(snap!.rejected).toEqual([]);
    // A ServerSet member leaving (STOPPING) is drained, like a native drain.
    await writer.setData(
      ss,
      JSON.stringify({
        serviceEndpoint: { host: '10.1.0.2', port: 8080 },
        additionalEndpoints: {},
        status: 'STOPPING',
      }),
    );
    await waitAll(ws, (s) => s.backends.some((b) => b.format === 'serverset' && b.state === 'draining'));
    await expectConverged(admin, ws);
  });

  it('deletingTheWholeBackendsFolderEmptiesMembershipAndRecreatingItRecovers', async () => {
    const { admin, writer, ws } = await setup('m-folder');
    const folder = admin.paths.backends;
    await admin.addBackend('a', { host: '127.0.0.1', port: 1001 });
    await admin.addBackend('b', { host: '127.0.0.1', port: 1002 });
    await waitAll(ws, (s) => s.backends.length === 2);
    await writer.transaction([
      { op: 'remove', path: `${folder}/a` },
      { op: 'remove', path: `${folder}/b` },
      { op: 'remove', path: folder },
    ]);
    const gone = await waitAll(ws, (s) => s.folder === 'missing');
    for (const s of gone)
      expect(summary(s)).toEqual({ version: 0, folder: 'missing', backends: [], rejected: [] });
    expect((await admin.listBackends()).folder).toBe('missing');

    await admin.ensureClusterPaths();
    await admin.addBackend('c', { host: '127.0.0.1', port: 1003 });
    await waitAll(ws, (s) => s.folder === 'present' && s.backends.length === 1);
    expect(ids(await expectConverged(admin, ws))).toEqual(['c']);
    // The re-armed watches keep working after the recovery.
    await admin.updateBackend('c', { weight: 2 });
    await waitAll(ws, (s) => s.backends[0]?.weight === 2);
  });

  it('notificationLatencyFromWriteToAllThreeWatchers', async () => {
    // RL_TEST_COALESCE_MS compares windows (0 measures the watch + read path alone).
    const coalesceMs = Number(process.env.RL_TEST_COALESCE_MS ?? 5);
    const { admin, writer, ws } = await setup('m-latency', coalesceMs);
    await admin.addBackend('probe', { host: '127.0.0.1', port: 5000 });
    await waitAll(ws, (s) => s.backends.length === 1);
    const path = admin.paths.backend('probe');
    // When each watcher first saw each version (hrtime, ns).
    const seen = ws.map(() => new Map<number, bigint>());
    for (const [i, w] of ws.entries())
      w.on('snapshot', (s) => void seen[i]?.set(s.version, process.hrtime.bigint()));
    const writes = 220;
    const all: number[] = [];
    const perWatcher: number[][] = ws.map(() => []);
    const acks: number[] = [];
    for (let i = 0; i < writes; i++) {
      const t0 = process.hrtime.bigint();
      const stat = await writer.setData(
        path,
        JSON.stringify({ host: '127.0.0.1', port: 5000, weight: (i % 100) + 1 }),
      );
      acks.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const version = Number(stat.mzxid);
      await waitAll(ws, (s) => s.version >= version, 5000);
      const at = seen.map((m) => {
        for (const [v, t] of m) if (v >= version) return t;
        throw new Error('snapshot seen without its time');
      });
      for (const [k, t] of at.entries()) perWatcher[k]?.push(Number(t - t0) / 1e6);
      all.push(Math.max(...at.map((t) => Number(t - t0) / 1e6)));
      for (const m of seen) m.clear();
    }
    await expectConverged(admin, ws);
    const sorted = [...all].sort((a, b) => a - b);
    const round = (x: number) => Math.round(x * 100) / 100;
    const result = {
      metric: 'membership-notification-latency-ms',
      ensemble: zk.servers.length || 'external',
      watchers: ws.length,
      writes,
      coalesceMs,
      allThree: {
        p50: round(percentile(sorted, 50)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted.at(-1)!),
      },
      perWatcherP50: perWatcher.map((xs) =>
        round(
          percentile(
            [...xs].sort((a, b) => a - b),
            50,
          ),
        ),
      ),
      writeAckP50: round(
        percentile(
          [...acks].sort((a, b) => a - b),
          50,
        ),
      ),
    };
    console.log(JSON.stringify(result));
    expect(all).toHaveLength(writes);
  });
});
