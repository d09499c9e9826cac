// Active health checks against real backends, steering the data plane: a backend that fails
// `fall` checks stops getting requests, and gets them again after `rise` passing checks.
import { HealthChecker } from '@ringleader/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asBackend,
  getJson,
  type Plane,
  startBackends,
  startPlane,
  type TestBackend,
  until,
} from './dataplane-helpers.js';

let backends: TestBackend[] = [];
let p: Plane;
let checker: HealthChecker;
const transitions: string[] = [];

beforeAll(async () => {
  backends = await startBackends(['h1', 'h2']);
  p = await startPlane(backends.map((b) => asBackend(b)));
  p.health.configure({
    healthCheck: { rise: 2, fall: 3 },
    outlier: { consecutiveFailures: 0, baseEjectionMs: 1000, maxEjectionMs: 1000 },
  });
  checker = new HealthChecker({
    table: p.health,
    config: { path: '/healthz', intervalMs: 40, timeoutMs: 500, expectStatus: [200, 399] },
    metrics: p.metrics,
    load: p.load,
  });
  checker.onTransition((e) => transitions.push(`${e.id}:${e.from}->${e.to}`));
  checker.setBackends(p.snapshot().backends);
  checker.start();
});
afterAll(async () => {
  checker.stop();
  await p.plane.close(500);
  await Promise.all(backends.map((b) => b.close()));
});

describe('active health checks', () => {
  it('brings every backend up on its first passing check', async () => {
    await until(() => transitions.includes('h1:unknown->up') && transitions.includes('h2:unknown->up'));
  });

  it('takes a failing backend out after `fall` checks and routes around it', async () => {
    let checksOfH1 = 0;
    const off = checker.onCheck((id) => {
      if (id === 'h1') checksOfH1++;
    });
    await getJson(`${backends[0]!.url}/__health?status=503`);
    checksOfH1 = 0;
    await until(() => p.health.state('h1') === 'down');
    off();
    expect(checksOfH1).toBeGreaterThanOrEqual(3);
    for (let i = 0; i < 6; i++) expect((await getJson(`${p.url}/`)).body.backend).toBe('h2');
    expect(await p.metrics.registry.metrics()).toContain('ringleader_backend_healthy{backend="h1"} 0');
  });

  it('brings it back after `rise` passing checks', async () => {
    await getJson(`${backends[0]!.url}/__health?status=200`);
    await until(() => p.health.state('h1') === 'up');
    const seen = new Set<unknown>();
    for (let i = 0; i < 6; i++) seen.add((await getJson(`${p.url}/`)).body.backend);
    expect(seen).toEqual(new Set(['h1', 'h2']));
    expect(transitions.filter((t) => t.startsWith('h1:'))).toEqual([
      'h1:unknown->up',
      'h1:up->down',
      'h1:down->up',
    ]);
  });

  it('marks a backend whose process is gone down (connection refused)', async () => {
    await backends[1]!.close();
    await until(() => p.health.state('h2') === 'down');
    for (let i = 0; i < 4; i++) expect((await getJson(`${p.url}/`)).body.backend).toBe('h1');
  });
});
