// `ringleader service add|set|get|list|remove` and `backend ... --service` as a child process
// against a real ZooKeeper.
import { describe, expect, it } from 'vitest';
import { useCliZooKeeper } from './cli-helpers.js';

const zk = useCliZooKeeper();

function cluster() {
  const name = zk.newCluster();
  const cli = zk.cliOn(name);
  const path = (service: string) => `/ringleader/${name}/services/${service}`;
  const stored = async (service: string) =>
    JSON.parse((await zk.session.getData(path(service))).data.toString()) as Record<string, unknown>;
  return { name, cli, path, stored };
}

describe('ringleader service', () => {
  it('addSetListRemoveAServiceAndItsBackends', async () => {
    const c = cluster();
    const add = await c.cli(
      'service',
      'add',
      'pg',
      '--protocol',
      'tcp',
      '--listen',
      '5433',
      '--policy',
      'least-connections',
      '--check',
      'postgres',
    );
    expect(add.stderr).toBe('');
    expect(add.stdout).toBe('added service pg: tcp on port 5433\n');
    expect(await c.stored('pg')).toMatchObject({
      protocol: 'tcp',
      listen: 5433,
      policy: 'least-connections',
      healthCheck: { kind: 'postgres' },
      drainTimeoutMs: 30000,
    });
    // add refuses an existing service
    const again = await c.cli(
      'service',
      'add',
      'pg',
      '--protocol',
      'tcp',
      '--listen',
      '5434',
      '--policy',
      'round-robin',
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/service "pg" exists/);

    const b = await c.cli(
      'backend',
      'add',
      'db-1',
      '--host',
      '10.0.0.7',
      '--port',
      '5432',
      '--service',
      'pg',
    );
    expect(b.code).toBe(0);
    expect(await zk.session.exists(`${c.path('pg')}/backends/db-1`)).not.toBeNull();
    // The default service's backends are untouched.
    expect((await c.cli('backend', 'list', '--json')).stdout).not.toContain('db-1');
    expect((await c.cli('backend', 'list', '--service', 'pg', '--json')).stdout).toContain('db-1');

    const set = await c.cli(
      'service',
      'set',
      'pg',
      '--check',
      'http',
      '--check-path',
      '/primary',
      '--check-port',
      '8008',
    );
    expect(set.code).toBe(0);
    expect(await c.stored('pg')).toMatchObject({
      listen: 5433,
      policy: 'least-connections',
      healthCheck: { kind: 'http', path: '/primary', port: 8008 },
    });

    const list = await c.cli('service', 'list');
    expect(list.stdout).toMatch(/^SERVICE\s+PROTOCOL\s+LISTEN\s+POLICY\s+CHECK\s+BACKENDS\s+DEFINITION\n/);
    expect(list.stdout).toMatch(/\npg\s+tcp\s+5433\s+least-connections\s+http\s+1\s+ok\n/);

    expect((await c.cli('service', 'remove', 'pg')).code).toBe(2);
    const rm = await c.cli('service', 'remove', 'pg', '--yes');
    expect(rm.code).toBe(0);
    expect(await zk.session.exists(c.path('pg'))).toBeNull();
  });

  it('anInvalidDefinitionExits2NamingTheFieldAndWritesNothing', async () => {
    const c = cluster();
    const r = await c.cli(
      'service',
      'add',
      'web',
      '--protocol',
      'tcp',
      '--listen',
      '80',
      '--policy',
      'hash',
      '--hash',
      'header:x-user',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /a tcp service sees only the client's address: use ip or ip:port .*\[RL_BAD_HASH_SOURCE\]/,
    );
    const r2 = await c.cli(
      'service',
      'add',
      'web',
      '--protocol',
      'tcp',
      '--listen',
      '70000',
      '--policy',
      'round-robin',
    );
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(
      /invalid listen: must be an integer 1\.\.65535 \(got 70000\) \[RL_BAD_SERVICE\]/,
    );
    expect(await zk.session.exists(c.path('web'))).toBeNull();
  });
});
