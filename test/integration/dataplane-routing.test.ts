// Data plane on real sockets: routing through the policy, failover on dead backends,
// 503 when nothing is eligible, snapshot swaps under traffic, forwarded headers.
import { describe, expect, it } from 'vitest';
import { asBackend, deadPort, getJson, type TestBackend, until, usePlanes } from './dataplane-helpers.js';

const { backends, plane } = usePlanes(['b1', 'b2', 'b3'], 1000);

describe('routing', () => {
  it('spreads requests over the members round-robin and stamps the forwarded headers', async () => {
    const p = await plane(backends.map((b) => asBackend(b)));
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const r = await getJson(`${p.url}/hello?x=${i}`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
      expect(r.status).toBe(200);
      expect(r.body.url).toBe(`/hello?x=${i}`);
      const headers = r.body.headers as Record<string, string>;
      expect(headers['x-forwarded-for']).toBe('127.0.0.1'); // untrusted peer: spoofed chain replaced
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-host']).toBe(`127.0.0.1:${p.port}`);
      expect(headers.host).toBe(`127.0.0.1:${p.port}`);
      expect(headers['x-ringleader-epoch']).toBe('7');
      expect(headers['x-ringleader-node']).toBe('lb-test');
      expect(r.headers.get('x-ringleader-backend')).toBe(r.body.backend);
      seen.set(r.body.backend as string, (seen.get(r.body.backend as string) ?? 0) + 1);
    }
    expect([...seen.values()]).toEqual([10, 10, 10]);
    expect(p.load.inFlight('b1') + p.load.inFlight('b2') + p.load.inFlight('b3')).toBe(0);
    expect(p.load.ewmaMs('b1')).toBeGreaterThanOrEqual(0);
    const metrics = await p.metrics.registry.metrics();
    expect(metrics).toMatch(/ringleader_requests_total\{backend="b1",code="200"\} 10/);
  });

  it('extends x-forwarded-for from a trusted proxy and routes by the real client', async () => {
    const p = await plane([asBackend(backends[0]!)], { trustedProxies: ['127.0.0.0/8'] });
    const r = await getJson(`${p.url}/`, {
      headers: { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https' },
    });
    const headers = r.body.headers as Record<string, string>;
    expect(headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('https');
  });

  it('streams request bodies through (content-length and chunked)', async () => {
    const p = await plane([asBackend(backends[0]!)]);
    const fixed = await getJson(`${p.url}/upload`, { method: 'POST', body: 'x'.repeat(5000) });
    expect(fixed.body).toMatchObject({ method: 'POST', bodyBytes: 5000 });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('a'.repeat(3000)));
        c.enqueue(new TextEncoder().encode('b'.repeat(3000)));
        c.close();
      },
    });
    const chunked = await getJson(`${p.url}/upload`, {
      method: 'PUT',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.body).toMatchObject({ method: 'PUT', bodyBytes: 6000 });
  });
});

describe('failover', () => {
  it('retries a refused connect on another backend: the client sees 200', async () => {
    const dead = await deadPort();
    const p = await plane([asBackend({ id: 'a-dead', port: dead }), asBackend(backends[1]!)]);
    for (let i = 0; i < 6; i++) {
      const r = await getJson(`${p.url}/x`, {
        method: i % 2 ? 'POST' : 'GET',
        body: i % 2 ? 'payload' : undefined,
      });
      expect(r.status).toBe(200);
      expect(r.body.backend).toBe('b2');
      if (i % 2) expect(r.body.bodyBytes).toBe(7); // the body survived the failed attempt
    }
    expect(p.plane.stats.retries).toBeGreaterThanOrEqual(3);
    const metrics = await p.metrics.registry.metrics();
    expect(metrics).toMatch(/ringleader_upstream_errors_total\{backend="a-dead",kind="connect"\} \d/);
    expect(metrics).toMatch(/ringleader_retries_total [1-9]/);
    expect(p.load.inFlight('a-dead')).toBe(0);
  });

  it('feeds passive ejection: a dead backend is ejected after consecutive connect failures', async () => {
    const dead = await deadPort();
    const p = await plane([asBackend({ id: 'a-dead', port: dead }), asBackend(backends[1]!)]);
    for (let i = 0; i < 12; i++) expect((await getJson(`${p.url}/`)).status).toBe(200);
    expect(p.health.state('a-dead')).toBe('ejected');
    const retriesBefore = p.plane.stats.retries;
    for (let i = 0; i < 4; i++) await getJson(`${p.url}/`);
    expect(p.plane.stats.retries).toBe(retriesBefore); // ejected: no longer picked
  });

  it('answers 503 RL_NO_BACKEND naming why when every backend is dead, without hanging', async () => {
    const p = await plane([
      asBackend({ id: 'd1', port: await deadPort() }),
      asBackend({ id: 'd2', port: await deadPort() }),
    ]);
    const r = await getJson(`${p.url}/`);
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('RL_NO_BACKEND');
    expect(r.body.message).toMatch(/tried d[12], d[12]/);
  });

  it('answers 502 RL_UPSTREAM_CONNECT when the retry budget is spent before the members are', async () => {
    const ids = ['d1', 'd2', 'd3', 'd4'];
    const list = await Promise.all(ids.map(async (id) => asBackend({ id, port: await deadPort() })));
    const p = await plane(list, { retries: 1 });
    const r = await getJson(`${p.url}/`);
    expect(r.status).toBe(502);
    expect(r.body.code).toBe('RL_UPSTREAM_CONNECT');
  });

  it('answers 503 RL_NO_BACKEND for an empty cluster and for all-draining members', async () => {
    const p = await plane([]);
    const empty = await getJson(`${p.url}/`);
    expect(empty.status).toBe(503);
    expect(empty.body).toMatchObject({ code: 'RL_NO_BACKEND' });
    expect(empty.body.message).toMatch(/no backends/);
    p.setBackends([asBackend(backends[0]!, { state: 'draining' })]);
    const draining = await getJson(`${p.url}/`);
    expect(draining.status).toBe(503);
    expect(draining.body.message).toMatch(/1 draining/);
  });

  it('passes a backend 5xx through unchanged (not retried) and counts it', async () => {
    const p = await plane([asBackend(backends[0]!), asBackend(backends[1]!)]);
    const r = await getJson(`${p.url}/status/500`);
    expect(r.status).toBe(500);
    expect(p.plane.stats.retries).toBe(0);
    expect(await p.metrics.registry.metrics()).toMatch(/kind="status_5xx"\} 1/);
  });
});

describe('snapshot swaps', () => {
  it('swaps membership under concurrent traffic without a single failed request, closing old pools', async () => {
    const [b1, b2, b3] = backends as [TestBackend, TestBackend, TestBackend];
    const p = await plane([asBackend(b1), asBackend(b2)]);
    let stop = false;
    const statuses: number[] = [];
    const seen = new Set<string>();
    const worker = async () => {
      while (!stop) {
        const r = await getJson(`${p.url}/slow?ms=5`);
        statuses.push(r.status);
        seen.add(r.body.backend as string);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    // Swap after every 15 completed requests, so each swap lands under traffic.
    const after = async (n: number) => {
      while (statuses.length < n) await new Promise((r) => setTimeout(r, 5));
    };
    const lists = [[b2, b3], [b3], [b1, b2, b3], [b1]];
    for (const [i, list] of lists.entries()) {
      await after((i + 1) * 15);
      p.setBackends(list.map((b) => asBackend(b)));
    }
    await after(lists.length * 15 + 15);
    stop = true;
    await Promise.all(workers);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(seen).toEqual(new Set(['b1', 'b2', 'b3']));
    // Only b1's pool is left once the last swap was seen.
    await getJson(`${p.url}/`);
    expect(p.plane.stats.pools).toBe(1);
  });

  it('lets an in-flight request on a removed backend finish while its pool closes', async () => {
    const [b1, b2] = backends as [TestBackend, TestBackend];
    const p = await plane([asBackend(b1)]);
    const slow = getJson(`${p.url}/slow?ms=1000`);
    // The swap must find the request already dispatched to b1, however slowly it got there.
    await until(() => p.load.inFlight('b1') === 1);
    p.plane.onSnapshot(p.setBackends([asBackend(b2)]));
    const next = await getJson(`${p.url}/`);
    expect(next.body.backend).toBe('b2');
    const r = await slow;
    expect(r.status).toBe(200);
    expect(r.body.backend).toBe('b1');
    expect(p.plane.stats.pools).toBe(1);
  });
});
