import { describe, expect, it } from 'vitest';
import { serviceHost, startTierServers } from './demo-tier-setup.js';

// The launcher's two starters, as they behave on a machine with or without Debian's packages.
const redisOk = (port: number) => ({ host: '127.0.0.1', port, pid: 1000 + port, stop: async () => {} });
const missing = (what: string) => () =>
  Promise.reject(new Error(`${what} not found on PATH: install it\nmore`));

describe('startTierServers', () => {
  it('a tier whose server cannot start is skipped with one line; a half-started Redis tier is stopped', async () => {
    const stopped: number[] = [];
    let n = 0;
    const t = await startTierServers({
      startRedis: async () => {
        const port = 6000 + ++n;
        if (n === 2) throw new Error('redis-server not found on PATH: install it');
        return { ...redisOk(port), stop: async () => void stopped.push(port) };
      },
      startPostgres: missing('PostgreSQL'),
    });
    expect(t.redis).toEqual([]);
    expect(t.pg).toBeUndefined();
    expect(t.skipped).toEqual([
      'no Redis tier: redis-server not found on PATH: install it',
      'no PostgreSQL tier: PostgreSQL not found on PATH: install it',
    ]);
    await t.stop();
    expect(stopped).toEqual([6001]);
  });

  it('both tiers: two redis-servers and a PostgreSQL, their pids noted', async () => {
    let port = 7000;
    const t = await startTierServers({
      startRedis: async () => redisOk(++port),
      startPostgres: async () => ({ host: '127.0.0.1', port: 5999, dataDir: '/tmp/x', stop: async () => {} }),
    });
    expect(t.redis.map((r) => r.port)).toEqual([7001, 7002]);
    expect(t.pg?.port).toBe(5999);
    expect(t.skipped).toEqual([]);
    expect(t.pids).toEqual([8001, 8002]);
  });

  it('node i listens for services on 127.0.0.(i+1)', () => {
    expect([0, 1, 2].map(serviceHost)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
  });
});
