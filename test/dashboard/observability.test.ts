// Keeps docs/metrics.md, the sample Grafana dashboard and the Prometheus scrape config in step
// with the metrics a node really exposes.
import { readFileSync } from 'node:fs';
import { createMetrics } from '@ringleader/node';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The metrics the issue names; each must be exposed, documented and on the Grafana dashboard. */
const REQUIRED = [
  'ringleader_requests_total',
  'ringleader_request_duration_seconds',
  'ringleader_role',
  'ringleader_epoch',
  'ringleader_failovers_total',
  'ringleader_zk_session_state',
  'ringleader_backend_healthy',
  'ringleader_snapshot_version',
];

async function exposedNames(): Promise<string[]> {
  const m = createMetrics({ defaultMetrics: false });
  const text = await m.registry.metrics();
  return [...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1] as string);
}

describe('observability files', () => {
  it('exposes every required metric and documents every exposed one', async () => {
    const names = await exposedNames();
    expect(names).toEqual(expect.arrayContaining(REQUIRED));
    const doc = read('docs/metrics.md');
    expect(names.filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });

  it('has a Grafana dashboard that queries every required metric', () => {
    const dash = JSON.parse(read('deploy/observability/grafana-dashboard.json')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    expect(REQUIRED.filter((n) => !exprs.includes(n))).toEqual([]);
    const titles = dash.panels.map((p) => p.title.toLowerCase()).join('\n');
    for (const want of [
      'request rate',
      'error rate',
      'p50',
      'p99',
      'role',
      'epoch',
      'failover',
      'session',
      'health',
    ])
      expect(titles).toContain(want);
  });

  it('has a Prometheus config scraping /metrics with node and cluster labels on every target', () => {
    const cfg = read('deploy/observability/prometheus.yml');
    expect(cfg).toMatch(/^\s+metrics_path: \/metrics$/m);
    const targets = [...cfg.matchAll(/^\s+- targets: \[.*\]\n\s+labels: \{ cluster: \S+, node: \S+ \}$/gm)];
    expect(targets.length).toBe((cfg.match(/^\s+- targets:/gm) ?? []).length);
    expect(targets.length).toBeGreaterThan(0);
  });
});
