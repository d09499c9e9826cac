// `ringleader backend ...` as a child process against a real ZooKeeper. Each test has its
// own cluster name, so tests never see each other's znodes.
import { describe, expect, it } from 'vitest';
import { CliProcess, runCli, useCliZooKeeper } from './cli-helpers.js';
import { deadPort } from './dataplane-helpers.js';

const zk = useCliZooKeeper();

function cluster() {
  const name = zk.newCluster();
  const cli = zk.cliOn(name);
  const data = async (id: string) =>
    JSON.parse((await zk.session.getData(`/ringleader/${name}/backends/${id}`)).data.toString()) as Record<
      string,
      unknown
    >;
  const exists = (id: string) => zk.session.exists(`/ringleader/${name}/backends/${id}`);
  return { name, cli, data, exists };
}

describe('ringleader backend', () => {
  it('addedBackendIsListedAsTableAndJson', async () => {
    const c = cluster();
    const add = await c.cli(
      'backend',
      'add',
      'web-1',
      '--host',
      '127.0.0.1',
      '--port',
      '8081',
      '--weight',
      '2',
      '--zone',
      'eu-1',
      '--meta',
      'role=canary',
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toBe('added backend web-1: 127.0.0.1:8081 weight 2 active zone eu-1\n');
    expect(await c.data('web-1')).toEqual({
      host: '127.0.0.1',
      port: 8081,
      weight: 2,
      state: 'active',
      zone: 'eu-1',
      meta: { role: 'canary' },
    });

    const list = await c.cli('backend', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+ADDRESS\s+WEIGHT\s+STATE\s+ZONE\s+FORMAT$/);
    expect(list.stdout).toMatch(/\nweb-1\s+127\.0\.0\.1:8081\s+2\s+active\s+eu-1\s+native\n/);

    const json = await c.cli('backend', 'list', '--json');
    const parsed = JSON.parse(json.stdout) as {
      cluster: string;
      version: number;
      backends: { id: string; weight: number }[];
      rejected: unknown[];
    };
    expect(parsed.cluster).toBe(c.name);
    expect(parsed.version).toBeGreaterThan(0);
    expect(parsed.backends.map((b) => [b.id, b.weight])).toEqual([['web-1', 2]]);
    expect(parsed.rejected).toEqual([]);
  });

  it('addingAnExistingIdFailsWithExistsAndKeepsThePayload', async () => {
    const c = cluster();
    expect((await c.cli('backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '8081')).code).toBe(0);
    const again = await c.cli('backend', 'add', 'web-1', '--host', '10.9.9.9', '--port', '9999');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^ringleader: backend web-1 exists .*\[RL_ZK_NODE_EXISTS\]\n$/);
    expect(await c.data('web-1')).toMatchObject({ host: '127.0.0.1', port: 8081 });
  });

  it('badPortExits2WithoutTouchingZooKeeper', async () => {
    const c = cluster();
    const bad = await c.cli('backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '70000');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'ringleader: invalid port: must be an integer 1..65535 (got 70000) [RL_BAD_BACKEND_PAYLOAD]\n',
    );
    expect(await c.exists('web-1')).toBeNull();
    // Not even the cluster folders were created: nothing was written at all.
    expect(await zk.session.exists(`/ringleader/${c.name}`)).toBeNull();
  });

  it('updateDrainUndrainRemoveChangeTheZnode', async () => {
    const c = cluster();
    await c.cli('backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '8081', '--zone', 'eu-1');

    const upd = await c.cli('backend', 'update', 'web-1', '--weight', '7', '--zone', '');
    expect(upd.code).toBe(0);
    expect(upd.stdout).toBe('updated backend web-1: 127.0.0.1:8081 weight 7 active\n');
    expect(await c.data('web-1')).toEqual({ host: '127.0.0.1', port: 8081, weight: 7, state: 'active' });

    const drain = await c.cli('backend', 'drain', 'web-1');
    expect(drain.code).toBe(0);
    expect(drain.stdout).toMatch(/^backend web-1 is draining/);
    expect((await c.data('web-1')).state).toBe('draining');

    const undrain = await c.cli('backend', 'undrain', 'web-1', '--json');
    expect(undrain.code).toBe(0);
    expect(JSON.parse(undrain.stdout)).toMatchObject({ id: 'web-1', state: 'active', weight: 7 });
    expect((await c.data('web-1')).state).toBe('active');

    const rm = await c.cli('backend', 'remove', 'web-1');
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe('removed backend web-1\n');
    expect(await c.exists('web-1')).toBeNull();
  });

  it('missingBackendIsNamedOnUpdateDrainAndRemove', async () => {
    const c = cluster();
    for (const args of [
      ['update', 'ghost', '--weight', '2'],
      ['drain', 'ghost'],
      ['remove', 'ghost'],
    ]) {
      const r = await c.cli('backend', ...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toBe(`ringleader: no backend ghost in cluster ${c.name} [RL_ZK_NO_NODE]\n`);
    }
  });

  it('staleIfVersionIsAVersionConflictAndWritesNothing', async () => {
    const c = cluster();
    await c.cli('backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '8081');
    await c.cli('backend', 'update', 'web-1', '--weight', '3'); // data version 0 → 1
    const stale = await c.cli('backend', 'update', 'web-1', '--weight', '9', '--if-version', '0');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(
      /^ringleader: version conflict — retry: \/ringleader\/.*\/backends\/web-1 was changed/,
    );
    expect((await c.data('web-1')).weight).toBe(3);
    const current = await c.cli('backend', 'update', 'web-1', '--weight', '9', '--if-version', '1');
    expect(current.code).toBe(0);
    expect((await c.data('web-1')).weight).toBe(9);
  });

  it('malformedZnodesAreListedSeparatelyWithPathAndCode', async () => {
    const c = cluster();
    await c.cli('backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '8081');
    await zk.session.create(`/ringleader/${c.name}/backends/junk`, '{"host":"x",', 'persistent');
    const list = await c.cli('backend', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /\nREJECTED \(not routed: fix or remove these znodes\)\nPATH\s+CODE\s+PROBLEM\n/,
    );
    expect(list.stdout).toMatch(new RegExp(`\\n/ringleader/${c.name}/backends/junk\\s+RL_BAD_JSON\\s+`));
    const json = JSON.parse((await c.cli('backend', 'list', '--json')).stdout) as {
      backends: unknown[];
      rejected: { path: string; code: string }[];
    };
    expect(json.backends).toHaveLength(1);
    expect(json.rejected).toEqual([
      expect.objectContaining({ path: `/ringleader/${c.name}/backends/junk`, code: 'RL_BAD_JSON' }),
    ]);
  });

  it('ephemeralBackendLivesWhileTheProcessRunsAndGoesOnSigterm', async () => {
    const c = cluster();
    const p = new CliProcess([
      'backend',
      'add',
      'self-1',
      '--host',
      '127.0.0.1',
      '--port',
      '8090',
      '--ephemeral',
      '--zk',
      zk.connectString,
      '--cluster',
      c.name,
    ]);
    try {
      await p.waitFor(/holding ZooKeeper session [0-9a-f]{16}/);
      const owner = p.stdout.match(/holding ZooKeeper session ([0-9a-f]{16})/)?.[1];
      expect((await c.exists('self-1'))?.ephemeralOwner).toBe(owner); // ephemeral, owned by the CLI's session
      const result = await p.stop('SIGTERM');
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('SIGTERM: closing the session; backend self-1 is removed');
      expect(await c.exists('self-1')).toBeNull();
    } finally {
      await p.stop('SIGKILL');
    }
  });

  it('unreachableZooKeeperExits1NamingAddressAndDeadline', async () => {
    const port = await deadPort();
    const r = await runCli(['backend', 'list', '--zk', `127.0.0.1:${port}`, '--timeout', '700']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `ringleader: ZooKeeper unreachable at 127.0.0.1:${port} within 700 ms [RL_ZK_UNREACHABLE]\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('environmentSuppliesTheConnectStringAndCluster', async () => {
    const c = cluster();
    const env = { RINGLEADER_ZK: zk.connectString, RINGLEADER_CLUSTER: c.name };
    expect(
      (await runCli(['backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '8081'], env)).code,
    ).toBe(0);
    expect(await c.exists('web-1')).not.toBeNull();
  });
});
