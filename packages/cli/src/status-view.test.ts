import { configFingerprint, DEFAULT_CLUSTER_CONFIG } from '@ringleader/core';
import type { StatusDocument } from '@ringleader/node';
import type { ClusterStatus } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import { adminUrlOf, buildStatusView, formatStatus, type NodeFetch } from './status-view.js';

const at = new Date('2026-01-02T03:04:05.000Z');

function cluster(over: Partial<ClusterStatus> = {}): ClusterStatus {
  return {
    cluster: 'default',
    nodes: [
      {
        id: 'lb-1',
        info: { id: 'lb-1', host: '10.0.0.1', proxyPort: 8080, adminPort: 9090 },
        session: 'a',
        since: 1,
      },
      {
        id: 'lb-2',
        info: { id: 'lb-2', host: '10.0.0.2', proxyPort: 8080, adminPort: 9090 },
        session: 'b',
        since: 2,
      },
      {
        id: 'lb-3',
        info: { id: 'lb-3', host: '0.0.0.0', proxyPort: 8080, adminPort: 9091 },
        session: 'c',
        since: 3,
      },
    ],
    election: [
      { name: 'x-n_0000000007', seq: 7, id: 'lb-1', session: 'a' },
      { name: 'y-n_0000000008', seq: 8, id: 'lb-2', session: 'b' },
      { name: 'z-n_0000000009', seq: 9, id: 'lb-3', session: 'c' },
    ],
    leader: {
      info: {
        id: 'lb-1',
        epoch: 7,
        since: '2026-01-01T00:00:00Z',
        proxyUrl: 'http://10.0.0.1:8080',
        adminUrl: 'http://lb-1.internal:9090',
      },
      session: 'a',
    },
    backends: {
      version: 100,
      folder: 'present',
      backends: [
        {
          id: 'web-1',
          host: '10.1.0.1',
          port: 80,
          weight: 2,
          state: 'active',
          format: 'native',
          zone: 'eu-1',
        },
        { id: 'web-2', host: '10.1.0.2', port: 80, weight: 1, state: 'draining', format: 'native' },
      ],
      rejected: [],
    },
    config: {
      exists: true,
      version: 4,
      config: {
        ...DEFAULT_CLUSTER_CONFIG,
        policy: 'consistent-hash',
        hash: { kind: 'header', name: 'x-user-id' },
      },
    },
    ...over,
  };
}

/** The fingerprint of the stored config of cluster(): what every node should publish. */
const clusterFingerprint = () => configFingerprint(cluster().config.config!);

const doc = (
  role: StatusDocument['role'],
  version: number,
  health: Record<string, StatusDocument['backends'][number]['health']>,
  fingerprint = clusterFingerprint(),
  source = 'znode',
): NodeFetch => ({
  doc: {
    role,
    epoch: 7,
    serving: role === 'leader',
    session: { state: 'connected' },
    snapshot: { version, policy: 'consistent-hash' },
    config: { source, known: source !== 'unknown', fingerprint, hash: 'header:x-user-id' },
    backends: Object.entries(health).map(([id, h]) => ({ id, health: h })),
  },
});

describe('adminUrlOf', () => {
  it('uses the leader znode’s adminUrl for the leader, host:adminPort for the others', () => {
    const s = cluster();
    expect(adminUrlOf(s.nodes[0]!, s)).toBe('http://lb-1.internal:9090');
    expect(adminUrlOf(s.nodes[1]!, s)).toBe('http://10.0.0.2:9090');
    expect(adminUrlOf(s.nodes[2]!, s)).toBe('http://127.0.0.1:9091'); // a wildcard bind is asked on loopback
  });
});

describe('buildStatusView', () => {
  it('joins ZooKeeper’s view with each node’s /status and flags a node on another snapshot', () => {
    const fetched = new Map<string, NodeFetch>([
      ['lb-1', doc('leader', 100, { 'web-1': 'up', 'web-2': 'up' })],
      ['lb-2', doc('standby', 96, { 'web-1': 'down' })],
      ['lb-3', { error: 'ECONNREFUSED' }],
    ]);
    const v = buildStatusView(cluster(), fetched, { zk: 'zk1:2181', at });
    expect(v.agreement).toEqual({ agreed: false, disagreeing: ['lb-2'], fingerprint: clusterFingerprint() });
    expect(v.nodes.map((n) => [n.id, n.role, n.electionRole, n.inAgreement, n.reachable])).toEqual([
      ['lb-1', 'leader', 'leader', true, true],
      ['lb-2', 'standby', 'standby', false, true],
      ['lb-3', null, 'standby', null, false],
    ]);
    expect(v.backends[0]!.health).toEqual({ 'lb-1': 'up', 'lb-2': 'down' });
    expect(v.backends[1]!.health).toEqual({ 'lb-1': 'up', 'lb-2': '-' });
    expect(v.leader).toMatchObject({ id: 'lb-1', epoch: 7 });
    expect(v.config).toEqual({
      exists: true,
      version: 4,
      policy: 'consistent-hash',
      hash: 'header:x-user-id',
      error: null,
    });
    expect(v.at).toBe('2026-01-02T03:04:05.000Z');

    const text = formatStatus(v);
    expect(text).toContain('ring:    DISAGREE: lb-2: snapshot 96, ZooKeeper 100');
    expect(text).toMatch(
      /\nlb-2\s+standby\s+7\s+connected\s+96 \(zk 100\)\s+consistent-hash header:x-user-id\s+\w{8} \(znode\)\s+no\s+http:\/\/10\.0\.0\.2:9090\n/,
    );
    expect(text).toMatch(
      /\nlb-3\s+standby\?\s+-\s+-\s+-\s+-\s+-\s+-\s+http:\/\/127\.0\.0\.1:9091 unreachable: ECONNREFUSED\n/,
    );
    expect(text).toMatch(/\nID\s+ADDRESS\s+WEIGHT\s+STATE\s+ZONE\s+HEALTH@lb-1\s+HEALTH@lb-2\n/);
    expect(text).toMatch(/\nweb-1\s+10\.1\.0\.1:80\s+2\s+active\s+eu-1\s+up\s+down\n/);
  });

  it('agrees when every node that answered is on ZooKeeper’s version', () => {
    const fetched = new Map<string, NodeFetch>([
      ['lb-1', doc('leader', 100, {})],
      ['lb-2', doc('standby', 100, {})],
    ]);
    const v = buildStatusView(cluster(), fetched, { zk: 'zk1:2181', at });
    expect(v.agreement.agreed).toBe(true);
    expect(formatStatus(v)).toContain(
      `ring:    agreed: 2 nodes on snapshot 100 (= ZooKeeper), config ${clusterFingerprint()}`,
    );
  });

  it('compares each node’s published config fingerprint, not only its snapshot version', () => {
    // The restarted-node fault: same snapshot version, another routing config. "Agreed" was
    // printed because it was inferred from the snapshot version alone.
    const fetched = new Map<string, NodeFetch>([
      ['lb-1', doc('leader', 100, {})],
      ['lb-2', doc('standby', 100, {}, 'deadbeef', 'fallback')],
      ['lb-3', doc('standby', 100, {}, 'deadbeef', 'unknown')],
    ]);
    const v = buildStatusView(cluster(), fetched, { zk: 'zk1:2181', at });
    expect(v.agreement.agreed).toBe(false);
    expect(v.agreement.disagreeing).toEqual(['lb-2', 'lb-3']);
    const text = formatStatus(v);
    expect(text).toContain(`lb-2: config deadbeef, cluster ${clusterFingerprint()}`);
    expect(text).toContain('lb-3: does not know the cluster config (not serving)');

    // With the stored config invalid, the reference is what most nodes hold.
    const invalid = cluster({
      config: { exists: true, version: 5, error: { code: 'RL_UNKNOWN_POLICY', message: 'unknown policy' } },
    });
    const same = new Map<string, NodeFetch>([
      ['lb-1', doc('leader', 100, {}, 'aaaa0001', 'znode')],
      ['lb-2', doc('standby', 100, {}, 'aaaa0001', 'last-good')],
    ]);
    expect(buildStatusView(invalid, same, { zk: 'zk1:2181', at }).agreement).toEqual({
      agreed: true,
      disagreeing: [],
      fingerprint: 'aaaa0001',
    });
  });

  it('with no node running it still shows the leader as absent, config and backends', () => {
    const v = buildStatusView(cluster({ nodes: [], election: [], leader: undefined }), new Map(), {
      zk: 'zk1:2181',
      at,
    });
    const text = formatStatus(v);
    expect(text).toContain('leader:  none (no leader znode)');
    expect(text).toContain('config:  consistent-hash hash header:x-user-id (znode version 4)');
    expect(text).toContain('ring:    no nodes registered; ZooKeeper membership version 100');
    expect(text).not.toContain('NODES');
    expect(text).toMatch(/\nweb-2\s+10\.1\.0\.2:80\s+1\s+draining\s+-\n/);
  });

  it('an invalid stored config is shown as such', () => {
    const v = buildStatusView(
      cluster({
        config: { exists: true, version: 2, error: { code: 'RL_BAD_JSON', message: 'does not parse' } },
      }),
      new Map(),
      { zk: 'z:1', at },
    );
    expect(formatStatus(v)).toContain(
      'config:  INVALID (nodes keep their last good config): does not parse [RL_BAD_JSON]',
    );
  });
});
