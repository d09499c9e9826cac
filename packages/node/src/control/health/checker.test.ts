import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HealthEvent, HealthTable } from '@ringleader/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../metrics.js';
import { HealthChecker } from './checker.js';
import { type ProbeResult, probe } from './probe.js';

const cfg = { path: '/healthz', intervalMs: 1000, timeoutMs: 500, expectStatus: [200, 399] as const };

function table(rise = 2, fall = 3, consecutiveFailures = 3): HealthTable {
  return new HealthTable({
    healthCheck: { rise, fall },
    outlier: { consecutiveFailures, baseEjectionMs: 1000, maxEjectionMs: 10_000 },
  });
}

describe('HealthChecker (fake clock, scripted probe)', () => {
  let clock = 0;
  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A checker whose probe answers from `script[id]` (true = pass), counting calls. */
  function setup(script: Record<string, boolean[]>, over: { rise?: number; fall?: number } = {}) {
    const t = table(over.rise ?? 2, over.fall ?? 3);
    const calls: string[] = [];
    const events: HealthEvent[] = [];
    const forgotten: string[] = [];
    const metrics = createMetrics({ defaultMetrics: false });
    const checker = new HealthChecker({
      table: t,
      config: cfg,
      now: () => clock,
      random: () => 0.5,
      metrics,
      load: { forget: (id) => forgotten.push(id) },
      probe: async (target): Promise<ProbeResult> => {
        calls.push(target.id);
        const list = script[target.id] ?? [];
        const passed = list.length > 1 ? (list.shift() as boolean) : (list[0] ?? true);
        return { passed, detail: passed ? 'status 200' : 'status 503', latencyMs: 1 };
      },
    });
    checker.onTransition((e) => events.push(e));
    return { t, checker, calls, events, forgotten, metrics };
  }

  /** Moves the checker's clock with the fake timers, in steps, so both agree on "now". */
  async function advance(ms: number) {
    for (let left = ms; left > 0; left -= 10) {
      const step = Math.min(10, left);
      clock += step;
      await vi.advanceTimersByTimeAsync(step);
    }
  }

  it('settles on the first check, goes down after `fall` failures and up after `rise` passes', async () => {
    const { t, checker, events, forgotten, metrics } = setup({
      b1: [true, false, false, false, true, true, true],
    });
    checker.setBackends([{ id: 'b1', host: 'h', port: 1 }]);
    checker.start();
    await advance(100); // first check within the first 10 % of an interval
    expect(t.state('b1')).toBe('up');
    await advance(1000);
    await advance(1000);
    expect(t.state('b1')).toBe('up'); // 2 failures < fall 3
    await advance(1000);
    expect(t.state('b1')).toBe('down');
    await advance(1000);
    expect(t.state('b1')).toBe('down'); // 1 pass < rise 2
    await advance(1000);
    expect(t.state('b1')).toBe('up');
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['unknown->up', 'up->down', 'down->up']);
    expect(forgotten).toEqual(['b1']);
    const text = await metrics.registry.metrics();
    expect(text).toContain('ringleader_health_transitions_total{backend="b1",to="down"} 1');
    expect(text).toContain('ringleader_backend_healthy{backend="b1"} 1');
    checker.stop();
  });

  it('keeps why each backend is in its state: the transition, then a later failure that says something else', async () => {
    const details = [
      'status 404 outside 200..399',
      'status 404 outside 200..399',
      'ECONNREFUSED',
      'status 200',
    ];
    const t = table(1, 1);
    const checker = new HealthChecker({
      table: t,
      config: cfg,
      now: () => clock,
      random: () => 0.5,
      probe: async (): Promise<ProbeResult> => {
        const detail = details.length > 1 ? (details.shift() as string) : (details[0] as string);
        return { passed: detail === 'status 200', detail, latencyMs: 1 };
      },
    });
    checker.setBackends([{ id: 'b1', host: 'h', port: 1 }]);
    expect(checker.reason('b1')).toBeUndefined();
    checker.start();
    await advance(100);
    expect(t.state('b1')).toBe('down');
    expect(checker.reason('b1')).toBe('first check failed: status 404 outside 200..399');
    await advance(1000); // the same failure again: said once
    expect(checker.reason('b1')).toBe('first check failed: status 404 outside 200..399');
    await advance(1000);
    expect(checker.reason('b1')).toBe(
      'first check failed: status 404 outside 200..399; last check failed: ECONNREFUSED',
    );
    await advance(1000);
    expect(t.state('b1')).toBe('up');
    expect(checker.reason('b1')).toBe('1 consecutive checks passed');
    checker.setBackends([]);
    expect(checker.reason('b1')).toBeUndefined();
    checker.stop();
  });

  it('checks draining backends too, and stops checking removed ones (late results dropped)', async () => {
    const { t, checker, calls } = setup({});
    checker.setBackends([
      { id: 'a', host: 'h', port: 1 },
      { id: 'drain', host: 'h', port: 2 },
    ]);
    checker.start();
    await advance(100);
    expect(new Set(calls)).toEqual(new Set(['a', 'drain']));
    checker.setBackends([{ id: 'a', host: 'h', port: 1 }]);
    expect(t.has('drain')).toBe(false);
    calls.length = 0;
    await advance(3000);
    expect(calls.every((id) => id === 'a')).toBe(true);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    checker.stop();
  });

  it('restarts the checks of a backend that moved to another port', async () => {
    const { checker, calls } = setup({});
    checker.setBackends([{ id: 'a', host: 'h', port: 1 }]);
    checker.start();
    await advance(100);
    checker.setBackends([{ id: 'a', host: 'h', port: 2 }]);
    expect(checker.checking).toEqual(['a']);
    calls.length = 0;
    await advance(100);
    expect(calls).toEqual(['a']);
    checker.stop();
  });

  it('turns passive failures into an ejection event and reports the return on tick', async () => {
    const { checker, events, forgotten } = setup({});
    checker.setBackends([
      { id: 'a', host: 'h', port: 1 },
      { id: 'b', host: 'h', port: 2 },
    ]);
    checker.start();
    for (let i = 0; i < 3; i++) checker.recordOutcome('a', false, clock);
    expect(checker.isUp('a')).toBe(false);
    expect(events.at(-1)).toMatchObject({ id: 'a', to: 'ejected', kind: 'outlier' });
    await advance(1300);
    expect(checker.isUp('a')).toBe(true);
    expect(events.at(-1)).toMatchObject({ id: 'a', from: 'ejected', kind: 'outlier' });
    expect(forgotten).toContain('a');
    checker.stop();
  });
});

describe('probe (real sockets)', () => {
  let server: Server;
  let port = 0;
  let status = 200;
  let delayMs = 0;
  beforeEach(async () => {
    server = createServer((req, res) => {
      setTimeout(() => res.writeHead(req.url === '/healthz' ? status : 404).end('x'), delayMs);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
    status = 200;
    delayMs = 0;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('passes on a status inside the range and fails outside it', async () => {
    const target = { id: 'x', host: '127.0.0.1', port };
    expect(await probe(target, cfg)).toMatchObject({ passed: true, status: 200 });
    status = 503;
    expect(await probe(target, cfg)).toMatchObject({
      passed: false,
      status: 503,
      detail: 'status 503 outside 200..399',
    });
    expect(await probe(target, { ...cfg, path: '/other' })).toMatchObject({ passed: false, status: 404 });
  });

  it('fails on a refused connection and on a deadline', async () => {
    delayMs = 1000;
    expect(await probe({ id: 'x', host: '127.0.0.1', port }, { ...cfg, timeoutMs: 50 })).toMatchObject({
      passed: false,
      detail: 'no answer within 50 ms',
    });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    expect(await probe({ id: 'x', host: '127.0.0.1', port }, cfg)).toMatchObject({
      passed: false,
      detail: 'ECONNREFUSED',
    });
    server = createServer(); // so afterEach has something to close
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });
});
