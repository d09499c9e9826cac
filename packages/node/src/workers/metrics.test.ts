import { describe, expect, it } from 'vitest';
import { createMetrics } from '../control/metrics.js';
import { mergedMetricsText, planeOnly, workerMetrics } from './metrics.js';

describe('worker metrics', () => {
  it('sumsThePlaneSeriesOfEveryWorkerAndKeepsTheMainThreadsOwnOnce', async () => {
    const main = createMetrics();
    main.failovers.inc();
    const workers = [createMetrics({ defaultMetrics: false }), createMetrics({ defaultMetrics: false })];
    workers[0]!.backend('b1').request(200);
    workers[0]!.backend('b1').request(200);
    workers[1]!.backend('b1').request(200);
    workers[1]!.backend('b2').request(502);
    workers[1]!.retries.inc();
    // Set in a worker's registry but not the plane's: never taken from a worker.
    workers[1]!.failovers.inc(5);
    const json = await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON()));
    const text = await mergedMetricsText(main.registry, json);
    expect(text).toContain('ringleader_requests_total{backend="b1",code="200"} 3');
    expect(text).toContain('ringleader_requests_total{backend="b2",code="502"} 1');
    expect(text).toContain('ringleader_retries_total 1');
    expect(text).toContain('ringleader_failovers_total 1');
    expect(text.match(/^# TYPE ringleader_requests_total/gm)).toHaveLength(1);
    expect(text).toMatch(/^ringleader_process_process_cpu_user_seconds_total /m);
  });

  it('takesNothingButPlaneSeriesFromAWorker', async () => {
    const w = createMetrics({ defaultMetrics: false });
    const names = planeOnly(await w.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('ringleader_requests_total');
    expect(names).not.toContain('ringleader_role');
  });

  it('exposesPerWorkerFiguresAndRestarts', async () => {
    const main = createMetrics({ defaultMetrics: false });
    const m = workerMetrics(main.registry, () => [
      { id: 0, requests: 7, inFlight: 1, snapshotVersion: 4 },
      { id: 1, requests: 3, inFlight: 0, snapshotVersion: 4 },
    ]);
    m.restarted(1);
    const text = await main.registry.metrics();
    expect(text).toContain('ringleader_worker_requests{worker="0"} 7');
    expect(text).toContain('ringleader_worker_in_flight{worker="0"} 1');
    expect(text).toContain('ringleader_worker_snapshot_version{worker="1"} 4');
    expect(text).toContain('ringleader_worker_restarts_total{worker="1"} 1');
  });
});
