// `ringleader config get|set` as a child process against a real ZooKeeper.
import { describe, expect, it } from 'vitest';
import { useCliZooKeeper } from './cli-helpers.js';

const zk = useCliZooKeeper();

function cluster() {
  const name = zk.newCluster();
  const cli = zk.cliOn(name);
  const path = `/ringleader/${name}/config`;
  const stored = async () => {
    const r = await zk.session.getData(path);
    return { version: r.stat.version, json: JSON.parse(r.data.toString()) as Record<string, unknown> };
  };
  return { name, cli, path, stored };
}

interface ConfigJson {
  exists: boolean;
  version: number;
  stored: Record<string, unknown> | null;
  effective: Record<string, unknown> | null;
  error: unknown;
}

describe('ringleader config', () => {
  it('getWithoutAConfigZnodeSaysSo', async () => {
    const c = cluster();
    const text = await c.cli('config', 'get');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^no cluster config in cli-\w+ \(.*\/config does not exist\)/);
    const json = JSON.parse((await c.cli('config', 'get', '--json')).stdout) as ConfigJson;
    expect(json).toMatchObject({ exists: false, version: -1, stored: null, effective: null });
  });

  it('setThenGetRoundTripsAndLaterSetsMerge', async () => {
    const c = cluster();
    const set = await c.cli(
      'config',
      'set',
      '--policy',
      'consistent-hash',
      '--hash',
      'header:X-User-Id',
      '--vnodes',
      '200',
      '--load-factor',
      '1.25',
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^written: \/ringleader\/.*\/config \(version 0\)\n/);
    expect((await c.stored()).json).toEqual({
      policy: 'consistent-hash',
      hash: { source: 'header', name: 'x-user-id' },
      ring: { vnodes: 200, loadFactor: 1.25 },
    });

    const merged = await c.cli('config', 'set', '--retries', '1', '--unset', 'load-factor');
    expect(merged.code).toBe(0);
    const got = JSON.parse((await c.cli('config', 'get', '--json')).stdout) as ConfigJson;
    expect(got.version).toBe(1);
    expect(got.stored).toEqual({
      policy: 'consistent-hash',
      hash: { source: 'header', name: 'x-user-id' },
      ring: { vnodes: 200 },
      retries: 1,
    });
    expect(got.effective).toMatchObject({
      policy: 'consistent-hash',
      ring: { vnodes: 200 },
      retries: 1,
      healthCheck: { path: '/healthz' },
    });

    const table = (await c.cli('config', 'get')).stdout;
    expect(table).toMatch(/\npolicy\s+consistent-hash\s+set\s+--policy\n/);
    expect(table).toMatch(/\nhash\s+header:x-user-id\s+set\s+--hash\n/);
    expect(table).toMatch(/\nhealthCheck\.intervalMs\s+2000\s+default\s+--health-interval\n/);
  });

  it('unknownPolicyExits2NamingItAndWritesNothing', async () => {
    const c = cluster();
    const r = await c.cli('config', 'set', '--policy', 'fastest');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^ringleader: invalid --policy: "fastest" is not one of round-robin, .* \[RL_UNKNOWN_POLICY\]\n$/,
    );
    expect(await zk.session.exists(c.path)).toBeNull();
  });

  it('aPatchInvalidAgainstTheStoredConfigExits2AndKeepsIt', async () => {
    const c = cluster();
    expect((await c.cli('config', 'set', '--policy', 'round-robin')).code).toBe(0);
    // maglev needs a hash source; the stored config has none.
    const r = await c.cli('config', 'set', '--policy', 'maglev');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid --hash: is required by policy maglev');
    expect(await c.stored()).toEqual({ version: 0, json: { policy: 'round-robin' } });
  });

  it('staleIfVersionIsAVersionConflict', async () => {
    const c = cluster();
    await c.cli('config', 'set', '--policy', 'round-robin');
    await c.cli('config', 'set', '--retries', '3');
    const r = await c.cli('config', 'set', '--retries', '0', '--if-version', '0');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ringleader: version conflict — retry: /);
    expect((await c.stored()).json.retries).toBe(3);
  });

  it('anUnreadableStoredConfigIsReportedAndReplaceRepairsIt', async () => {
    const c = cluster();
    await zk.session.mkdirp(`/ringleader/${c.name}`);
    await zk.session.create(c.path, 'not json', 'persistent');
    const got = await c.cli('config', 'get');
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('INVALID: ');
    expect(got.stdout).toContain('[RL_BAD_JSON]');
    expect((await c.cli('config', 'set', '--retries', '1')).code).toBe(2);
    const fixed = await c.cli('config', 'set', '--policy', 'least-connections', '--replace');
    expect(fixed.code).toBe(0);
    expect((await c.stored()).json).toEqual({ policy: 'least-connections' });
  });
});
