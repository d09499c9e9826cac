// `ringleader node check` as a child process: the node config as `node start` judges it, and
// with --zk the znodes of a real ZooKeeper a node would reject.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, useCliZooKeeper } from './cli-helpers.js';

const zk = useCliZooKeeper();
const dir = mkdtempSync(join(tmpdir(), 'rl-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('ringleader node check', () => {
  it('a valid file passes and says what it will run as; the environment is merged in', async () => {
    const file = configFile('ok.yaml', 'nodeId: lb-1\nzookeeper:\n  connect: 127.0.0.1:2181\n');
    const r = await runCli(['node', 'check', '--config', file], { RINGLEADER_NODE_ID: 'lb-7' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`node config OK (${file} + environment): node lb-7, cluster default`);
  });

  it('an invalid config exits 2 with the messages node start gives', async () => {
    const file = configFile(
      'bad.yaml',
      'nodeId: lb-1\nproxy:\n  listen: nowhere\nmode: active-maybe\ntypo: 1\n',
    );
    const check = await runCli(['node', 'check', '--config', file]);
    const start = await runCli(['node', 'start', '--config', file]);
    expect(check.code).toBe(2);
    expect(start.code).toBe(2);
    const lines = (s: string) =>
      s
        .split('\n')
        .filter((l) => l.startsWith('  - '))
        .sort();
    expect(lines(check.stderr).length).toBeGreaterThanOrEqual(3);
    expect(lines(check.stderr)).toEqual(lines(start.stderr));
    expect(check.stderr).toMatch(/proxy\.listen/);
    expect(check.stderr).toBe(start.stderr);
  });

  it('with --zk, names every znode a node would reject and exits 2; a clean cluster exits 0', async () => {
    const cluster = zk.newCluster();
    const file = configFile(
      `${cluster}.yaml`,
      `nodeId: lb-1\ncluster: ${cluster}\nzookeeper:\n  connect: ${zk.connectString}\n`,
    );
    const clean = await runCli(['node', 'check', '--config', file, '--zk']);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`cluster ${cluster}: no config znode`);

    const root = `/ringleader/${cluster}`;
    await zk.session.mkdirp(`${root}/backends`);
    await zk.session.create(`${root}/config`, '{"policy":"no-such-policy"}', 'persistent');
    await zk.session.create(`${root}/backends/web-1`, '{"host":"127.0.0.1","port":8080}', 'persistent');
    await zk.session.create(`${root}/backends/web-2`, '{"host":"127.0.0.1","port":99999}', 'persistent');
    await zk.session.mkdirp(`${root}/services`);
    await zk.session.create(`${root}/services/pg`, '{"protocol":"tcp"}', 'persistent');

    const bad = await runCli(['node', 'check', '--config', file, '--zk', zk.connectString]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain(
      `cluster ${cluster}: config invalid, 1 backend(s) + 1 rejected, 1 service(s)`,
    );
    expect(bad.stderr).toContain('3 znode(s) a node would reject');
    expect(bad.stderr).toContain(`${root}/config: config rejected`);
    expect(bad.stderr).toContain(`${root}/backends/web-2: backend rejected`);
    expect(bad.stderr).toMatch(new RegExp(`${root}/services/pg: service definition rejected: .+\\[RL_`));
    expect(bad.stderr).toContain('[RL_CLI_CHECK_FAILED]');
  });

  it('with --zk and no ZooKeeper there, exits 1 naming the address', async () => {
    const file = configFile('nozk.yaml', 'nodeId: lb-1\nzookeeper:\n  connect: 127.0.0.1:1\n');
    const r = await runCli(['node', 'check', '--config', file, '--zk', '--timeout', '500']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ZooKeeper unreachable at 127.0.0.1:1');
  });
});
