// The harness itself, against real servers: start 1 and 3, kill/restart, pause/resume.

import { fourLetter, sleep, startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import { afterAll, describe, expect, it } from 'vitest';

const started: ZkEnsemble[] = [];
afterAll(async () => {
  await Promise.all(started.map((z) => z.stop()));
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('ZooKeeper harness', () => {
  it('oneServerStartsServesAndRestartsAfterKill', async () => {
    const zk = await startZooKeeper({ servers: 1, chaos: true });
    started.push(zk);
    const [s] = zk.servers;
    expect(s).toBeDefined();
    expect(await fourLetter(s!.clientPort, 'ruok')).toBe('imok');
    expect(await s!.mode()).toBe('standalone');
    const pid = s!.pid!;
    await s!.kill();
    expect(alive(pid)).toBe(false);
    expect(s!.running).toBe(false);
    expect(await s!.mode()).toBeUndefined();
    await s!.restart();
    expect(s!.pid).not.toBe(pid);
    expect(await s!.mode()).toBe('standalone');
  });

  it('pausedServerIsSilentUntilResumed', async () => {
    const zk = started[0] ?? (await startZooKeeper({ servers: 1, chaos: true }));
    const s = zk.servers[0]!;
    await s.pause();
    await expect(fourLetter(s.clientPort, 'ruok', 500)).rejects.toThrow(/no reply/);
    await s.resume();
    // The connection made while paused is answered once the process runs again.
    expect(await fourLetter(s.clientPort, 'ruok', 2000)).toBe('imok');
  });

  it('threeServerEnsembleReachesQuorumAndSurvivesLosingOne', async () => {
    const zk = await startZooKeeper({ servers: 3, chaos: true });
    started.push(zk);
    expect(zk.connectString.split(',')).toHaveLength(3);
    const modes = await Promise.all(zk.servers.map((s) => s.mode()));
    expect(modes.filter((m) => m === 'leader')).toHaveLength(1);
    expect(modes.filter((m) => m === 'follower')).toHaveLength(2);
    const leader = zk.servers[modes.indexOf('leader')]!;
    await leader.kill();
    const rest = zk.servers.filter((s) => s !== leader);
    const deadline = Date.now() + 20_000;
    let after: Array<string | undefined> = [];
    while (Date.now() < deadline) {
      after = (await Promise.all(rest.map((s) => s.mode()))).sort();
      if (after[0] === 'follower' && after[1] === 'leader') break;
      await sleep(100);
    }
    expect(after.sort()).toEqual(['follower', 'leader']);
    await leader.restart();
    expect(await leader.mode()).toBe('follower');
  });

  it('stopLeavesNoJavaProcessBehind', async () => {
    const zk = await startZooKeeper({ servers: 1, chaos: true });
    const pid = zk.servers[0]!.pid!;
    expect(alive(pid)).toBe(true);
    await zk.stop();
    expect(alive(pid)).toBe(false);
  });
});
