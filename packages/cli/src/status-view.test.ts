import { configFingerprint, DEFAULT_CLUSTER_CONFIG } from '@ringleader/core';
import type { StatusDocument } from '@ringleader/node';
import type { ClusterStatus } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import { adminUrlOf, buildStatusView, formatStatus, type NodeDoc, type NodeFetch } from './status-view.js';
import type { ServicesDoc } from './status-view-services.js';

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
    node: { pid: role === 'leader' ? 4101 : 4102 },
    role,
    epoch: 7,
    serving: role === 'leader',
    session: { state: 'connected' },
    snapshot: { version, policy: 'consistent-hash' },
    config: { source, known: source !== 'unknown', fingerprint, hash: 'header:x-user-id' },
    backends: Object.entries(health).map(([id, h]) => ({ id, health: h })),
  },
});

describe('why a backend is not up', () => {
  const withReasons = (
    role: StatusDocument['role'],
    rows: Array<[string, string, string | null]>,
  ): NodeFetch => {
    const f = doc(role, 100, {}) as { doc: NodeDoc };
    return {
      doc: {
        ...f.doc,
        backends: rows.map(([id, health, reason]) => ({ id, health, up: health === 'up', reason })),
      } as NodeDoc,
    };
  };

  it('lists each distinct reason a node gives, under the table, and nothing for backends that are up', () => {
    const bad = 'first check failed: status 404 outside 200..399';
    const fetched = new Map<string, NodeFetch>([
      [
        'lb-1',
        withReasons('leader', [
          ['web-1', 'down', bad],
          ['web-2', 'up', 'first check passed'],
        ]),
      ],
      [
        'lb-2',
        withReasons('standby', [
          ['web-1', 'down', bad],
          ['web-2', 'up', 'first check passed'],
        ]),
      ],
      ['lb-3', withReasons('standby', [['web-1', 'down', 'first check failed: ECONNREFUSED']])],
    ]);
    const v = buildStatusView(cluster(), fetched, { zk: 'zk1:2181', at });
    expect(v.backends[0]!.why).toEqual([`lb-1, lb-2: ${bad}`, 'lb-3: first check failed: ECONNREFUSED']);
    expect(v.backends[1]!.why).toEqual([]);
    const text = formatStatus(v);
    expect(text).toContain(
      `\nWHY NOT UP\nweb-1  lb-1, lb-2: ${bad}\nweb-1  lb-3: first check failed: ECONNREFUSED\n`,
    );
    expect(text).not.toMatch(/web-2 {2}lb-/);
  });

  it('prints no WHY section when every backend is up or nodes are too old to give reasons', () => {
    const fetched = new Map<string, NodeFetch>([['lb-1', doc('leader', 100, { 'web-1': 'down' })]]);
    const v = buildStatusView(cluster(), fetched, { zk: 'zk1:2181', at });
    expect(v.backends[0]!.why).toEqual([]);
    expect(formatStatus(v)).not.toContain('WHY NOT UP');
  });
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
      /\nlb-2\s+standby\s+7\s+connected\s+96 \(zk 100\)\s+consistent-hash header:x-user-id\s+\w{8} \(znode\)\s+no\s+4102\s+http:\/\/10\.0\.0\.2:9090\n/,
    );
    expect(text).toMatch(
      /\nlb-3\s+standby\?\s+-\s+-\s+-\s+-\s+-\s+-\s+-\s+http:\/\/127\.0\.0\.1:9091 unreachable: ECONNREFUSED\n/,
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

// The CLI reads `services` through its own deep-partial type: what a node publishes must fit it
// (a compile error here means status.ts's buildServices changed shape).
type Fits = Pick<StatusDocument, 'services'> extends ServicesDoc ? true : never;
const fits: Fits = true;

describe('services', () => {
  it('reads the services shape nodes publish', () => expect(fits).toBe(true));

  const tcp = {
    name: 'cache',
    protocol: 'tcp',
    listen: { host: '127.0.0.1', port: 6380 },
    policy: 'least-connections',
    hash: null,
    check: 'tcp',
    snapshot: { version: 12, backends: 2 },
    rejected: null,
    rejectedBackends: [],
    traffic: { open: 5, total: 40, bytesIn: 1000, bytesOut: 2000, refused: 0 },
    backends: [
      { id: 'r1', host: '10.2.0.1', port: 6379, weight: 1, state: 'active', health: 'up', up: true },
      {
        id: 'r2',
        host: '10.2.0.2',
        port: 6379,
        weight: 1,
        state: 'active',
        health: 'down',
        up: false,
        reason: 'connect ECONNREFUSED',
      },
    ],
  };
  const withServices = (services: unknown): NodeFetch => {
    const base = doc('leader', 100, {}) as { doc: NodeDoc };
    return { doc: { ...base.doc, services } as NodeDoc };
  };
  const render = (fetched: [string, NodeFetch][]) =>
    formatStatus(buildStatusView(cluster(), new Map(fetched), { zk: 'zk1:2181', at }));

  const cases: { name: string; services: unknown; want: (string | RegExp)[]; not?: string[] }[] = [
    {
      name: 'a listening tcp service with one backend down and its reason',
      services: [{ ...tcp, listener: { phase: 'listening', host: '127.0.0.1', port: 6380, since: 1 } }],
      want: [
        '\nSERVICES on lb-1\n',
        /\ncache\s+tcp\s+127\.0\.0\.1:6380\s+least-connections\s+1\/2 up\s+5\s+listening\n/,
        /\n {2}r1\s+10\.2\.0\.1:6379\s+up\s+up\n/,
        /\n {2}r2\s+10\.2\.0\.2:6379\s+down\s+down: connect ECONNREFUSED\n/,
      ],
    },
    {
      name: 'a bind failure shows its message',
      services: [
        {
          ...tcp,
          backends: [],
          listener: {
            phase: 'bind-failed',
            attempt: 3,
            code: 'EADDRINUSE',
            message: 'cannot listen on 127.0.0.1:6380: address already in use',
            retryAt: 5,
          },
        },
      ],
      want: [
        /\ncache\s+tcp\s+127\.0\.0\.1:6380\s+least-connections\s+0\/0 up\s+5\s+bind-failed: cannot listen on 127\.0\.0\.1:6380: address already in use; retrying\n/,
      ],
    },
    {
      name: 'a rejected definition and a rejected backend, with the last good one serving',
      services: [
        {
          ...tcp,
          listener: { phase: 'listening', host: '127.0.0.1', port: 6380, since: 1 },
          rejected: {
            code: 'RL_SERVICE_INVALID',
            message: 'listen must be a port',
            path: '/ringleader/default/services/cache',
            field: 'listen',
          },
          rejectedBackends: [
            {
              id: 'r3',
              path: '/ringleader/default/services/cache/backends/r3',
              code: 'RL_BAD_JSON',
              message: 'does not parse',
            },
          ],
        },
      ],
      want: [
        '  rejected definition /ringleader/default/services/cache: listen must be a port [RL_SERVICE_INVALID] (the last good definition serves)\n',
        '  rejected backend /ringleader/default/services/cache/backends/r3: does not parse [RL_BAD_JSON] (not routed)\n',
      ],
    },
    {
      name: 'a service that is not opened, an unsupported one and one still opening; http counts in flight',
      services: [
        {
          name: 'a',
          protocol: 'http',
          listen: null,
          listener: { phase: 'not-opened', message: 'port taken by service b' },
        },
        {
          name: 'b',
          protocol: 'redis',
          listener: { phase: 'unsupported', message: 'protocol redis is not served' },
        },
        { name: 'c', protocol: 'http', listener: { phase: 'opening', attempt: 2 }, traffic: { inFlight: 3 } },
      ],
      want: [
        /\na\s+http\s+-\s+-\s+0\/0 up\s+-\s+not opened: port taken by service b\n/,
        /\nb\s+redis\s+-\s+-\s+0\/0 up\s+-\s+unsupported: protocol redis is not served\n/,
        /\nc\s+http\s+-\s+-\s+0\/0 up\s+3\s+opening \(attempt 2\)\n/,
      ],
    },
    {
      name: 'no services configured',
      services: [],
      want: ['\nSERVICES on lb-1\nnone\n'],
    },
    {
      name: 'an older node without services, and garbage entries, still read',
      services: undefined,
      want: [],
      not: ['SERVICES'],
    },
    {
      name: 'malformed fields show as unknown instead of failing',
      services: [
        { name: 7, listen: { host: 'h' }, listener: {}, backends: [{ up: 'yes' }], traffic: { open: 'x' } },
      ],
      want: [/\n\?\s+-\s+-\s+-\s+0\/1 up\s+-\s+-\n/, /\n {2}\?\s+-\s+-\s+-\n/],
    },
  ];

  it.each(cases)('$name', ({ services, want, not }) => {
    const text = render([
      ['lb-1', withServices(services)],
      ['lb-3', { error: 'ECONNREFUSED' }],
    ]);
    for (const w of want) typeof w === 'string' ? expect(text).toContain(w) : expect(text).toMatch(w);
    for (const n of not ?? []) expect(text).not.toContain(n);
    expect(text).not.toContain('SERVICES on lb-3'); // unreachable: nothing to say
  });

  it('lists each node separately (listeners are per node)', () => {
    const listening = [{ ...tcp, listener: { phase: 'listening', host: '127.0.0.1', port: 6380, since: 1 } }];
    const failed = [{ ...tcp, listener: { phase: 'bind-failed', message: 'cannot listen', retryAt: 1 } }];
    const v = buildStatusView(
      cluster(),
      new Map([
        ['lb-1', withServices(listening)],
        ['lb-2', withServices(failed)],
      ]),
      { zk: 'zk1:2181', at },
    );
    expect(
      v.services.map((n) => [n.node, n.services.map((s) => [s.name, s.phase, s.listenerProblem])]),
    ).toEqual([
      ['lb-1', [['cache', 'listening', false]]],
      ['lb-2', [['cache', 'bind-failed', true]]],
    ]);
    expect(v.services[0]!.services[0]).toMatchObject({ up: 1, total: 2, open: 5, address: '127.0.0.1:6380' });
  });
});
