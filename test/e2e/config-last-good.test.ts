// "Every serving node routes every key alike", including a node that starts into a broken
// config. Three active-active nodes whose own fallback is round robin, the cluster `config`
// znode on consistent hashing by a header; then someone writes an invalid config by hand (as
// anyone with zkCli.sh can) and one node restarts. The restarted node never read the good
// config, so before the last good copy was published it fell back to round robin and sent 49 of
// 60 keys elsewhere. Then: a cluster whose config is invalid with no last good copy at all.
import { readFileSync } from 'node:fs';
import { type LocalCluster, startLocalCluster } from '@ringleader/launcher';
import { clusterPaths } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, keepAlive } from './helpers.js';

const KEYS = 60;

/** The backend that served each key through `proxyUrl`. */
async function owners(proxyUrl: string): Promise<string[]> {
  const agent = keepAlive(4);
  try {
    const out: string[] = [];
    for (let k = 0; k < KEYS; k++) {
      const r = await get(`${proxyUrl}/k`, { headers: { 'x-key': `user-${k}` }, agent });
      out.push(r.status === 200 ? (r.backend ?? '?') : `status ${r.status}`);
    }
    return out;
  } finally {
    agent.destroy();
  }
}

describe('a node that starts while the config znode is invalid', () => {
  let c: LocalCluster;
  beforeAll(async () => {
    c = await startLocalCluster({
      nodes: 3,
      backends: 4,
      mode: 'active-active',
      policy: 'round-robin',
      clusterConfig: { policy: 'consistent-hash', hash: { source: 'header', name: 'x-key' } },
    });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('restartedNodeAfterAnInvalidConfigWriteRoutesEveryKeyLikeTheNodesThatKeptTheLastGoodOne', async () => {
    const p = clusterPaths(c.cluster);
    // Every node has read the good config; one of them has published its validated copy.
    await c.waitFor(
      async () => (await c.statuses()).every(({ status }) => status.snapshot.policy === 'consistent-hash'),
      15_000,
      'every node on consistent-hash',
    );
    await c.waitFor(
      async () => (await c.session.exists(p.configLastGood)) !== null,
      10_000,
      'config-last-good',
    );
    const before = await owners(c.nodes[0]!.proxyUrl);

    await c.session.setData(p.config, JSON.stringify({ policy: 'fastest' }));
    const restarted = c.nodes[2]!;
    await restarted.kill('SIGTERM');
    await restarted.restart();
    await c
      .waitFor(
        async () => {
          const s = await restarted.status();
          return s.config.source === 'last-good' && s.serving;
        },
        15_000,
        `${restarted.id} to take the last good config`,
      )
      .catch(async (err: Error) => {
        const s = await restarted.status().catch(() => undefined);
        throw new Error(
          `${err.message}; its status: ${JSON.stringify({ config: s?.config, gate: s?.gate })}`,
        );
      });

    const all = await c.statuses();
    const fingerprints = new Set(all.map(({ status }) => status.config.fingerprint));
    expect(all.map(({ status }) => status.snapshot.policy)).toEqual([
      'consistent-hash',
      'consistent-hash',
      'consistent-hash',
    ]);
    expect(fingerprints.size).toBe(1);
    for (const n of c.nodes) expect(await owners(n.proxyUrl), `keys through ${n.id}`).toEqual(before);
  }, 60_000);
});

describe('a cluster whose config znode is invalid and was never valid', () => {
  let c: LocalCluster;
  beforeAll(async () => {
    c = await startLocalCluster({ nodes: 1, backends: 2, mode: 'active-active', policy: 'round-robin' });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('nodeThatCannotLearnTheLastGoodConfigIsNotReadyAndSaysWhyInStatusLogAndMetrics', async () => {
    const p = clusterPaths(c.cluster);
    const node = c.nodes[0]!;
    await c.session.create(p.config, JSON.stringify({ policy: 'fastest' })).catch(async () => {
      await c.session.setData(p.config, JSON.stringify({ policy: 'fastest' }));
    });
    await node.kill('SIGTERM');
    await node.restart();
    await c.waitFor(async () => (await node.status()).config.source === 'unknown', 15_000, 'config unknown');
    const s = await node.status();
    expect(s.config.known).toBe(false);
    expect(s.serving).toBe(false);
    expect((await get(`${node.adminUrl}/readyz`)).status).toBe(503);
    const r = await get(`${node.proxyUrl}/x`);
    expect(r.status).toBe(503);
    expect(r.body?.message).toMatch(/config unknown/);
    const metrics = (await get(`${node.adminUrl}/metrics`)).text;
    expect(metrics).toMatch(/^ringleader_config_known 0$/m);
    expect(metrics).toMatch(/^ringleader_config_source\{source="unknown"\} 1$/m);
    await c.waitFor(
      () => readFileSync(node.logFile, 'utf8').includes('RL_CONFIG_UNKNOWN'),
      5000,
      'the log line',
    );

    // A valid write ends it at once: the node serves and publishes the copy.
    await c.session.setData(p.config, JSON.stringify({ policy: 'round-robin' }));
    await c.waitFor(async () => (await node.status()).serving, 10_000, 'serving again');
    expect((await node.status()).config.source).toBe('znode');
    expect((await get(`${node.proxyUrl}/x`)).status).toBe(200);
  }, 60_000);
});
