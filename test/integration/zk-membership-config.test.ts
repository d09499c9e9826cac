// The cluster `config` znode against a real standalone server: valid → invalid (the last
// good config stays, the rejection names path, code and field) → valid; missing → the
// caller's fallback; deleted and recreated.
import { DEFAULT_CLUSTER_CONFIG } from '@ringleader/core';
import { startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import {
  ClusterAdmin,
  type ConfigRejection,
  type ConfigSnapshot,
  ConfigWatcher,
  type ZkSession,
} from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMatching, openSession, uniqueCluster, type ValueEmitter } from './zk-membership-helpers.js';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];
const closers: Array<() => void> = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 1, tickTime: 200 });
});
afterAll(async () => {
  for (const c of closers) c();
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

function nextConfig(w: ConfigWatcher, pred: (c: ConfigSnapshot) => boolean): Promise<ConfigSnapshot> {
  return nextMatching<ConfigSnapshot>(
    w as ValueEmitter<ConfigSnapshot>,
    'config',
    w.current,
    pred,
    10_000,
    () => JSON.stringify(w.current),
  );
}

function nextRejection(w: ConfigWatcher): Promise<ConfigRejection> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no rejection')), 10_000);
    w.once('rejected', (r) => {
      clearTimeout(t);
      resolve(r);
    });
  });
}

describe('config watch', () => {
  it('validThenInvalidKeepsTheLastGoodConfigAndReportsThenValidAgain', async () => {
    const cluster = uniqueCluster('c-flip');
    const writer = openSession(sessions, zk.connectString);
    const admin = new ClusterAdmin({ session: writer, cluster });
    await writer.waitFor('connected');
    await admin.ensureClusterPaths();
    const fallback = { ...DEFAULT_CLUSTER_CONFIG, retries: 0 };
    const w = new ConfigWatcher({
      session: openSession(sessions, zk.connectString),
      cluster,
      fallback,
    }).start();
    closers.push(() => w.close());
    const changes: ConfigSnapshot[] = [];
    w.on('config', (c) => changes.push(c));

    const first = await w.ready();
    expect(first).toMatchObject({ source: 'fallback', version: 0, config: { retries: 0 } });

    await admin.setConfig({ policy: 'least-connections', retries: 1 });
    const good = await nextConfig(w, (c) => c.source === 'znode');
    expect(good.config).toMatchObject({ policy: 'least-connections', retries: 1 });

    const rejected = nextRejection(w);
    await writer.setData(
      admin.paths.config,
      JSON.stringify({ policy: 'least-connections', retries: 'lots' }),
    );
    const r = await rejected;
    expect(r).toMatchObject({ path: admin.paths.config, code: 'RL_BAD_CONFIG', field: 'retries' });
    expect(w.current).toBe(good); // the last good config stays in force

    const rejected2 = nextRejection(w);
    await writer.setData(admin.paths.config, '{"policy": ');
    expect((await rejected2).code).toBe('RL_BAD_JSON');
    expect(w.current).toBe(good);

    await writer.setData(admin.paths.config, JSON.stringify({ policy: 'round-robin', retries: 3 }));
    const back = await nextConfig(w, (c) => c.config.retries === 3);
    expect(back.config.policy).toBe('round-robin');

    // Rewriting the same content changes nothing the node cares about: no event.
    const before = changes.length;
    await writer.setData(admin.paths.config, JSON.stringify({ retries: 3, policy: 'round-robin' }));
    await admin.setConfig({ retries: 2 });
    await nextConfig(w, (c) => c.config.retries === 2);
    expect(changes.length).toBe(before + 1);
    expect(changes.map((c) => c.config.retries)).toEqual([0, 1, 3, 2]);
  });

  it('deletedConfigFallsBackAndRecreatedConfigIsPickedUp', async () => {
    const cluster = uniqueCluster('c-del');
    const writer = openSession(sessions, zk.connectString);
    const admin = new ClusterAdmin({ session: writer, cluster });
    await writer.waitFor('connected');
    await admin.setConfig({ policy: 'maglev', hash: { source: 'header', name: 'x-user' } });
    const fallback = DEFAULT_CLUSTER_CONFIG;
    const w = new ConfigWatcher({
      session: openSession(sessions, zk.connectString),
      cluster,
      fallback,
    }).start();
    closers.push(() => w.close());
    expect((await w.ready()).config.policy).toBe('maglev');

    await writer.remove(admin.paths.config);
    const fb = await nextConfig(w, (c) => c.source === 'fallback');
    expect(fb.config).toEqual(fallback);

    await admin.setConfig({ policy: 'least-response-time' });
    expect((await nextConfig(w, (c) => c.source === 'znode')).config.policy).toBe('least-response-time');
    const stored = await admin.getConfig();
    expect(stored).toMatchObject({ exists: true, version: 0, raw: { policy: 'least-response-time' } });
  });
});
