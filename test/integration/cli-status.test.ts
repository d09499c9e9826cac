// `ringleader status` and `ringleader leader resign` as child processes against a real
// ZooKeeper and real LB nodes (`ringleader node start`, also child processes).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CliProcess as Cli,
  type CliProcess,
  runCli,
  startNodeProcess,
  useCliZooKeeper,
} from './cli-helpers.js';
import { until } from './poll.js';

const zk = useCliZooKeeper();

interface StatusJson {
  cluster: string;
  leader: { id: string; epoch: number; adminUrl: string } | null;
  membershipVersion: number;
  agreement: { agreed: boolean; disagreeing: string[]; fingerprint: string | null };
  nodes: {
    id: string;
    role: string | null;
    electionRole: string;
    serving: boolean | null;
    snapshotVersion: number | null;
    inAgreement: boolean | null;
    fingerprint: string | null;
    reachable: boolean;
  }[];
  backends: { id: string; weight: number; state: string; health: Record<string, string> }[];
  config: { exists: boolean; policy: string | null };
}

describe('ringleader status without nodes', () => {
  it('statusJsonShowsBackendsAndConfigWhenNoNodeRuns', async () => {
    const cluster = zk.newCluster();
    const cli = zk.cliOn(cluster);
    await cli('backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '8081', '--weight', '3');
    await cli('backend', 'add', 'web-2', '--host', '127.0.0.1', '--port', '8082', '--draining');
    await cli('config', 'set', '--policy', 'least-connections');
    const r = await cli('status', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as StatusJson;
    expect(s.cluster).toBe(cluster);
    expect(s.leader).toBeNull();
    expect(s.nodes).toEqual([]);
    expect(s.config).toMatchObject({ exists: true, policy: 'least-connections' });
    expect(s.backends.map((b) => [b.id, b.weight, b.state, b.health])).toEqual([
      ['web-1', 3, 'active', {}],
      ['web-2', 1, 'draining', {}],
    ]);
    const text = await cli('status');
    expect(text.stdout).toContain('leader:  none (no leader znode)');
    expect(text.stdout).toContain('ring:    no nodes registered');
  });
});

describe('ringleader status and leader resign with live nodes', () => {
  const cluster = zk.newCluster();
  const token = `tok-${randomUUID()}`;
  const tokenFile = join(tmpdir(), `ringleader-cli-token-${randomUUID()}`);
  const nodes: CliProcess[] = [];
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runCli([...args, '--zk', zk.connectString, '--cluster', cluster], env);
  const status = async () => JSON.parse((await cli(['status', '--json'])).stdout) as StatusJson;

  beforeAll(async () => {
    writeFileSync(tokenFile, `${token}\n`);
    await cli(['backend', 'add', 'web-1', '--host', '127.0.0.1', '--port', '1']);
    nodes.push(startNodeProcess({ id: 'lb-1', zk: zk.connectString, cluster, token }));
    await until(
      async () => (await zk.session.exists(`/ringleader/${cluster}/leader`)) !== null,
      15_000,
      'lb-1 to lead',
    );
    nodes.push(startNodeProcess({ id: 'lb-2', zk: zk.connectString, cluster, token }));
    await until(
      async () => {
        const s = await status();
        return (
          s.nodes.length === 2 &&
          s.nodes.every((n) => n.reachable && n.role !== 'candidate' && n.inAgreement === true)
        );
      },
      15_000,
      'both nodes registered, reachable and on the current snapshot',
    );
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop('SIGTERM')));
    rmSync(tokenFile, { force: true });
  });

  it('statusShowsRolesServingAndRingAgreement', async () => {
    const s = await status();
    expect(s.leader?.id).toBe('lb-1');
    expect(s.nodes.map((n) => [n.id, n.role, n.electionRole, n.serving])).toEqual([
      ['lb-1', 'leader', 'leader', true],
      ['lb-2', 'standby', 'standby', false],
    ]);
    expect(s.agreement).toMatchObject({ agreed: true, disagreeing: [] });
    expect(s.agreement.fingerprint).toMatch(/^[0-9a-f]{8}$/);
    expect(s.nodes.map((n) => n.fingerprint)).toEqual([s.agreement.fingerprint, s.agreement.fingerprint]);
    expect(s.nodes.map((n) => n.snapshotVersion)).toEqual([s.membershipVersion, s.membershipVersion]);
    // Each node reports its own view of web-1's health (port 1: nothing listens).
    expect(Object.keys(s.backends[0]!.health).sort()).toEqual(['lb-1', 'lb-2']);

    const text = (await cli(['status'])).stdout;
    expect(text).toMatch(
      /\nlb-1\s+leader\s+\d+\s+connected\s+\d+\s+[\w-]+\s+[0-9a-f]{8} \(\w+\)\s+yes\s+\d+\s+http:\/\/127\.0\.0\.1:\d+\n/,
    );
    expect(text).toMatch(
      /\nlb-2\s+standby\s+\d+\s+connected\s+\d+\s+[\w-]+\s+[0-9a-f]{8} \(\w+\)\s+no\s+\d+\s+http:\/\/127\.0\.0\.1:\d+\n/,
    );
    expect(text).toContain('ring:    agreed: 2 nodes on snapshot');
    expect(text).toMatch(/HEALTH@lb-1\s+HEALTH@lb-2\n/);
  });

  it('resignWithoutTheAdminTokenIsRefused', async () => {
    const r = await cli(['leader', 'resign']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'ringleader: lb-1 refused: a valid admin token is required (--admin-token-file FILE or RINGLEADER_ADMIN_TOKEN) [RL_CLI_ADMIN_REQUEST]\n',
    );
    expect((await status()).leader?.id).toBe('lb-1');
  });

  it('resignHandsLeadershipToTheStandby', async () => {
    const before = (await status()).leader!;
    const r = await cli(['leader', 'resign', '--admin-token-file', tokenFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^resigned:    lb-1 \\(epoch ${before.epoch}\\) stepped down\\nnow leading: lb-2 \\(epoch \\d+\\)`,
      ),
    );
    const after = (await status()).leader!;
    expect(after.id).toBe('lb-2');
    expect(after.epoch).toBeGreaterThan(before.epoch);

    const back = await cli(['leader', 'resign', '--json'], { RINGLEADER_ADMIN_TOKEN: token });
    expect(back.code).toBe(0);
    expect(JSON.parse(back.stdout)).toMatchObject({ before: { id: 'lb-2' }, after: { id: 'lb-1' } });
  });

  it('watchRedrawsWithARefreshLineUntilSigint', async () => {
    const w = new Cli([
      'status',
      '--watch',
      '--interval',
      '300',
      '--zk',
      zk.connectString,
      '--cluster',
      cluster,
    ]);
    try {
      await until(
        () => (w.stdout.match(/\nrefreshed \S+ · every 300 ms · Ctrl-C to stop\n/g) ?? []).length >= 2,
        10_000,
        'two refreshes',
      );
      const r = await w.stop('SIGINT');
      expect(r.code).toBe(0);
      // Not a TTY: frames are separated, not cleared.
      expect(r.stdout).not.toContain('\x1b[2J');
      expect(r.stdout).toMatch(/^----- \d{4}-\d\d-\d\dT[\d:.]+Z -----\ncluster /);
      expect(r.stdout).toContain('\nNODES\n');
    } finally {
      await w.stop('SIGKILL');
    }
  });

  it('watchIntoAPipeThatClosesExitsQuietlyWithoutAnEpipeStack', () => {
    // `ringleader status --watch | head -3`: head exits after three lines, the next frame's
    // write fails with EPIPE; the command must end at once, with status 0 and nothing on stderr.
    const cmd = `set -o pipefail; "${process.execPath}" "${CLI_BIN}" status --watch --interval 200 --zk ${zk.connectString} --cluster ${cluster} | head -3`;
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 15_000 });
    expect(r.error).toBeUndefined();
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(3);
  });
});
