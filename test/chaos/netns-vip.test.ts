// Chaos, network-namespace variant: three LB nodes on their own addresses, each in a network
// namespace of its own, joined by a bridge (namespaces this test creates; 10.213.77.0/24 exists
// only inside them). Nodes are configured with `vip: { address, interface }`: the leader holds
// the virtual IP on its eth0 and announces it with gratuitous ARP. A client in a fourth
// namespace sends steady traffic to the VIP only. SIGKILL the leader: the VIP must move to the
// new leader and the client's traffic to the VIP must resume there (errors during the failover
// are allowed; none once it is back). The killed node, started again, rejoins as a standby and
// drops the VIP its crash left on its interface.
//
// Runs only as root where `ip netns` works and arping is installed; otherwise it is reported as
// skipped and the reason is printed. ZooKeeper stays on the host's loopback: each LB namespace
// reaches it through a relay over a unix socket (see netns/relay.mjs), so the host namespace
// never gets an address on the test network.
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_SCRIPT, CLI_BIN, startZooKeeper, type ZkEnsemble } from '@ringleader/launcher';
import type { StatusDocument } from '@ringleader/node';
import { ClusterAdmin, ZkSession } from '@ringleader/zk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstLine, netnsUnavailable, Topology } from './netns/topology.js';
import { monoMs, reportMetric, sleep } from './support.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RELAY = join(HERE, 'netns/relay.mjs');
const CLIENT = join(HERE, 'netns/client.mjs');

const SESSION_MS = 1500;
const NET = '10.213.77';
const VIP = `${NET}.100`;
const PROXY_PORT = 8080;
const ADMIN_PORT = 9090;
const ZK_PORT_IN_NS = 2181;
const LB = ['lb1', 'lb2', 'lb3'] as const;
type Lb = (typeof LB)[number];

const unavailable = netnsUnavailable();
if (unavailable) process.stdout.write(`[chaos] network-namespace VIP test skipped: ${unavailable}\n`);

let zk: ZkEnsemble | undefined;
let session: ZkSession | undefined;
let topo: Topology | undefined;
let dir = '';
const nodes = new Map<Lb, ChildProcess>();

/** GET /status of a node's admin port, through its relay's unix socket. */
function status(lb: Lb, timeoutMs = 1000): Promise<StatusDocument> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: join(dir, `admin-${lb}.sock`), path: '/status', timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          try {
            resolve(JSON.parse(text) as StatusDocument);
          } catch (err) {
            reject(err);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('status timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = monoMs() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (monoMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The one running node that serves as leader, once every other running node is a standby. */
async function leader(timeoutMs: number, among: readonly Lb[] = LB): Promise<Lb> {
  return waitFor(
    async () => {
      const all = await Promise.all(among.map(async (lb) => ({ lb, s: await status(lb) })));
      const leaders = all.filter(({ s }) => s.role === 'leader' && s.serving);
      const others = all.filter(({ s }) => s.role === 'standby' && !s.serving);
      return leaders.length === 1 && others.length === among.length - 1 ? leaders[0]!.lb : undefined;
    },
    timeoutMs,
    'exactly one serving leader',
  );
}

const holdsVip = (lb: Lb) => topo!.addresses(lb).some((a) => a.startsWith(`${VIP}/`));

function startNode(lb: Lb, zkConnect: string): void {
  const i = LB.indexOf(lb) + 1;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RINGLEADER_')) env[k] = v;
  Object.assign(env, {
    RINGLEADER_NODE_ID: `lb-${i}`,
    RINGLEADER_CLUSTER: 'default',
    RINGLEADER_ZK: zkConnect,
    RINGLEADER_SESSION_TIMEOUT_MS: String(SESSION_MS),
    RINGLEADER_MODE: 'active-passive',
    RINGLEADER_STANDBY: 'reject',
    RINGLEADER_PROXY_LISTEN: `0.0.0.0:${PROXY_PORT}`,
    RINGLEADER_ADMIN_LISTEN: `127.0.0.1:${ADMIN_PORT}`,
    RINGLEADER_ADVERTISE_HOST: `${NET}.1${i}`,
    RINGLEADER_VIP_ADDRESS: `${VIP}/24`,
    RINGLEADER_VIP_INTERFACE: 'eth0',
  });
  const log = openSync(join(dir, `${lb}.log`), 'a');
  nodes.set(lb, topo!.spawnNode(lb, [CLI_BIN, 'node', 'start'], env, log));
  closeSync(log);
}

describe.skipIf(unavailable !== undefined)('chaos: network namespaces, VIP', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rlchaos-netns-'));
    zk = await startZooKeeper({ servers: 1, tickTime: 200, chaos: true });
    session = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 4000 });
    session.start();
    await session.waitFor('connected', 10_000);
    const admin = new ClusterAdmin({ session, cluster: 'default' });
    await admin.ensureClusterPaths();

    topo = Topology.create(`rlchaos-${process.pid}`, [
      ...LB.map((lb, i) => ({ name: lb, address: `${NET}.1${i + 1}/24` })),
      { name: 'be', address: `${NET}.20/24` },
      { name: 'cl', address: `${NET}.30/24` },
    ]);

    // ZooKeeper (host loopback) ← unix socket ← relay in each LB namespace; admin ports → unix sockets.
    const zkSock = join(dir, 'zk.sock');
    const hostRelay = topo.spawnHostNode([
      RELAY,
      `unix:${zkSock}=tcp:127.0.0.1:${zk.servers[0]!.clientPort}`,
    ]);
    expect(await firstLine(hostRelay, 'host relay')).toBe('ready');
    for (const lb of LB) {
      const relay = topo.spawnNode(
        lb,
        [
          RELAY,
          `tcp:127.0.0.1:${ZK_PORT_IN_NS}=unix:${zkSock}`,
          `unix:${join(dir, `admin-${lb}.sock`)}=tcp:127.0.0.1:${ADMIN_PORT}`,
        ],
        process.env,
        'pipe',
      );
      expect(await firstLine(relay, `relay in ${lb}`)).toBe('ready');
    }

    // Two sample backends in their own namespace.
    for (const id of ['b1', 'b2']) {
      const b = topo.spawnNode(
        'be',
        [BACKEND_SCRIPT, '--id', id, '--host', `${NET}.20`, '--port', '0'],
        process.env,
        'pipe',
      );
      const { port } = JSON.parse(await firstLine(b, `backend ${id}`)) as { port: number };
      await admin.addBackend(id, { host: `${NET}.20`, port });
    }

    for (const lb of LB) startNode(lb, `127.0.0.1:${ZK_PORT_IN_NS}`);
    await leader(30_000);
  }, 60_000);

  afterAll(async () => {
    topo?.destroy();
    await session?.close().catch(() => {});
    await zk?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('leaderSigkillMovesTheVipToTheNewLeaderAndClientTrafficToTheVipResumesThere', async () => {
    const old = await leader(10_000);
    const oldEpoch = (await status(old)).epoch!;
    await waitFor(async () => (holdsVip(old) ? true : undefined), 5000, `the VIP on ${old}`);
    expect(LB.filter((lb) => lb !== old && holdsVip(lb))).toEqual([]);

    const client = topo!.spawnNode(
      'cl',
      [CLIENT, `http://${VIP}:${PROXY_PORT}/vip`, '50'],
      process.env,
      'pipe',
    );
    const outcomes: Array<{
      at: number;
      ok: boolean;
      status: number;
      code?: string;
      node?: string;
      epoch?: number;
    }> = [];
    let buf = '';
    client.stdout?.setEncoding('utf8');
    client.stdout?.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        outcomes.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
    });
    const clientExit = new Promise((r) => client.once('exit', r));
    try {
      await waitFor(
        async () => (outcomes.filter((o) => o.ok).length >= 50 ? true : undefined),
        10_000,
        'traffic on the VIP',
      );
      const t0 = monoMs();
      nodes.get(old)!.kill('SIGKILL');
      const survivors = LB.filter((lb) => lb !== old);
      const next = await leader(SESSION_MS + 5000, survivors);
      const electedMs = monoMs() - t0;
      await waitFor(async () => (holdsVip(next) ? true : undefined), 5000, `the VIP on ${next}`);
      const vipMs = monoMs() - t0;
      const nextId = `lb-${LB.indexOf(next) + 1}`;
      await waitFor(
        async () => (outcomes.filter((o) => o.ok && o.node === nextId).length >= 50 ? true : undefined),
        SESSION_MS + 8000,
        `client traffic on the VIP served by ${next}`,
      );
      client.kill('SIGTERM');
      await clientExit;

      const newEpoch = (await status(next)).epoch!;
      const staleVip = holdsVip(old);
      const lastOld = outcomes.filter((o) => o.ok && o.at < t0 + 5000 && o.node !== nextId).at(-1);
      const firstNew = outcomes.find((o) => o.ok && o.node === nextId);
      const errors = outcomes.filter((o) => !o.ok && o.at > t0);
      const afterResume = outcomes.filter((o) => !o.ok && firstNew !== undefined && o.at > firstNew.at);
      const codes: Record<string, number> = {};
      for (const e of errors) codes[String(e.code)] = (codes[String(e.code)] ?? 0) + 1;
      reportMetric(
        'chaos_netns_vip_failover_ms',
        firstNew && lastOld ? Math.round(firstNew.at - lastOld.at) : -1,
        {
          killToNewLeaderMs: Math.round(electedMs),
          killToVipMovedMs: Math.round(vipMs),
          killToFirstSuccessMs: firstNew ? Math.round(firstNew.at - t0) : null,
          errorsDuringFailover: errors.length - afterResume.length,
          errorCodes: codes,
          errorsAfterResume: afterResume.length,
          staleVipOnKilledNode: staleVip,
          oldEpoch,
          newEpoch,
          sessionTimeoutMs: SESSION_MS,
        },
      );
      expect(newEpoch).toBeGreaterThan(oldEpoch);
      expect(holdsVip(next)).toBe(true);
      expect(survivors.filter((lb) => lb !== next && holdsVip(lb))).toEqual([]);
      expect(firstNew).toBeDefined();
      expect(firstNew!.epoch).toBe(newEpoch);
      // Bounded like any crash failover, plus the VIP move and its announcement.
      expect(firstNew!.at - t0).toBeLessThanOrEqual(SESSION_MS + 3000);
      expect(afterResume.map((o) => `${o.status} ${o.code}`)).toEqual([]);

      // SIGKILL left the address on the dead node's interface (nothing could remove it). Started
      // again, the node drops it before joining, so a standby never answers ARP for the VIP.
      expect(staleVip).toBe(true);
      startNode(old, `127.0.0.1:${ZK_PORT_IN_NS}`);
      expect(await leader(20_000)).toBe(next);
      await waitFor(async () => (holdsVip(old) ? undefined : true), 5000, `${old} to drop the stale VIP`);
      expect(LB.filter(holdsVip)).toEqual([next]);
    } finally {
      if (client.exitCode === null && client.signalCode === null) client.kill('SIGKILL');
    }
  }, 60_000);
});
