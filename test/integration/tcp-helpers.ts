// Shared pieces of the TCP relay suites (not a test file): plain net servers as backends, a
// service definition, and a listener over a snapshot built with the real core.
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  type Backend,
  buildSnapshot,
  type ClusterConfig,
  DEFAULT_CLUSTER_CONFIG,
  HealthTable,
  LoadTracker,
  type RoutingSnapshot,
  type ServiceDefinition,
} from '@ringleader/core';
import {
  createMetrics,
  createTcpListener,
  type Seam,
  type TcpListener,
  type TcpListenerOptions,
} from '@ringleader/node';
import { serving } from './dataplane-helpers.js';

export interface NetBackend {
  id: string;
  port: number;
  server: Server;
  /** Sockets accepted so far (open or not). */
  accepted: Socket[];
  close(): Promise<void>;
}

/** A backend; `onConn` defaults to an echo that half-closes when the client does. */
export async function netBackend(id: string, onConn?: (s: Socket) => void): Promise<NetBackend> {
  const accepted: Socket[] = [];
  const server = createServer({ allowHalfOpen: true }, (s) => {
    accepted.push(s);
    s.on('error', () => s.destroy());
    if (onConn) onConn(s);
    else s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    id,
    port,
    server,
    accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const s of accepted) s.destroy();
        server.close(() => r());
      }),
  };
}

export function tcpService(
  over: Partial<ServiceDefinition> = {},
  routing: Partial<ClusterConfig> = {},
): ServiceDefinition {
  return {
    name: 'db',
    protocol: 'tcp',
    listen: 0,
    routing: { ...DEFAULT_CLUSTER_CONFIG, policy: 'round-robin', retries: 2, ...routing },
    healthCheck: {
      kind: 'tcp',
      intervalMs: 1000,
      timeoutMs: 500,
      rise: 1,
      fall: 1,
      path: '/',
      expectStatus: [200, 399],
    },
    timeouts: { connectMs: 500, idleMs: 5000, queueMs: 200, proxyHeaderMs: 500, commandMs: 1000 },
    acceptProxyProtocol: false,
    drainTimeoutMs: 200,
    ...over,
  };
}

export function member(id: string, port: number, over: Partial<Backend> = {}): Backend {
  return { id, host: '127.0.0.1', port, weight: 1, state: 'active', format: 'native', ...over };
}

export interface TestListener {
  listener: TcpListener;
  port: number;
  metrics: ReturnType<typeof createMetrics>;
  setBackends(list: Backend[]): RoutingSnapshot;
}

export async function startTcp(
  service: ServiceDefinition,
  backends: Backend[],
  over: Partial<Omit<Seam, 'snapshot'>> & Partial<Pick<TcpListenerOptions, 'forwardTarget'>> = {},
): Promise<TestListener> {
  const load = new LoadTracker();
  const health = new HealthTable({
    healthCheck: DEFAULT_CLUSTER_CONFIG.healthCheck,
    outlier: DEFAULT_CLUSTER_CONFIG.outlier,
  });
  const ctx = { load, health, random: Math.random };
  let version = 0;
  let snap: RoutingSnapshot;
  const setBackends = (list: Backend[]) => {
    snap = buildSnapshot(++version, list, service.routing, ctx);
    health.sync(list.map((b) => b.id));
    return snap;
  };
  setBackends(backends);
  const metrics = createMetrics({ defaultMetrics: false });
  const { forwardTarget, gate, permitValid, ...seamOver } = over;
  const listener = createTcpListener({
    nodeId: 'lb-test',
    service,
    seam: {
      snapshot: () => snap,
      gate: gate ?? (() => serving(7)),
      permitValid: permitValid ?? (() => true),
      ...seamOver,
    },
    forwardTarget: forwardTarget ?? (() => undefined),
    load,
    health,
    metrics: metrics.serviceMetrics(service.name),
  });
  const addr = await listener.listen({ host: '127.0.0.1', port: 0 });
  return {
    listener,
    port: addr.port,
    metrics,
    setBackends: (list) => {
      const s = setBackends(list);
      listener.onSnapshot(s);
      return s;
    },
  };
}

/** Connects, writes `data`, half-closes, and collects everything until the socket closes. */
export function exchange(port: number, data: string | Buffer): Promise<{ reply: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const s = createClient(port);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    s.on('close', () => resolve({ reply: Buffer.concat(chunks), ...(error ? { error } : {}) }));
    s.end(data);
  });
}

export function createClient(port: number): Socket {
  const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  // The relay answers refusals and kills with a reset; a test looks at 'close'.
  s.on('error', () => undefined);
  return s;
}

export const closed = (s: Socket) =>
  new Promise<void>((r) => (s.destroyed && s.closed ? r() : s.once('close', () => r())));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}
