import { describe, expect, it } from 'vitest';
import { createMetrics, PER_BACKEND_AUTO_LIMIT } from './metrics.js';

describe('metrics registry', () => {
  it('exposes the documented series with backend labels from cached children', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const b1 = m.backend('b1');
    expect(m.backend('b1')).toBe(b1);
    b1.request(200);
    b1.request(200);
    b1.request(503);
    b1.duration.observe(0.02);
    b1.inFlight.inc();
    b1.upstreamError('connect');
    m.retries.inc();
    m.limit('body_size');
    m.healthTransition('b1', 'down', false);
    const text = await m.registry.metrics();
    expect(text).toContain('ringleader_requests_total{backend="b1",code="200"} 2');
    expect(text).toContain('ringleader_requests_total{backend="b1",code="503"} 1');
    expect(text).toContain('ringleader_request_duration_seconds_bucket{le="0.025",backend="b1"} 1');
    expect(text).toContain('ringleader_backend_in_flight{backend="b1"} 1');
    expect(text).toContain('ringleader_upstream_errors_total{backend="b1",kind="connect"} 1');
    expect(text).toContain('ringleader_retries_total 1');
    expect(text).toContain('ringleader_limit_rejections_total{reason="body_size"} 1');
    expect(text).toContain('ringleader_health_transitions_total{backend="b1",to="down"} 1');
    expect(text).toContain('ringleader_backend_healthy{backend="b1"} 0');
    for (const name of [
      'ringleader_role',
      'ringleader_epoch',
      'ringleader_failovers_total',
      'ringleader_zk_session_state',
      'ringleader_snapshot_version',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('exports the duration histogram with Prometheus semantics (cumulative, le inclusive, +Inf)', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const b = m.backend('b1');
    b.duration.observe(0.025); // exactly on a bound: counted in that bucket
    b.duration.observe(0.003);
    b.duration.observe(100); // beyond the last bound: +Inf only
    const text = await m.registry.metrics();
    expect(text).toContain('# TYPE ringleader_request_duration_seconds histogram');
    expect(text).toContain('ringleader_request_duration_seconds_bucket{le="0.0025",backend="b1"} 0');
    expect(text).toContain('ringleader_request_duration_seconds_bucket{le="0.005",backend="b1"} 1');
    expect(text).toContain('ringleader_request_duration_seconds_bucket{le="0.025",backend="b1"} 2');
    expect(text).toContain('ringleader_request_duration_seconds_bucket{le="60",backend="b1"} 2');
    expect(text).toContain('ringleader_request_duration_seconds_bucket{le="+Inf",backend="b1"} 3');
    expect(text).toContain('ringleader_request_duration_seconds_sum{backend="b1"} 100.028');
    expect(text).toContain('ringleader_request_duration_seconds_count{backend="b1"} 3');
  });

  it('forgets every series of a backend that left, keeping the others', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.backend('gone').request(200);
    m.backend('gone').upstreamError('reset');
    m.healthTransition('gone', 'up', true);
    m.backend('stays').request(200);
    m.forget('gone');
    const text = await m.registry.metrics();
    expect(text).not.toContain('backend="gone"');
    expect(text).toContain('ringleader_requests_total{backend="stays",code="200"} 1');
    // A backend that comes back starts fresh series.
    m.backend('gone').request(201);
    expect(await m.registry.metrics()).toContain('ringleader_requests_total{backend="gone",code="201"} 1');
  });

  it('keeps a departed backend until its in-flight requests end (gauge never negative)', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const b = m.backend('leaving');
    b.inFlight.inc();
    m.forget('leaving');
    expect(await m.registry.metrics()).toContain('ringleader_backend_in_flight{backend="leaving"} 1');
    m.backend('leaving').request(200);
    m.backend('leaving').inFlight.dec();
    expect(await m.registry.metrics()).not.toContain('backend="leaving"');
  });

  it('keeps two registries apart (one per node in tests)', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.backend('x').request(200);
    expect(await b.registry.metrics()).not.toContain('backend="x"');
  });

  it('sumsPerBackendFamiliesIntoOneSeriesAboveTheAutoLimitAndOnOffForceEither', async () => {
    const fill = (m: ReturnType<typeof createMetrics>, n: number) => {
      for (let i = 0; i < n; i++) {
        const b = m.backend(`b${i}`);
        b.request(200);
        b.duration.observe(0.02);
        m.healthTransition(`b${i}`, i % 2 === 0 ? 'up' : 'down', i % 2 === 0);
      }
    };
    const auto = createMetrics({ defaultMetrics: false });
    fill(auto, PER_BACKEND_AUTO_LIMIT + 1);
    const text = await auto.registry.metrics();
    expect(text).not.toContain('backend="b0"');
    expect(text).toContain(
      `ringleader_requests_total{backend="_all",code="200"} ${PER_BACKEND_AUTO_LIMIT + 1}`,
    );
    expect(text).toContain(
      `ringleader_backend_healthy{backend="_all"} ${Math.ceil((PER_BACKEND_AUTO_LIMIT + 1) / 2)}`,
    );
    expect(text).toContain(
      `ringleader_request_duration_seconds_count{backend="_all"} ${PER_BACKEND_AUTO_LIMIT + 1}`,
    );
    // At the limit 'auto' still writes per-backend series; 'on' always, 'off' never.
    const small = createMetrics({ defaultMetrics: false });
    fill(small, PER_BACKEND_AUTO_LIMIT);
    expect(await small.registry.metrics()).toContain('ringleader_requests_total{backend="b0",code="200"} 1');
    const on = createMetrics({ defaultMetrics: false, perBackend: 'on' });
    fill(on, PER_BACKEND_AUTO_LIMIT + 1);
    expect(await on.registry.metrics()).toContain('backend="b100"');
    const off = createMetrics({ defaultMetrics: false, perBackend: 'off' });
    fill(off, 1);
    const offText = await off.registry.metrics();
    expect(offText).not.toContain('backend="b0"');
    expect(offText).toContain('ringleader_backend_in_flight{backend="_all"} 0');
  });
});
