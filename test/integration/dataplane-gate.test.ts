// Standby behaviour on the proxy port (reject with the leader's address, or forward to the
// leader) and graceful close with requests in flight.

import { once } from 'node:events';
import { connect } from 'node:net';
import type { GateDecision } from '@ringleader/node';
import { describe, expect, it } from 'vitest';
import {
  asBackend,
  deadPort,
  getJson,
  type Plane,
  serving,
  startPlane,
  until,
  usePlanes,
} from './dataplane-helpers.js';

const { backends, plane: trackedPlane } = usePlanes(['b1', 'b2'], 1000);

function plane(gate: () => GateDecision): Promise<Plane> {
  return trackedPlane(
    backends.map((b) => asBackend(b)),
    { gate },
  );
}

describe('standby gate', () => {
  it('rejects with 503, retry-after, the leader address and a JSON body; nothing reaches a backend', async () => {
    const before = backends.reduce((n, b) => n + b.requests, 0);
    const p = await plane(() => ({
      kind: 'reject',
      reason: 'standby',
      leaderProxyUrl: 'http://10.0.0.1:8080',
      retryAfterS: 2,
    }));
    const r = await getJson(`${p.url}/x`, { method: 'POST', body: 'data' });
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('2');
    expect(r.headers.get('x-ringleader-leader')).toBe('http://10.0.0.1:8080');
    expect(r.body).toMatchObject({ code: 'RL_NOT_LEADER', leader: 'http://10.0.0.1:8080', retryAfterS: 2 });
    expect(r.body.message).toMatch(/standby/);
    expect(backends.reduce((n, b) => n + b.requests, 0)).toBe(before);
    expect(p.plane.stats.rejected).toBe(1);
  });

  it('forwards to the leader, whose epoch and backend choice win; the hop is marked', async () => {
    const leader = await plane(() => serving(42));
    const standby = await plane(() => ({ kind: 'forward', leaderProxyUrl: leader.url, epoch: 41 }));
    const r = await getJson(`${standby.url}/via-standby`, { method: 'POST', body: 'abc' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ url: '/via-standby', bodyBytes: 3 });
    const headers = r.body.headers as Record<string, string>;
    expect(headers['x-ringleader-epoch']).toBe('42');
    expect(headers['x-ringleader-node']).toBe('lb-test');
    expect(r.headers.get('x-ringleader-backend')).toBe(r.body.backend);
    expect(standby.plane.stats.forwarded).toBe(1);
    expect(leader.plane.stats.requests).toBe(1);
  });

  it('refuses to forward a request that was already forwarded (two standbys pointing at each other)', async () => {
    let aUrl = '';
    const b = await plane(() => ({ kind: 'forward', leaderProxyUrl: aUrl, epoch: 1 }));
    const a = await plane(() => ({ kind: 'forward', leaderProxyUrl: b.url, epoch: 1 }));
    aUrl = a.url;
    const r = await getJson(`${a.url}/`);
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('RL_NOT_LEADER');
    expect(r.body.message).toMatch(/loop guard/);
  });

  it('answers 503 RL_LEADER_UNREACHABLE when the leader does not answer', async () => {
    const gone = `http://127.0.0.1:${await deadPort()}`;
    const p = await plane(() => ({ kind: 'forward', leaderProxyUrl: gone, epoch: 1 }));
    const r = await getJson(`${p.url}/`);
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('RL_LEADER_UNREACHABLE');
    expect(r.headers.get('x-ringleader-leader')).toBe(gone);
  });

  it('follows gate changes from one request to the next', async () => {
    let gate: GateDecision = { kind: 'reject', retryAfterS: 1 };
    const p = await plane(() => gate);
    expect((await getJson(`${p.url}/`)).status).toBe(503);
    gate = serving();
    expect((await getJson(`${p.url}/`)).status).toBe(200);
  });
});

describe('hold gate (hand-over in progress)', () => {
  /** A gate the test flips, with the waiter hook the role controller provides. */
  function switchableGate(initial: GateDecision) {
    let gate = initial;
    const waiters = new Set<() => void>();
    return {
      gate: () => gate,
      set(next: GateDecision) {
        gate = next;
        for (const w of [...waiters]) w();
      },
      waitForGateChange: (ms: number) =>
        new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, ms);
          waiters.add(done);
        }),
    };
  }

  it('holds a request until the gate changes, then serves it', async () => {
    const g = switchableGate({ kind: 'hold', reason: 'waiting for the successor', maxWaitMs: 10_000 });
    const p = await trackedPlane(
      backends.map((b) => asBackend(b)),
      { gate: g.gate, waitForGateChange: g.waitForGateChange },
    );
    const pending = getJson(`${p.url}/held`, { method: 'POST', body: 'kept' });
    // The request is on its way; how long it takes to arrive is not the point.
    await until(() => p.plane.stats.held > 0);
    expect(p.plane.stats.held).toBe(1);
    g.set(serving());
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ url: '/held', bodyBytes: 4 });
  });

  it('answers 503 when the hold outlasts maxWaitMs', async () => {
    const g = switchableGate({ kind: 'hold', reason: 'waiting for the successor', maxWaitMs: 200 });
    const p = await trackedPlane(
      backends.map((b) => asBackend(b)),
      { gate: g.gate, waitForGateChange: g.waitForGateChange },
    );
    const r = await getJson(`${p.url}/`);
    expect(r.status).toBe(503);
    expect(r.body.code).toBe('RL_NOT_LEADER');
    expect(r.body.message).toMatch(/waiting for the successor/);
  });

  it('answers 503 at once without a waiter hook', async () => {
    const p = await plane(() => ({ kind: 'hold', reason: 'hand-over', maxWaitMs: 60_000 }));
    const t0 = performance.now();
    expect((await getJson(`${p.url}/`)).status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(30_000);
  });
});

describe('graceful close', () => {
  it('lets an in-flight request finish, then stops accepting', async () => {
    const p = await startPlane(backends.map((b) => asBackend(b)));
    const slow = getJson(`${p.url}/slow?ms=1000`);
    // Closed while the request is in flight for sure, however slowly it got there.
    await until(() => p.plane.stats.inFlight === 1);
    const closed = p.plane.close(5000);
    const r = await slow;
    expect(r.status).toBe(200);
    await closed;
    await expect(fetch(`${p.url}/`)).rejects.toThrow();
  });

  it('cuts what is left when the grace period ends', async () => {
    const p = await startPlane(backends.map((b) => asBackend(b)));
    const slow = fetch(`${p.url}/slow?ms=5000`).then(
      (r) => r.status,
      () => 'cut',
    );
    // Otherwise a request still connecting is refused, and reads as 'cut' without any cutting.
    await until(() => p.plane.stats.inFlight === 1);
    const t0 = performance.now();
    await p.plane.close(200);
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(await slow).toBe('cut');
  });

  it('serves a request sent on a connection accepted just before the close (no reset)', async () => {
    const p = await startPlane(backends.map((b) => asBackend(b)));
    const socket = connect(p.port, '127.0.0.1');
    await once(socket, 'connect');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<string>((resolve) => {
      socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    });
    const closed = p.plane.close(5000);
    // The request arrives after the listener went: http.Server.close() alone would have
    // destroyed this "idle" connection already.
    await new Promise((r) => setTimeout(r, 150));
    socket.write('GET /late HTTP/1.1\r\nhost: x\r\n\r\n');
    const answer = await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    await closed;
  });

  it('closes kept-alive connections that stay quiet, well before the grace period ends', async () => {
    const p = await startPlane(backends.map((b) => asBackend(b)));
    const socket = connect(p.port, '127.0.0.1');
    await once(socket, 'connect');
    const gone = once(socket, 'close');
    socket.write('GET /first HTTP/1.1\r\nhost: x\r\n\r\n');
    await once(socket, 'data');
    const t0 = performance.now();
    await p.plane.close(10_000);
    await gone;
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});
