// One /metrics for the process with data-plane workers: the main thread's registry (control
// room: role, session, health, snapshot version, process figures) plus the plane's series of
// every worker, summed with prom-client's AggregatorRegistry.aggregate over each worker's
// getMetricsAsJSON(). Only the plane's own series are taken from workers: everything else in
// a worker's registry is never set there, and process-wide figures must not be counted N times.
// Per-worker figures (requests, in flight, snapshot version, restarts) are the main thread's.
import { AggregatorRegistry, Counter, Gauge, type Registry } from 'prom-client';

export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** The series the HTTP data plane writes (control/metrics.ts), summed over workers. */
export const PLANE_METRIC_NAMES: ReadonlySet<string> = new Set([
  'ringleader_requests_total',
  'ringleader_request_duration_seconds',
  'ringleader_upstream_errors_total',
  'ringleader_backend_in_flight',
  'ringleader_retries_total',
  'ringleader_limit_rejections_total',
]);

export const planeOnly = (json: MetricsJson): MetricsJson =>
  json.filter((m) => PLANE_METRIC_NAMES.has(m.name));

/** The exposition text: the main registry's own series, then the plane's summed over main and workers. */
export async function mergedMetricsText(main: Registry, workers: readonly MetricsJson[]): Promise<string> {
  const mainJson = await main.getMetricsAsJSON();
  const own = mainJson.filter((m) => !PLANE_METRIC_NAMES.has(m.name)).map((m) => m.name);
  const parts = await Promise.all(own.map((name) => main.getSingleMetricAsString(name)));
  const summed = AggregatorRegistry.aggregate([planeOnly(mainJson), ...workers.map(planeOnly)]);
  const plane = await summed.metrics();
  return `${parts.filter((p) => p.length > 0).join('\n')}\n${plane}`;
}

/** What the worker metrics read of each worker (the host's rows). */
export interface WorkerFigures {
  readonly id: number;
  readonly requests: number;
  readonly inFlight: number;
  readonly snapshotVersion: number;
}

export interface WorkerMetrics {
  restarted(id: number): void;
}

/** Registers the per-worker series on the main registry, read from `rows` at scrape time. */
export function workerMetrics(registry: Registry, rows: () => readonly WorkerFigures[]): WorkerMetrics {
  const registers = [registry];
  const gauge = (name: string, help: string, pick: (r: WorkerFigures) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const r of rows()) this.labels(String(r.id)).set(pick(r));
      },
    });
  // A monotonic count summed over a worker slot's lives (a restarted worker starts from 0, and
  // the host carries the dead one's total): exposed as a gauge so a restart never makes it fall.
  gauge(
    'ringleader_worker_requests',
    'Requests a data-plane worker slot has taken, over its restarts',
    (r) => r.requests,
  );
  gauge('ringleader_worker_in_flight', 'Requests in flight in a data-plane worker', (r) => r.inFlight);
  gauge(
    'ringleader_worker_snapshot_version',
    'Routing snapshot version a data-plane worker has acknowledged',
    (r) => r.snapshotVersion,
  );
  const restarts = new Counter({
    name: 'ringleader_worker_restarts_total',
    help: 'Data-plane workers restarted after they crashed',
    labelNames: ['worker'],
    registers,
  });
  return { restarted: (id) => restarts.labels(String(id)).inc() };
}
