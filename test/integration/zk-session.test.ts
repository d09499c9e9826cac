// ZkSession against a real standalone server: operations and their typed errors,
// graceful close, a silent (SIGSTOPped) server, expiry and the next generation.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sleep, startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import { type SessionStateChange, ZkSession } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './poll.js';

let zk: ZkEnsemble;
const sessions: ZkSession[] = [];
const root = `/ringleader-test/session-${randomUUID().slice(0, 8)}`;

function open(timeoutMs = 1200, connectString = zk.connectString): ZkSession {
  const s = new ZkSession({ connectString, sessionTimeoutMs: timeoutMs, opTimeoutMs: 1000 });
  sessions.push(s);
  return s.start();
}

function record(s: ZkSession): SessionStateChange[] {
  const seen: SessionStateChange[] = [];
  s.on('state', (c) => seen.push(c));
  return seen;
}

beforeAll(async () => {
  zk = await startZooKeeper({ servers: 1, chaos: true, tickTime: 200 });
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
});

describe('ZkSession operations', () => {
  it('operationsReturnStatsAndMapServerErrorsToCodes', async () => {
    const s = open();
    await s.waitFor('connected');
    expect(s.sessionId).toMatch(/^[0-9a-f]{16}$/);
    expect(s.sessionTimeoutMs).toBe(1200);
    await s.mkdirp(`${root}/a`);
    await s.mkdirp(`${root}/a`); // idempotent
    const p = await s.create(`${root}/a/x`, '{"v":1}');
    expect(p).toBe(`${root}/a/x`);
    const got = await s.getData(p);
    expect(got.data.toString()).toBe('{"v":1}');
    expect(got.stat.version).toBe(0);
    expect(got.stat.ephemeralOwner).toBe('0000000000000000');
    expect(typeof got.stat.czxid).toBe('bigint');
    await expect(s.create(p, 'again')).rejects.toMatchObject({ code: 'RL_ZK_NODE_EXISTS', path: p });
    await expect(s.setData(p, 'x', 7)).rejects.toMatchObject({ code: 'RL_ZK_BAD_VERSION' });
    const st = await s.setData(p, '{"v":2}', 0);
    expect(st.version).toBe(1);
    expect(st.mzxid > got.stat.mzxid).toBe(true);
    await expect(s.getData(`${root}/nope`)).rejects.toMatchObject({ code: 'RL_ZK_NO_NODE' });
    await expect(s.remove(`${root}/a`)).rejects.toMatchObject({ code: 'RL_ZK_NOT_EMPTY' });
    expect(await s.exists(`${root}/nope`)).toBeNull();
    const eph = await s.create(`${root}/a/e-`, null, 'ephemeral-sequential');
    expect(eph).toMatch(/\/e-\d{10}$/);
    expect((await s.exists(eph))?.ephemeralOwner).toBe(s.sessionId);
    const kids = await s.getChildren(`${root}/a`);
    expect(kids.children.sort()).toEqual([eph.split('/').pop(), 'x'].sort());
    expect(kids.stat.cversion).toBeGreaterThanOrEqual(2);
    await s.remove(p, 1);
    expect(await s.exists(p)).toBeNull();
    await expect(s.getData('bad//path')).rejects.toMatchObject({ code: 'RL_ZK_BAD_PATH' });
  });

  it('transactionWithAFailedVersionZeroCheckRollsBackEverything', async () => {
    const s = open();
    await s.waitFor('connected');
    await s.mkdirp(`${root}/tx`);
    await s.create(`${root}/tx/k`, 'a');
    await s.setData(`${root}/tx/k`, 'b'); // version is now 1
    // The client library turns a check on version 0 into "any version"; ours must not.
    await expect(
      s.transaction([
        { op: 'check', path: `${root}/tx/k`, version: 0 },
        { op: 'create', path: `${root}/tx/new`, data: 'n' },
      ]),
    ).rejects.toMatchObject({ code: 'RL_ZK_BAD_VERSION' });
    expect(await s.exists(`${root}/tx/new`)).toBeNull();
    const res = await s.transaction([
      { op: 'check', path: `${root}/tx/k`, version: 1 },
      { op: 'create', path: `${root}/tx/new`, data: 'n' },
      { op: 'setData', path: `${root}/tx/k`, data: 'c', version: 1 },
    ]);
    expect(res.map((r) => r.op)).toEqual(['check', 'create', 'setData']);
    expect(res[1]?.path).toBe(`${root}/tx/new`);
    expect(res[2]?.stat?.version).toBe(2);
  });

  it('stableWatcherFiresOncePerChangeAndDoesNotPileUp', async () => {
    const s = open();
    await s.waitFor('connected');
    const path = `${root}/w`;
    await s.mkdirp(path);
    const events: string[] = [];
    const watcher = (ev: { type: string; path: string }) => events.push(`${ev.type}:${ev.path}`);
    // Registering the same function three times leaves one watch.
    await s.getData(path, watcher);
    await s.getData(path, watcher);
    await s.getData(path, watcher);
    await s.setData(path, 'x');
    // Notifications arrive when they arrive; a duplicate would come right behind the first.
    await until(() => events.length >= 1, 5000);
    await sleep(200);
    expect(events).toEqual([`data:${path}`]);
    await s.exists(`${path}/child`, watcher);
    await s.create(`${path}/child`);
    await until(() => events.length >= 2, 5000);
    await sleep(200);
    expect(events).toEqual([`data:${path}`, `created:${path}/child`]);
  });

  it('gracefulCloseRemovesEphemeralsWithinMilliseconds', async () => {
    const owner = open();
    const observer = open();
    await Promise.all([owner.waitFor('connected'), observer.waitFor('connected')]);
    await observer.mkdirp(`${root}/close`);
    const eph = await owner.create(`${root}/close/e`, null, 'ephemeral');
    let watched: Promise<unknown> = Promise.resolve();
    const gone = new Promise<number>((resolve) => {
      watched = observer.exists(eph, () => resolve(performance.now()));
    });
    // The watch must be set before the close, or `gone` never resolves.
    await watched;
    const t0 = performance.now();
    await owner.close();
    expect(owner.state).toBe('closed');
    const ms = (await gone) - t0;
    console.log(JSON.stringify({ metric: 'graceful_close_ephemeral_gone_ms', value: Math.round(ms) }));
    expect(ms).toBeLessThan(500);
    await expect(owner.exists('/')).rejects.toMatchObject({ code: 'RL_ZK_CLOSED' });
  });
});

describe('ZkSession faults', () => {
  it('silentServerSuspendsTheSessionWithinTwoThirdsOfTheTimeoutAndItsReturnReconnectsIt', async () => {
    const s = open(1200);
    await s.waitFor('connected');
    const states = record(s);
    const firstId = s.sessionId;
    const server = zk.servers[0]!;
    const t0 = performance.now();
    await server.pause();
    try {
      // The client alone notices nothing while the server is silent; our clock does.
      await s.waitFor('suspended', 3000);
    } finally {
      await server.resume();
    }
    const suspendedAfter = performance.now() - t0;
    console.log(
      JSON.stringify({
        metric: 'silent_server_suspended_after_ms',
        value: Math.round(suspendedAfter),
        sessionTimeoutMs: 1200,
      }),
    );
    // Two thirds of the timeout after the last answered ping, plus one check period.
    expect(suspendedAfter).toBeLessThan(1200 * (2 / 3) + 150);
    expect(s.leaseValidUntil()).toBeLessThan(s.now() + 1200);
    // Resumed before the server's expiry: the same session comes back.
    await s.waitFor('connected', 5000);
    expect(s.sessionId).toBe(firstId);
    expect(s.generation).toBe(0);
    expect(states.map((c) => `${c.from}>${c.to}`)).toEqual(['connected>suspended', 'suspended>connected']);
    expect(states[0]?.cause).toBe('no-reply');
    // Back either through a late reply on the same socket or after the watchdog's reconnect.
    expect(['reply-received', 'reconnected']).toContain(states[1]?.cause);
  });

  it('expiredSessionIsReplacedByANewGenerationThatAnnouncesItselfAndDropsOldEphemerals', async () => {
    const s = open(1200);
    const observer = open(4000);
    await Promise.all([s.waitFor('connected'), observer.waitFor('connected')]);
    await s.mkdirp(`${root}/exp`);
    const eph = await s.create(`${root}/exp/e`, null, 'ephemeral');
    const states = record(s);
    const announced: Array<{ generation: number; sessionId: string }> = [];
    s.on('session', (n) => announced.push(n));
    const firstId = s.sessionId;
    await s.injectExpiry();
    await until(() => s.generation === 1 && s.state === 'connected', 5000);
    expect(states.map((c) => `${c.from}>${c.to}`).slice(-3)).toEqual([
      'connected>expired',
      'expired>connecting',
      'connecting>connected',
    ]);
    expect(states.find((c) => c.to === 'expired')?.generation).toBe(0);
    expect(states.at(-1)?.generation).toBe(1);
    expect(announced).toEqual([{ generation: 1, sessionId: s.sessionId }]);
    expect(s.sessionId).not.toBe(firstId);
    expect(await observer.exists(eph)).toBeNull();
    expect(await s.exists('/')).not.toBeNull();
  });

  it('operationOnASilentServerFailsWithATypedErrorInsteadOfHanging', async () => {
    const s = open(1200);
    await s.waitFor('connected');
    await zk.servers[0]!.pause();
    try {
      const err = await s.getData('/').catch((e: unknown) => e);
      expect((err as { code: string }).code).toMatch(/^RL_ZK_(TIMEOUT|CONNECTION_LOSS)$/);
    } finally {
      await zk.servers[0]!.resume();
    }
    await s.waitFor('connected', 10_000);
  });
});
