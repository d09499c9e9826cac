import { type Backend, consistentHash, maglev, type PolicyContext } from '@ringleader/core';
import { describe, expect, it } from 'vitest';
import { mergeBackends } from './backends.js';
import { allowedOrigin } from './cors.js';
import { HealthBatcher, membershipLines, roleEventLine } from './node-events.js';
import { ClusterView, type NodeSummary, type RegistryRead } from './peers.js';
import { ringView } from './ring.js';
import { mergeEvents, Timeline } from './timeline.js';
import { countsAs, sumSeries, TrafficSampler } from './traffic.js';

const ctx = {
  load: { inFlight: () => 0, ewmaMs: () => undefined },
  health: { isUp: () => true, version: 0 },
  random: () => 0.5,
} as unknown as PolicyContext;
const be = (id: string, over: Partial<Backend> = {}): Backend =>
  ({ id, host: '10.0.0.1', port: 80, weight: 1, state: 'active', format: 'native', ...over }) as Backend;

describe('timeline', () => {
  it('keeps the newest events up to its limit and merges peers without duplicates', () => {
    let t = 1000;
    const a = new Timeline({ node: 'lb-1', boot: 1, limit: 3, now: () => t++ });
    for (const text of ['a', 'b', 'c', 'd']) a.add('role', 'info', text);
    expect(a.recent().map((e) => e.text)).toEqual(['b', 'c', 'd']);
    const b = new Timeline({ node: 'lb-2', boot: 1, now: () => t++ });
    b.add('leader', 'info', 'x');
    const merged = mergeEvents([a.recent(), b.recent(), a.recent()], 10);
    expect(merged.map((e) => `${e.node}:${e.text}`)).toEqual(['lb-1:b', 'lb-1:c', 'lb-1:d', 'lb-2:x']);
    expect(mergeEvents([merged], 2).map((e) => e.text)).toEqual(['d', 'x']);
  });
});

describe('traffic sampler', () => {
  const reading = (counts: Record<string, Record<number, number>>) =>
    Object.entries(counts).flatMap(([backend, codes]) =>
      Object.entries(codes).map(([code, value]) => ({ labels: { backend, code }, value })),
    );

  it('turns cumulative counters into 1 s buckets and 60 s shares', () => {
    let now = 100_000;
    const s = new TrafficSampler({ read: () => [], windowS: 10, shareWindowS: 3, now: () => now });
    s.ingest(reading({ b1: { 200: 5 }, b2: { 200: 1 } })); // baseline only
    now += 1000;
    s.ingest(reading({ b1: { 200: 15, 503: 2 }, b2: { 200: 4 }, _none: { 503: 1 } }));
    now += 1000;
    s.ingest(reading({ b1: { 200: 16, 503: 2 }, b2: { 200: 4 }, _none: { 503: 1 } }));
    const series = s.series();
    expect(series.end).toBe(102);
    expect(series.req.slice(-3)).toEqual([0, 16, 1]);
    expect(series.err.slice(-3)).toEqual([0, 3, 0]);
    expect(Object.fromEntries(s.shares())).toEqual({ b1: 13, b2: 3 });
    now += 3000;
    s.ingest(reading({ b1: { 200: 16, 503: 2 }, b2: { 200: 4 } }));
    expect(Object.fromEntries(s.shares())).toEqual({});
  });

  it('counts forwards only as errors, and a backend that came back from zero', () => {
    expect(countsAs('_leader', 200)).toEqual({ req: false, err: false });
    expect(countsAs('_leader', 503)).toEqual({ req: false, err: true });
    expect(countsAs('b1', 500)).toEqual({ req: true, err: true });
    let now = 10_000;
    const s = new TrafficSampler({ read: () => [], windowS: 5, now: () => now });
    s.ingest(reading({ b1: { 200: 50 } }));
    now += 1000;
    s.ingest(reading({ b1: { 200: 3 } }));
    expect(s.series().req.at(-1)).toBe(3);
  });

  it('sums node series aligned by second', () => {
    const sum = sumSeries(
      [
        { end: 10, req: [1, 2, 3], err: [0, 0, 1] },
        { end: 9, req: [5, 5, 5], err: [1, 1, 1] },
      ],
      10,
      4,
    );
    expect(sum).toEqual({ end: 10, req: [5, 6, 7, 3], err: [1, 1, 1, 1], refused: [0, 0, 0, 0] });
  });
});

describe('ring view', () => {
  const members = Array.from({ length: 1000 }, (_, i) => be(`b${i}`));

  it('samples a 1k-backend consistent-hash ring to at most 512 ordered points', () => {
    const view = ringView(consistentHash(members, ctx, { source: { kind: 'path' }, vnodes: 100 }));
    expect(view?.policy).toBe('consistent-hash');
    expect(view!.points.length).toBeLessThanOrEqual(512);
    expect(view!.points.length).toBeGreaterThan(400);
    const positions = view!.points.map((p) => p[0]);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('samples a maglev table by slot and has no ring for other policies', () => {
    const view = ringView(maglev(members.slice(0, 3), ctx, { source: { kind: 'path' } }));
    expect(view?.policy).toBe('maglev');
    expect(view!.points).toHaveLength(512);
    expect(new Set(view!.points.map((p) => p[1]))).toEqual(new Set(['b0', 'b1', 'b2']));
    expect(ringView({ name: 'round-robin', pick: () => undefined })).toBeNull();
  });
});

describe('cors', () => {
  const urls = ['http://127.0.0.1:9001', 'http://10.0.0.5:9001'];
  it('lets in only the cluster admin origins (and loopback aliases of them)', () => {
    expect(allowedOrigin('http://127.0.0.1:9001', urls)).toBe('http://127.0.0.1:9001');
    expect(allowedOrigin('http://localhost:9001', urls)).toBe('http://localhost:9001');
    expect(allowedOrigin('http://10.0.0.5:9001', urls)).toBe('http://10.0.0.5:9001');
    expect(allowedOrigin('http://evil.example:9001', urls)).toBeUndefined();
    expect(allowedOrigin('http://127.0.0.1:9002', urls)).toBeUndefined();
    expect(allowedOrigin('null', urls)).toBeUndefined();
    expect(allowedOrigin(undefined, urls)).toBeUndefined();
  });
});

describe('backends table', () => {
  it('takes latency from proxying nodes and sums in-flight and traffic over nodes', () => {
    const rows = [be('b1'), be('b2')].map((b) => ({ ...b, zone: null, health: 'up', up: true }));
    const merged = mergeBackends(rows, [
      { serving: true, load: { b1: [10, 2, 30, 1], b2: [20, 0, 10, 1] } },
      { serving: false, load: { b1: [99, 1, 0, 0], b2: [null, 0, 0, 1] } },
    ]);
    expect(merged.map((m) => [m.id, m.ewmaMs, m.inFlight, m.requests60s, m.share, m.upOn, m.seenBy])).toEqual(
      [
        ['b1', 10, 3, 30, 0.75, 1, 2],
        ['b2', 20, 0, 10, 0.25, 2, 2],
      ],
    );
  });
});

describe('timeline lines', () => {
  it('names promotions, demotions and elections', () => {
    const at = new Date().toISOString();
    expect(
      roleEventLine({ at, kind: 'role', detail: { from: 'standby', to: 'leader', epoch: 7 } }).text,
    ).toBe('promoted to leader, epoch 7');
    expect(roleEventLine({ at, kind: 'role', detail: { from: 'leader', to: 'candidate' } }).level).toBe(
      'warn',
    );
    expect(roleEventLine({ at, kind: 'leader', detail: { id: null } }).text).toMatch(/no leader/);
  });

  it('describes membership changes, one summary line for many', () => {
    const snap = (backends: Backend[], version = 2) => ({
      version,
      folder: 'present' as const,
      backends,
      rejected: [],
    });
    expect(membershipLines(undefined, snap([be('a')]))).toEqual(['membership: 1 backends (version 2)']);
    expect(membershipLines([be('a'), be('b')], snap([be('a', { state: 'draining' }), be('c')]))).toEqual([
      'backend a active → draining',
      'backend c joined (10.0.0.1:80, weight 1)',
      'backend b left',
    ]);
    const many = Array.from({ length: 10 }, (_, i) => be(`n${i}`));
    expect(membershipLines([], snap(many))).toHaveLength(4);
  });
});

describe('cluster view', () => {
  const summary = (id: string, role: string): NodeSummary => ({
    id,
    cluster: 'default',
    adminUrl: `http://${id}:9001`,
    proxyUrl: null,
    mode: 'active-passive',
    role,
    epoch: 3,
    serving: role === 'leader',
    lifecycle: 'running',
    session: 'connected',
    snapshotVersion: 5,
    policy: 'round-robin',
    hash: null,
    configFingerprint: '0badc0de',
    configSource: 'znode',
    backends: 2,
    leader: { id: 'lb-2', epoch: 3 },
    startedAt: new Date().toISOString(),
    at: Date.now(),
    rps: 0,
    load: {},
    series: { end: 100, req: [1], err: [0] },
    events: [{ seq: 1, node: id, boot: 1, at: 5, kind: 'role', level: 'info', text: `${id} event` }],
  });

  it('joins the registry, the election order and peer summaries; marks silent peers', async () => {
    let registry: RegistryRead = {
      nodes: [
        { id: 'lb-1', host: 'lb-1', adminPort: 9001, session: 'a' },
        { id: 'lb-2', host: 'lb-2', adminPort: 9001, session: 'b' },
      ],
      election: [
        { seq: 3, id: 'lb-2' },
        { seq: 4, id: 'lb-1' },
      ],
    };
    let lb2Up = true;
    const timeline = new Timeline({ node: 'lb-1', boot: 1 });
    const view = new ClusterView({
      selfId: 'lb-1',
      self: () => summary('lb-1', 'standby'),
      readRegistry: async () => registry,
      fetchSummary: async (url) => {
        if (url !== 'http://lb-2:9001' || !lb2Up) throw new Error('ECONNREFUSED');
        return summary('lb-2', 'leader');
      },
      timeline,
    });
    await view.poll();
    let nodes = view.nodes();
    expect(nodes.map((n) => [n.id, n.self, n.reachable, n.electionRank, n.status?.role])).toEqual([
      ['lb-1', true, true, 1, 'standby'],
      ['lb-2', false, true, 0, 'leader'],
    ]);
    expect(view.peerEvents().map((e) => e.text)).toEqual(['lb-2 event']);

    lb2Up = false;
    registry = { nodes: [registry.nodes[0]!], election: [{ seq: 4, id: 'lb-1' }] };
    await view.poll();
    nodes = view.nodes();
    expect(nodes[1]).toMatchObject({
      id: 'lb-2',
      reachable: false,
      registered: false,
      error: 'ECONNREFUSED',
    });
    expect(nodes[1]!.status?.role).toBe('leader'); // last known, shown as such
    expect(timeline.recent().map((e) => e.text)).toEqual([
      'node lb-2 left the cluster (registration gone)',
      'node lb-2 does not answer (ECONNREFUSED)',
    ]);
  });
});

describe('health batcher', () => {
  it('shows a few transitions of a burst and sums up the rest', () => {
    const lines: string[] = [];
    const b = new HealthBatcher({ add: (_k, _l, text) => lines.push(text) as never });
    const ev = (id: string, to: 'up' | 'down') => ({
      id,
      kind: 'check' as const,
      from: 'unknown' as const,
      to,
      reason: 'r',
      at: 0,
    });
    b.push(ev('a', 'up'));
    b.flush();
    for (let i = 0; i < 10; i++) b.push(ev(`x${i}`, i < 7 ? 'down' : 'up'));
    b.flush();
    expect(lines).toEqual([
      'backend a unknown → up (r)',
      'backend x0 unknown → down (r)',
      'backend x1 unknown → down (r)',
      'backend x2 unknown → down (r)',
      '… and 7 more health transitions (4 → down, 3 → up)',
    ]);
  });
});
