// The observability files the project ships, checked by Prometheus's own promtool (Debian's
// `prometheus` package, installed by scripts/setup.sh): the sample scrape config and its rule
// file load, every alert rule fires on its case (alerts.test.yml), and a live node's /metrics
// — with a redis service, whose series are written by hand — passes `promtool check metrics`.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type LocalCluster, startLocalCluster, startRedis } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const DIR = join(import.meta.dirname, '../../deploy/observability');
const PROMTOOL = '/usr/bin/promtool';
// Locally a machine may lack promtool; CI installs it, so there its absence fails the suite.
const present = existsSync(PROMTOOL) || process.env.CI === 'true';

let c: LocalCluster | undefined;
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;

beforeAll(async () => {
  if (!present) return;
  redis = await startRedis();
  c = await startLocalCluster({ nodes: 1, backends: 1 });
  const root = `/ringleader/${c.cluster}/services`;
  await c.session.mkdirp(`${root}/cache/backends`);
  await c.session.setData(
    `${root}/cache`,
    JSON.stringify({ protocol: 'redis', listen: 16495, policy: 'maglev' }),
  );
  await c.session.create(`${root}/cache/backends/r1`, JSON.stringify({ host: redis.host, port: redis.port }));
  await c.waitFor(
    async () => {
      const r = await run('redis-cli', ['-p', '16495', 'SET', 'k', 'v'], { timeout: 3000 }).catch(
        () => undefined,
      );
      return r?.stdout.trim() === 'OK';
    },
    15_000,
    'the redis service answers',
  );
}, 60_000);

afterAll(async () => {
  await c?.stop();
  await redis?.stop();
});

function promtool(args: string[], stdin?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(PROMTOOL, args, { cwd: DIR });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
    p.stdin.end(stdin ?? '');
  });
}

describe.skipIf(!present)('observability files under promtool', () => {
  it('theSamplePrometheusConfigAndItsAlertRulesLoad', async () => {
    const r = await promtool(['check', 'config', 'prometheus.yml']);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code, r.out).toBe(0);
  });

  it('everyAlertRulePassesItsUnitTests', async () => {
    const r = await promtool(['test', 'rules', 'alerts.test.yml']);
    expect(r.code, r.out).toBe(0);
  });

  it('aLiveNodesMetricsPassPromtoolCheckMetrics', async () => {
    const node = c?.nodes[0];
    const text = await (await fetch(`${node?.adminUrl}/metrics`)).text();
    expect(text).toMatch(/ringleader_redis_commands_total\{service="cache",backend="r1"\}/);
    const r = await promtool(['check', 'metrics'], text);
    expect(r.code, r.out).toBe(0);
  });
});
