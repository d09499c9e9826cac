// Shared helpers of the data-plane suites (not a test file): in-process backends, snapshots
// built with the real core, a data plane on a loopback port, and raw-socket requests.
import { connect } from 'node:net';
import {
  type Backend,
  buildSnapshot,
  type ClusterConfig,
  DEFAULT_CLUSTER_CONFIG,
  HealthTable,
  LoadTracker,
  type RoutingSnapshot,
} from '@ringleader/core';
import { startBackend } from '@ringleader/launcher/backend';
import {
  createDataPlane,
  createMetrics,
  type DataPlane,
  type DataPlaneOptions,
  type GateDecision,
  type Seam,
} from '@ringleader/node';
import { afterAll, afterEach, beforeAll } from 'vitest';

/** A `serve` gate with a permit for `epoch` (what a leader's role controller hands out). */
export function serving(epoch = 7): GateDecision {
  return { kind: 'serve', permit: { epoch, leaseDeadline: Number.POSITIVE_INFINITY } };
}

export interface TestBackend {
  id: string;
  host: string;
  port: number;
  url: string;
  epochs: (number | null)[];
  readonly requests: number;
  close(): Promise<void>;
}

export function startBackends(ids: string[]): Promise<TestBackend[]> {
  return Promise.all(ids.map((id) => startBackend({ id })));
}

export function asBackend(
  b: { id: string; host?: string; port: number },
  over: Partial<Backend> = {},
): Backend {
  return {
    id: b.id,
    host: b.host ?? '127.0.0.1',
    port: b.port,
    weight: 1,
    state: 'active',
    format: 'native',
    ...over,
  };
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Plane {
  plane: DataPlane;
  url: string;
  port: number;
  load: LoadTracker;
  health: HealthTable;
  metrics: ReturnType<typeof createMetrics>;
  setBackends(backends: Backend[], config?: Partial<ClusterConfig>): RoutingSnapshot;
  snapshot(): RoutingSnapshot;
}

/** The engine the test run asks for (RINGLEADER_PROXY_ENGINE), checked; undefined: the default. */
export function matrixEngine(): DataPlaneOptions['engine'] {
  const e = process.env.RINGLEADER_PROXY_ENGINE;
  if (e === undefined || e === '') return undefined;
  if (e !== 'undici' && e !== 'reply-from')
    throw new Error(`RINGLEADER_PROXY_ENGINE must be undici | reply-from, got ${JSON.stringify(e)}`);
  return e;
}

/** Plane options to override, and the parts of the seam a test drives itself (gate, waiter). */
export type PlaneOverrides = Partial<Omit<DataPlaneOptions, 'seam'>> & Partial<Omit<Seam, 'snapshot'>>;

export async function startPlane(
  backends: Backend[],
  overrides: PlaneOverrides = {},
  config: Partial<ClusterConfig> = {},
): Promise<Plane> {
  const load = new LoadTracker();
  const health = new HealthTable({
    healthCheck: DEFAULT_CLUSTER_CONFIG.healthCheck,
    outlier: DEFAULT_CLUSTER_CONFIG.outlier,
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const ctx = { load, health, random: Math.random };
  let version = 0;
  let snap: RoutingSnapshot;
  const setBackends = (list: Backend[], cfg: Partial<ClusterConfig> = config) => {
    snap = buildSnapshot(++version, list, { ...DEFAULT_CLUSTER_CONFIG, ...cfg }, ctx);
    health.sync(list.map((b) => b.id));
    return snap;
  };
  setBackends(backends, config);
  const { gate, permitValid, waitForGateChange, ...over } = overrides;
  const plane = createDataPlane({
    nodeId: 'lb-test',
    // The engine matrix (vitest.config.ts) runs these suites once per engine.
    ...(matrixEngine() ? { engine: matrixEngine() } : {}),
    seam: {
      snapshot: () => snap,
      gate: gate ?? (() => serving(7)),
      permitValid: permitValid ?? (() => true),
      ...(waitForGateChange ? { waitForGateChange } : {}),
    },
    load,
    health,
    retries: 2,
    exposeBackendHeader: true,
    trustedProxies: [],
    timeouts: { connectMs: 1000, headersMs: 5000, idleMs: 5000, requestMs: 10_000 },
    limits: { maxHeaderBytes: 8192, maxBodyBytes: 1024 * 1024, maxHeaderCount: 100 },
    metrics,
    ...over,
  });
  const addr = await plane.listen({ host: '127.0.0.1', port: 0 });
  return { plane, url: addr.url, port: addr.port, load, health, metrics, setBackends, snapshot: () => snap };
}

/**
 * Backends started once for the file (filled in by its beforeAll) and `plane()`, whose planes
 * are closed after each test with `closeGraceMs`; call it once at the top of a file.
 */
export function usePlanes(
  ids: string[],
  closeGraceMs: number,
): { backends: TestBackend[]; plane: (...args: Parameters<typeof startPlane>) => Promise<Plane> } {
  const backends: TestBackend[] = [];
  const planes: Plane[] = [];
  beforeAll(async () => {
    backends.push(...(await startBackends(ids)));
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });
  afterEach(async () => {
    await Promise.all(planes.splice(0).map((p) => p.plane.close(closeGraceMs)));
  });
  const plane = async (...args: Parameters<typeof startPlane>): Promise<Plane> => {
    const p = await startPlane(...args);
    planes.push(p);
    return p;
  };
  return { backends, plane };
}

export { until } from './poll.js';

export async function getJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** Sends raw bytes on a fresh connection; resolves with everything read until the server closes (or `waitMs`). */
export function rawRequest(port: number, bytes: string | Buffer, waitMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    }, waitMs);
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.write(bytes);
  });
}

export function statusLine(response: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);
}
