// Hostile znodes written straight into ZooKeeper (no validation on the way in) while a client
// loop runs through the leader of a running 3-node cluster: malformed, binary, deeply nested,
// oversized (up to ZooKeeper's ~1 MiB jute.maxbuffer) payloads; 10 000 backend znodes; a config
// znode flipping between valid and invalid 50 times a second. Nodes stay up, keep the last good
// state, report the bad path with a code, and the client loop sees only 200s.
import { randomBytes } from 'node:crypto';
import { type LocalCluster, type LocalNode, sleep, startLocalCluster } from '@ringleader/launcher';
import { clusterPaths, type TxOp } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { steadyLoad } from '../e2e/helpers.js';
import { figure, logLines, rssMiB } from './helpers.js';

let c: LocalCluster;
let leader: LocalNode;
let p: ReturnType<typeof clusterPaths>;
let load: ReturnType<typeof steadyLoad>;

beforeAll(async () => {
  c = await startLocalCluster({
    nodes: 3,
    backends: 2,
    // Health checks of 10 000 fake backends would be a load test of the checker, not of the
    // membership path: probe rarely (the first probe of each lands within 10 % of this).
    clusterConfig: { policy: 'round-robin', healthCheck: { intervalMs: 3_600_000, timeoutMs: 1000 } },
  });
  p = clusterPaths(c.cluster);
  leader = await c.leader();
  load = steadyLoad([leader.proxyUrl], { ratePerTarget: 40, path: '/hostile' });
}, 60_000);

afterAll(async () => {
  await load?.stop();
  await c?.stop();
});

/** Every node is up, still has b1 and b2, and reports each of `paths` as rejected with a code. */
async function expectEveryNodeRejects(paths: readonly string[], timeoutMs = 15_000): Promise<void> {
  await c.waitFor(
    async () => {
      const all = await c.statuses();
      if (all.length !== 3) return false;
      return all.every(
        ({ status }) =>
          status.backends.some((b) => b.id === 'b1') &&
          status.backends.some((b) => b.id === 'b2') &&
          paths.every((path) =>
            status.rejected.some(
              (r) => r.path === path && typeof r.code === 'string' && r.code.startsWith('RL_'),
            ),
          ),
      );
    },
    timeoutMs,
    `every node to report ${paths.join(', ')} as rejected`,
  );
}

describe('hostile znodes through a running 3-node cluster', () => {
  it('malformedBinaryAndDeeplyNestedBackendPayloadsAreRejectedWithPathAndCodeWhileTrafficFlows', async () => {
    const payloads: Record<string, Buffer | string> = {
      'h-not-json': '{"host": "10.0.0.1", "port": 80',
      'h-binary': randomBytes(4096),
      'h-nul-bytes': Buffer.from('{"host":"10.0.0.1\u0000","port":80}'),
      'h-empty': Buffer.alloc(0),
      'h-nested-meta': `{"host":"127.0.0.1","port":80,"meta":${'{"a":'.repeat(12_000)}1${'}'.repeat(12_000)}}`,
      'h-array-bomb': `${'['.repeat(30_000)}${']'.repeat(30_000)}`,
      'h-proto': '{"__proto__":{"polluted":true},"host":"127.0.0.1","port":80}',
      'h-bad-port': '{"host":"127.0.0.1","port":1e309}',
      'h-60k-host': `{"host":"${'a'.repeat(60_000)}","port":80}`,
      'h-over-64k': Buffer.alloc(200 * 1024, 0x7b),
    };
    for (const [id, data] of Object.entries(payloads)) await c.session.create(`${p.backends}/${id}`, data);
    const paths = Object.keys(payloads).map((id) => `${p.backends}/${id}`);
    await expectEveryNodeRejects(paths);
    const { status } = (await c.statuses())[0]!;
    figure(
      'rejected-backend-codes',
      Object.fromEntries(status.rejected.filter((r) => r.id?.startsWith('h-')).map((r) => [r.id, r.code])),
    );
    for (const node of c.nodes) {
      expect(node.running).toBe(true);
      // Reported in the log with path and code. The node's logger writes asynchronously, so
      // the line may land in the file a moment after /status shows the rejection.
      await c.waitFor(
        () => logLines(node.logFile, /h-binary/).some((l) => typeof l.code === 'string'),
        10_000,
        `${node.id} to log h-binary with a code`,
      );
    }
    // Cleared: the nodes go back to no rejection.
    await c.session.transaction(
      Object.keys(payloads).map((id) => ({ op: 'remove', path: `${p.backends}/${id}` })),
    );
    await c.waitForBackends(['b1', 'b2']);
  });

  it('oversizedPayloadsAtTheOneMebibyteLimitNeverReachANodeOrAreRejectedAsTooLarge', async () => {
    // 1 MiB + 1 byte: refused by the client library before anything is sent.
    await expect(
      c.session.create(`${p.backends}/h-1mib-plus`, Buffer.alloc(1024 * 1024 + 1, 0x61)),
    ).rejects.toMatchObject({
      code: 'RL_ZK_BAD_ARGUMENTS',
    });
    // Exactly 1 MiB: the request packet is over the server's jute.maxbuffer (0xfffff bytes):
    // the server drops the connection; nothing is written and the session reconnects.
    const oneMiB = await c.session.create(`${p.backends}/h-1mib`, Buffer.alloc(1024 * 1024, 0x61)).then(
      () => 'written',
      (err: { code?: string }) => err.code ?? 'error',
    );
    figure('create-1MiB', oneMiB);
    expect(oneMiB).not.toBe('written');
    await c.session.waitFor('connected', 10_000);
    expect(await c.session.exists(`${p.backends}/h-1mib`)).toBeNull();
    // Just under the limit: written, read by every node (a ~1 MiB getData) and rejected.
    const big = `${p.backends}/h-1mib-minus`;
    await c.session.create(big, Buffer.alloc(1024 * 1024 - 1024, 0x61));
    const cfgBefore = (await c.statuses()).map(({ status }) => status.config.policy);
    await c.session.setData(p.config, Buffer.alloc(1024 * 1024 - 1024, 0x7b));
    await expectEveryNodeRejects([big]);
    const rejected = (await c.statuses())[0]!.status.rejected.find((r) => r.path === big);
    expect(rejected?.code).toBe('RL_PAYLOAD_TOO_LARGE');
    await sleep(500);
    // The oversized config is refused too; the last good config stays in force.
    expect((await c.statuses()).map(({ status }) => status.config.policy)).toEqual(cfgBefore);
    for (const node of c.nodes) {
      await c.waitFor(
        () => logLines(node.logFile, /config rejected/).some((l) => l.code === 'RL_PAYLOAD_TOO_LARGE'),
        10_000,
        `${node.id} to log the oversized config`,
      );
    }
    await c.session.remove(big);
    await c.session.setData(
      p.config,
      JSON.stringify({ policy: 'round-robin', healthCheck: { intervalMs: 3_600_000 } }),
    );
  });

  it('tenThousandBackendZnodesAreTakenInByEveryNodeAndRemovedAgainWhileTrafficFlows', async () => {
    const N = 10_000;
    const BATCH = 1000;
    const rssBefore = c.nodes.map((n) => rssMiB(n.pid as number));
    const t0 = performance.now();
    // weight 0: members that take no traffic (the two real backends keep serving the loop).
    for (let i = 0; i < N; i += BATCH) {
      const ops: TxOp[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) {
        const data = JSON.stringify({ host: '127.0.0.1', port: 9, weight: 0, zone: `z${j % 7}` });
        ops.push({ op: 'create', path: `${p.backends}/bulk-${String(j).padStart(5, '0')}`, data });
      }
      await c.session.transaction(ops);
    }
    const written = performance.now() - t0;
    await c.waitFor(
      async () => {
        const all = await c.statuses();
        return all.length === 3 && all.every(({ status }) => status.snapshot.backends === N + 2);
      },
      60_000,
      `every node to hold ${N + 2} backends`,
    );
    const converged = performance.now() - t0;
    const rssWith = c.nodes.map((n) => rssMiB(n.pid as number));
    // Same version everywhere (zxid-based), so every node routes by the same membership.
    const versions = new Set((await c.statuses()).map(({ status }) => status.snapshot.version));
    expect(versions.size).toBe(1);
    for (let i = 0; i < N; i += BATCH) {
      const ops: TxOp[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++)
        ops.push({ op: 'remove', path: `${p.backends}/bulk-${String(j).padStart(5, '0')}` });
      await c.session.transaction(ops);
    }
    await c.waitForBackends(['b1', 'b2'], 60_000);
    const removed = performance.now() - t0;
    figure('10k-backends', {
      writtenMs: Math.round(written),
      allNodesConvergedMs: Math.round(converged),
      removedAndConvergedMs: Math.round(removed),
      rssMiBBefore: rssBefore,
      rssMiBWith10k: rssWith,
      rssMiBAfter: c.nodes.map((n) => rssMiB(n.pid as number)),
    });
    for (const node of c.nodes) expect(node.running).toBe(true);
  });

  it('aConfigZnodeFlippingBetweenValidAndInvalid50TimesASecondKeepsTheLastGoodConfigEverywhere', async () => {
    const valid = [
      { policy: 'least-connections', healthCheck: { intervalMs: 3_600_000 } },
      { policy: 'round-robin', healthCheck: { intervalMs: 3_600_000 } },
    ];
    const invalid = [
      '{"policy":"nope"}',
      randomBytes(64),
      '{"policy":"hash"}',
      '',
      '{"policy":"round-robin",',
    ];
    const writes = 150; // 3 s at 50 a second
    let lastGood = '';
    const start = performance.now();
    for (let i = 0; i < writes; i++) {
      if (i % 2 === 0) {
        const v = valid[(i / 2) % 2]!;
        lastGood = v.policy;
        await c.session.setData(p.config, JSON.stringify(v));
      } else await c.session.setData(p.config, invalid[i % invalid.length]!);
      const due = start + (i + 1) * 20;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const rate = Math.round((writes / (performance.now() - start)) * 1000);
    // Watches are one-shot and re-read the latest data, so a node may skip intermediate states
    // during the flood: what it must never do is take an invalid one. Settle on a known valid
    // config everywhere, then end on an invalid write: every node must keep the valid one.
    lastGood = 'least-connections';
    await c.session.setData(p.config, JSON.stringify(valid[0]));
    // All three: a node that did not answer /status here could still be on the flood's other
    // valid policy and would then, reading only the invalid write below, rightly keep that one.
    await c.waitFor(
      async () => {
        const all = await c.statuses();
        return all.length === 3 && all.every(({ status }) => status.config.policy === lastGood);
      },
      10_000,
      `every node to take ${lastGood}`,
    );
    await c.session.setData(p.config, '{"policy":"nope"}');
    await c.waitFor(
      async () => {
        const all = await c.statuses();
        return all.length === 3 && all.every(({ status }) => status.config.policy === lastGood);
      },
      10_000,
      `every node to keep ${lastGood}`,
    );
    await sleep(300);
    for (const { status } of await c.statuses()) expect(status.config.policy).toBe(lastGood);
    for (const node of c.nodes) {
      expect(node.running).toBe(true);
      const rejections = logLines(node.logFile, /config rejected/);
      expect(rejections.length).toBeGreaterThan(0);
      expect(rejections.every((l) => typeof l.code === 'string' && l.path === p.config)).toBe(true);
    }
    figure('config-flip', { writesPerSecond: rate, lastGood });
  });

  it('theClientLoopSawOnly200sThroughoutAndNoNodeDied', async () => {
    const r = await load.stop();
    figure('client-loop', {
      sent: r.sent,
      ok: r.ok,
      failures: r.failures.length,
      first: r.failures.slice(0, 5),
      kinds: [...new Set(r.failures.map((f) => f.what.slice(0, 60)))],
    });
    expect(r.failures).toEqual([]);
    expect(r.ok).toBeGreaterThan(100);
    for (const node of c.nodes) expect(node.running).toBe(true);
  });
});
