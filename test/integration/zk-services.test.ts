// ServicesWatcher against a real ZooKeeper server: services appear, change, turn invalid
// (the last good definition stays), lose their backends folder and disappear, each with its
// own membership; two watchers on the same cluster see the same view.
import { startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import { type ServicesView, ServicesWatcher, type ZkSession } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMatching, openSession, uniqueCluster, type ValueEmitter } from './zk-membership-helpers.js';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];
const watchers: ServicesWatcher[] = [];

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 1, tickTime: 200 });
});
afterAll(async () => {
  for (const w of watchers) w.close();
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

function until(w: ServicesWatcher, pred: (v: ServicesView) => boolean, what: string): Promise<ServicesView> {
  return nextMatching<ServicesView>(
    w as unknown as ValueEmitter<ServicesView>,
    'services',
    w.current,
    pred,
    10_000,
    () => `${what}: ${JSON.stringify([...(w.current ?? new Map()).entries()])}`,
  );
}

describe('ServicesWatcher', () => {
  it('followsServiceZnodesAndTheirBackendsKeepingTheLastGoodDefinition', async () => {
    const cluster = uniqueCluster('svc');
    const writer = openSession(sessions, zk.connectString);
    await writer.waitFor('connected');
    const root = `/ringleader/${cluster}/services`;
    const ws = [0, 1].map(() => {
      const w = new ServicesWatcher({ session: openSession(sessions, zk.connectString), cluster }).start();
      watchers.push(w);
      return w;
    });
    const w = ws[0] as ServicesWatcher;
    // No services/ folder yet: an empty view, not an error.
    await until(w, (v) => v.size === 0, 'an empty view');

    await writer.mkdirp(root);
    await writer.create(
      `${root}/pg`,
      JSON.stringify({ protocol: 'tcp', listen: 5433, policy: 'round-robin' }),
    );
    await writer.mkdirp(`${root}/pg/backends`);
    await writer.create(`${root}/pg/backends/db-1`, JSON.stringify({ host: '10.0.0.7', port: 5432 }));
    await writer.create(`${root}/pg/backends/bad`, '{"host":');
    // Both children are read before the check: db-1 alone may be in force for a flush first.
    let v = await until(
      w,
      (x) => x.get('pg')?.membership?.backends.length === 1 && x.get('pg')?.membership?.rejected.length === 1,
      'pg with db-1 and bad rejected',
    );
    const pg = v.get('pg');
    expect(pg?.definition?.listen).toBe(5433);
    expect(pg?.membership?.backends[0]?.id).toBe('db-1');
    expect(pg?.membership?.rejected.map((r) => [r.id, r.code])).toEqual([['bad', 'RL_BAD_JSON']]);

    // Garbage: rejected, the last good definition stays in force.
    await writer.setData(
      `${root}/pg`,
      JSON.stringify({ protocol: 'tcp', listen: 'x', policy: 'round-robin' }),
    );
    v = await until(w, (x) => x.get('pg')?.rejected !== undefined, 'pg rejected');
    expect(v.get('pg')?.rejected).toMatchObject({
      code: 'RL_BAD_SERVICE',
      field: 'listen',
      path: `${root}/pg`,
    });
    expect(v.get('pg')?.definition?.listen).toBe(5433);
    expect(v.get('pg')?.membership?.backends).toHaveLength(1);

    // A new valid definition clears the rejection.
    await writer.setData(
      `${root}/pg`,
      JSON.stringify({ protocol: 'tcp', listen: 5434, policy: 'least-connections' }),
    );
    v = await until(
      w,
      (x) => x.get('pg')?.definition?.listen === 5434 && !x.get('pg')?.rejected,
      'pg on 5434',
    );

    // A service that was never valid: reported, no definition, no backends watched.
    await writer.create(
      `${root}/junk`,
      JSON.stringify({ protocol: 'tcp', listen: 1, policy: 'round-robin', x: 1 }),
    );
    v = await until(w, (x) => x.has('junk'), 'junk');
    expect(v.get('junk')).toMatchObject({ definition: undefined, membership: undefined });
    expect(v.get('junk')?.rejected?.field).toBe('x');

    // Both watchers agree.
    const other = await until(
      ws[1] as ServicesWatcher,
      (x) => x.has('junk') && x.get('pg')?.definition?.listen === 5434,
      'other',
    );
    expect([...other.keys()]).toEqual([...v.keys()]);
    expect(other.get('pg')?.definition).toEqual(v.get('pg')?.definition);

    // Deletion removes the service (and its backends with it).
    await writer.remove(`${root}/pg/backends/db-1`);
    await writer.remove(`${root}/pg/backends/bad`);
    await writer.remove(`${root}/pg/backends`);
    await writer.remove(`${root}/pg`);
    v = await until(w, (x) => !x.has('pg'), 'pg deleted');
    expect([...v.keys()]).toEqual(['junk']);
  });
});
