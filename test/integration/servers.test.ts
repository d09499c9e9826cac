// The Redis and PostgreSQL test servers, against the real Debian binaries and their own clients.

import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findPostgresBin,
  HOW_TO_GET_REDIS,
  type PostgresServer,
  type RedisServer,
  startPostgres,
  startRedis,
} from '@ringleader/launcher';
import { afterAll, describe, expect, it } from 'vitest';

const started: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

function cli(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 5000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

/** Resolves 'refused' or 'connected': what a fresh TCP connect to host:port gets. */
function probe(host: string, port: number): Promise<'refused' | 'connected'> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve('connected');
    });
    sock.once('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNREFUSED' ? resolve('refused') : reject(e),
    );
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Redis test server', () => {
  let master: RedisServer;

  it('answersPingAndAReplicaReportsRoleSlave', async () => {
    master = await startRedis();
    started.push(master);
    const hp = ['-h', master.host, '-p', String(master.port)];
    expect((await cli('redis-cli', [...hp, 'ping'])).trim()).toBe('PONG');
    await cli('redis-cli', [...hp, 'set', 'k', 'v']);

    const replica = await startRedis({ replicaOf: { host: master.host, port: master.port } });
    started.push(replica);
    const rp = ['-h', replica.host, '-p', String(replica.port)];
    expect(await cli('redis-cli', [...rp, 'info', 'replication'])).toMatch(/^role:slave\r?$/m);
    // The replica really follows this master, not just claims the role.
    await until('replica has k', async () => (await cli('redis-cli', [...rp, 'get', 'k'])).trim() === 'v');
    await replica.stop();
    expect(await probe(replica.host, replica.port)).toBe('refused');
  });

  it('restartsOnTheOldPortOfAKilledRedisAndStopFreesIt', async () => {
    const { host, port, pid } = master;
    process.kill(pid, 'SIGKILL');
    await until('killed redis gone', async () => !alive(pid));
    await master.stop(); // only removes the temp dir now
    const again = await startRedis({ port });
    started.push(again);
    expect(again.port).toBe(port);
    expect(again.pid).not.toBe(pid);
    expect((await cli('redis-cli', ['-h', host, '-p', String(port), 'ping'])).trim()).toBe('PONG');
    await again.stop();
    expect(alive(again.pid)).toBe(false);
    expect(await probe(host, port)).toBe('refused');
  });

  it('aRedisThatCannotStartFailsWithItsLogTail', async () => {
    const err = await startRedis({ args: ['--no-such-directive', 'x'] }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/redis-server exited while starting/);
    expect((err as Error).message).toMatch(/no-such-directive/);
  });

  it('aMissingRedisServerNamesTheDebianPackage', async () => {
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'ringleader-empty-path-'));
    try {
      await expect(startRedis()).rejects.toThrow(HOW_TO_GET_REDIS);
    } finally {
      rmSync(process.env.PATH, { recursive: true, force: true });
      process.env.PATH = path;
    }
    expect(HOW_TO_GET_REDIS).toMatch(/apt-get install redis-server/);
  });
});

describe('PostgreSQL test server', () => {
  it('findPostgresBinPicksTheHighestVersionWithBothTools', () => {
    const root = mkdtempSync(join(tmpdir(), 'ringleader-pgroot-'));
    try {
      expect(findPostgresBin(join(root, 'absent'))).toBeUndefined();
      const tool = (v: string, name: string) => {
        mkdirSync(join(root, v, 'bin'), { recursive: true });
        writeFileSync(join(root, v, 'bin', name), '#!/bin/sh\n');
        chmodSync(join(root, v, 'bin', name), 0o755);
      };
      for (const v of ['9.6', '13', '15']) for (const t of ['initdb', 'pg_ctl']) tool(v, t);
      tool('17', 'initdb'); // half an install: no pg_ctl
      mkdirSync(join(root, 'lost+found'));
      expect(findPostgresBin(root)).toBe(join(root, '15', 'bin'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('answersSelectOneAndStopFreesThePortAndTheDir', async () => {
    const t0 = Date.now();
    const pg: PostgresServer = await startPostgres();
    started.push(pg);
    process.stderr.write(`[servers.test] startPostgres took ${Date.now() - t0} ms\n`);
    expect(existsSync(pg.dataDir)).toBe(true);
    const args = ['-h', pg.host, '-p', String(pg.port), '-U', 'postgres', '-At', '-c', 'select 1'];
    expect((await cli('psql', args)).trim()).toBe('1');
    await pg.stop();
    expect(await probe(pg.host, pg.port)).toBe('refused');
    expect(existsSync(pg.dataDir)).toBe(false);
  });
});
