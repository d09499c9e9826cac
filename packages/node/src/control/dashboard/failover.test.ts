// What the dashboard says during and after a failover: the banner's state machine, the rate
// history across a peer's restart, not-leader refusals kept out of traffic and 5xx, and the
// rejected-znode rows.
import { LoadTracker } from '@ringleader/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterView, type NodeSummary } from './peers.js';
import { ConfigRejectionWatch, rejectedZnodes } from './rejected.js';
import { type ServingInput, ServingWatch } from './serving.js';
import { Timeline } from './timeline.js';
import { mergeHistory, TrafficSampler, type TrafficSeries } from './traffic.js';

const card = (id: string, over: Partial<ServingInput> = {}): ServingInput => ({
  id,
  reachable: true,
  lastSeen: 1000,
  error: null,
  status: { serving: false },
  ...over,
});

describe('serving watch (the no-leader banner)', () => {
  it('goes to outage when the serving leader stops answering, dated from its last summary, and back', () => {
    const w = new ServingWatch(0);
    expect(
      w.update([card('lb-1', { status: { serving: true }, lastSeen: 5000 }), card('lb-2')], 5200),
    ).toEqual({
      state: 'serving',
      nodes: ['lb-1'],
    });
    // Killed: the next poll finds it silent; its last summary still says serving (never believed).
    const dead = card('lb-1', {
      reachable: false,
      error: 'ECONNREFUSED',
      status: { serving: true },
      lastSeen: 5000,
    });
    const out = w.update([dead, card('lb-2', { lastSeen: 6100 })], 6100);
    expect(out).toEqual({ state: 'outage', since: 5000, sinceKnown: true, lastServer: 'lb-1' });
    // Still out a second later: the same start, so the page's count keeps going up.
    expect(w.update([dead, card('lb-2', { lastSeen: 7100 })], 7100)).toEqual(out);
    expect(w.update([dead, card('lb-2', { status: { serving: true }, lastSeen: 8000 })], 8000)).toEqual({
      state: 'serving',
      nodes: ['lb-2'],
    });
  });

  it('dates an outage from when a reachable server said it stopped (session lost, demoted)', () => {
    const w = new ServingWatch(0);
    w.update([card('lb-1', { status: { serving: true }, lastSeen: 4000 })], 4000);
    expect(w.update([card('lb-1', { lastSeen: 5000 })], 5000)).toMatchObject({
      state: 'outage',
      since: 4000,
    });
  });

  it('raises no false alarm before peers were asked, and says when it never saw anyone serve', () => {
    const w = new ServingWatch(1234);
    const unasked = card('lb-2', { reachable: false, lastSeen: null, status: null });
    expect(w.update([card('lb-1'), unasked], 1300)).toEqual({ state: 'checking', nodes: ['lb-2'] });
    const silent = { ...unasked, error: 'timed out' };
    expect(w.update([card('lb-1'), silent], 2300)).toEqual({
      state: 'outage',
      since: 1234,
      sinceKnown: false,
      lastServer: null,
    });
  });

  it('in active-active every serving node counts; one dying is no outage', () => {
    const w = new ServingWatch(0);
    const s = w.update(
      [
        card('a', { status: { serving: true } }),
        card('b', { reachable: false, error: 'x', status: { serving: true } }),
        card('c', { status: { serving: true } }),
      ],
      2000,
    );
    expect(s).toEqual({ state: 'serving', nodes: ['a', 'c'] });
  });
});

describe('rate history across a restart', () => {
  const series = (end: number, req: number[]): TrafficSeries => ({ end, req, err: req.map(() => 0) });

  it('keeps what the old process served before the new one started, believes the new one after', () => {
    const before = series(100, [5, 5, 5, 5, 0]); // died at 99
    const after = series(103, [0, 0, 0, 0, 7]); // restarted at 103: the window 99..103
    expect(mergeHistory(before, after, 103).req).toEqual([5, 0, 0, 0, 7]);
    expect(mergeHistory(undefined, after, 103)).toBe(after);
  });

  it('property: seconds from boot on are the new series, earlier ones the old (or 0 outside it)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(100), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(100), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: -50, max: 50 }),
        (oldReq, newReq, shift, bootOffset) => {
          const prev = series(1000 + shift, oldReq);
          const next = series(1000, newReq);
          const boot = 1000 + bootOffset;
          const m = mergeHistory(prev, next, boot);
          expect(m.end).toBe(1000);
          expect(m.req).toHaveLength(newReq.length);
          m.req.forEach((v, k) => {
            const sec = 1000 - (newReq.length - 1 - k);
            const j = oldReq.length - 1 - (prev.end - sec);
            const want = sec >= boot ? newReq[k] : j >= 0 && j < oldReq.length ? oldReq[j] : newReq[k];
            expect(v).toBe(want);
          });
        },
      ),
    );
  });

  it('a peer that died and came back keeps its pre-failover history in the cluster view', async () => {
    const t0 = Date.now();
    let summary: NodeSummary = {
      id: 'lb-2',
      cluster: 'c',
      adminUrl: 'http://lb-2:9001',
      proxyUrl: null,
      mode: 'active-passive',
      role: 'leader',
      epoch: 3,
      serving: true,
      lifecycle: 'running',
      session: 'connected',
      snapshotVersion: 1,
      policy: 'round-robin',
      hash: null,
      configFingerprint: 'f',
      configSource: 'znode',
      backends: 1,
      leader: null,
      startedAt: new Date(t0 - 600_000).toISOString(),
      at: t0,
      rps: 9,
      load: {},
      series: series(Math.floor(t0 / 1000), [9, 9, 9]),
      events: [],
    };
    const view = new ClusterView({
      selfId: 'lb-1',
      self: () => ({ ...summary, id: 'lb-1' }),
      readRegistry: async () => ({
        nodes: [
          { id: 'lb-1', session: 'a' },
          { id: 'lb-2', host: 'lb-2', adminPort: 9001, session: 'b' },
        ],
        election: [],
      }),
      fetchSummary: async () => summary,
      timeline: new Timeline({ node: 'lb-1', boot: 1 }),
    });
    await view.poll();
    const end = Math.floor(t0 / 1000);
    summary = {
      ...summary,
      startedAt: new Date((end + 1) * 1000).toISOString(),
      series: series(end + 2, [0, 0, 0, 0, 4]),
    };
    await view.poll();
    expect(view.peerSeries(end + 2)[0]?.req).toEqual([9, 9, 9, 0, 4]);
  });
});

describe('not-leader refusals', () => {
  const reading = (counts: Record<string, Record<number, number>>) =>
    Object.entries(counts).flatMap(([backend, codes]) =>
      Object.entries(codes).map(([code, value]) => ({ labels: { backend, code }, value })),
    );

  it('count as refused, neither as traffic nor as 5xx; a serving node’s no-backend 503 still does', () => {
    let now = 50_000;
    const s = new TrafficSampler({ read: () => [], windowS: 5, now: () => now });
    s.ingest(reading({ _none: { 503: 0 } }), 0);
    now += 1000;
    s.ingest(reading({ _none: { 503: 40 } }), 40); // a standby in reject mode refused 40
    now += 1000;
    s.ingest(reading({ _none: { 503: 43 }, b1: { 200: 10 } }), 40); // 3 real RL_NO_BACKEND
    const x = s.series();
    expect(x.req.slice(-2)).toEqual([0, 13]);
    expect(x.err.slice(-2)).toEqual([0, 3]);
    expect(x.refused?.slice(-2)).toEqual([40, 0]);
  });
});

describe('rejected znodes', () => {
  const status = {
    rejected: [{ id: 'bad', path: '/r/c/backends/bad', code: 'RL_BAD_JSON', message: 'does not parse' }],
    config: { source: 'last-good' },
    services: [
      {
        name: 'cache',
        protocol: null,
        rejected: {
          code: 'RL_SERVICE_INVALID',
          message: 'listen must be a port',
          path: '/r/c/services/cache',
        },
        rejectedBackends: [
          { id: 'r9', path: '/r/c/services/cache/backends/r9', code: 'RL_BAD_PORT', message: 'port 0' },
        ],
      },
    ],
  } as unknown as Parameters<typeof rejectedZnodes>[0];

  it('lists config, services and backends with path, code, cause and what serves meanwhile', () => {
    const watch = new ConfigRejectionWatch();
    watch.rejected({
      path: '/r/c/config',
      code: 'RL_BAD_POLICY',
      message: 'unknown policy "rr"',
      version: 9,
    });
    const rows = rejectedZnodes(status, watch.current({ source: 'znode', version: 5 }));
    expect(rows.map((r) => [r.kind, r.service, r.path, r.code, r.effect])).toEqual([
      ['config', null, '/r/c/config', 'RL_BAD_POLICY', 'the last good config stays in force'],
      ['service', 'cache', '/r/c/services/cache', 'RL_SERVICE_INVALID', 'not served'],
      ['service backend', 'cache', '/r/c/services/cache/backends/r9', 'RL_BAD_PORT', 'not routed'],
      ['backend', null, '/r/c/backends/bad', 'RL_BAD_JSON', 'not routed'],
    ]);
    // Still the bad znode (the earlier write stays in force, or the published copy): it stays.
    expect(watch.current({ source: 'last-good', version: 5 })?.code).toBe('RL_BAD_POLICY');
    expect(watch.current({ source: 'znode', version: 5 })?.code).toBe('RL_BAD_POLICY');
    // A valid write after it, even one equal to the config in force: gone.
    expect(watch.current({ source: 'znode', version: 10 })).toBeUndefined();
    expect(
      rejectedZnodes(status, watch.current({ source: 'znode', version: 10 })).map((r) => r.kind),
    ).not.toContain('config');
    watch.rejected({ path: '/r/c/config', code: 'RL_BAD_JSON', message: 'x', version: 12 });
    // An invalid write while on the fallback stays shown; the znode's removal clears it.
    expect(watch.current({ source: 'fallback', version: 0 })?.code).toBe('RL_BAD_JSON');
    watch.changed('fallback');
    expect(watch.current({ source: 'fallback', version: 0 })).toBeUndefined();
  });
});

describe('EWMA shown during a failover', () => {
  it('a node that stopped proxying shows no figure once its last samples are stale (judged against now)', () => {
    const load = new LoadTracker({ decayMs: 1000 });
    load.onStart('b1');
    load.onEnd('b1', 2300, 10_000); // the last, slow, request of a leader that was then demoted
    expect(load.ewmaMs('b1')).toBe(2300);
    load.advance(10_000 + 3001); // what status.ts and the dashboard summary now do before reading
    expect(load.ewmaMs('b1')).toBeUndefined();
  });
});
