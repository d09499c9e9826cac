#!/usr/bin/env node
// The HTTP data plane alone, in one process, for profiling and quick engine A/B runs: the
// built @ringleader/node plane over a fixed snapshot of the given backends, a serving gate,
// the real load tracker, health table and Prometheus metrics — what a leader's plane runs
// per request, without ZooKeeper (which costs nothing per request).
//
//   node [--cpu-prof] test/bench/plane-server.mjs --backends 4001,4002 [--engine undici]
//        [--policy round-robin] [--port 0]   → prints {"port"} once listening; SIGTERM stops
import { buildSnapshot, DEFAULT_CLUSTER_CONFIG, HealthTable, LoadTracker } from '@ringleader/core';
import { createDataPlane, createMetrics } from '@ringleader/node';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const ports = (arg('backends') ?? '').split(',').filter(Boolean).map(Number);
if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p <= 0))
  throw new Error('--backends PORT[,PORT…] is required');
const engine = arg('engine');
const policy = arg('policy', 'round-robin');

const backends = ports.map((port, i) => ({
  id: `b${i + 1}`,
  host: '127.0.0.1',
  port,
  weight: 1,
  state: 'active',
  format: 'native',
}));
const load = new LoadTracker();
const health = new HealthTable({
  healthCheck: DEFAULT_CLUSTER_CONFIG.healthCheck,
  outlier: DEFAULT_CLUSTER_CONFIG.outlier,
});
health.sync(backends.map((b) => b.id));
const config = { ...DEFAULT_CLUSTER_CONFIG, policy, hash: 'header:x-user-id' };
const snap = buildSnapshot(1, backends, config, { load, health, random: Math.random });
const gate = { kind: 'serve', permit: { epoch: 1, leaseDeadline: Number.POSITIVE_INFINITY } };
const plane = createDataPlane({
  nodeId: 'bench',
  seam: { snapshot: () => snap, gate: () => gate, permitValid: () => true },
  load,
  health,
  retries: 2,
  exposeBackendHeader: false,
  trustedProxies: [],
  timeouts: { connectMs: 2000, headersMs: 30_000, idleMs: 60_000, requestMs: 60_000 },
  limits: { maxHeaderBytes: 16 * 1024, maxBodyBytes: 10 * 1024 * 1024, maxHeaderCount: 100 },
  metrics: createMetrics({ defaultMetrics: false }),
  ...(engine ? { engine } : {}),
});
const addr = await plane.listen({ host: '127.0.0.1', port: Number(arg('port', '0')) });
process.stdout.write(`${JSON.stringify({ port: addr.port, engine: engine ?? 'default' })}\n`);
process.on('SIGTERM', () => {
  // A normal exit, so --cpu-prof writes its profile.
  plane.close(500).then(() => process.exit(0));
});
