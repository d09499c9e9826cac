// One active health check: an HTTP GET on a fresh connection (so a check also proves the
// backend accepts connections), bounded by a deadline, judged by the expected status range.
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { HealthCheckConfig } from '@ringleader/core';

export interface ProbeTarget {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export interface ProbeResult {
  readonly passed: boolean;
  /** Why it failed (or the status it passed with), for logs and the dashboard timeline. */
  readonly detail: string;
  readonly status?: number;
  readonly latencyMs: number;
}

export type ProbeSettings = Pick<HealthCheckConfig, 'path' | 'timeoutMs' | 'expectStatus'>;

export function probe(target: ProbeTarget, cfg: ProbeSettings): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request({
      host: target.host,
      port: target.port,
      path: cfg.path,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'ringleader-health/1', connection: 'close', accept: '*/*' },
    });
    const timer = setTimeout(() => {
      done({ passed: false, detail: `no answer within ${cfg.timeoutMs} ms`, latencyMs: elapsed() });
      req.destroy();
    }, cfg.timeoutMs);
    req.once('error', (err: Error & { code?: string }) => {
      done({ passed: false, detail: err.code ?? err.message, latencyMs: elapsed() });
    });
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const [min, max] = cfg.expectStatus;
      const passed = status >= min && status <= max;
      res.resume();
      res.once('error', () => undefined);
      done({
        passed,
        detail: passed ? `status ${status}` : `status ${status} outside ${min}..${max}`,
        status,
        latencyMs: elapsed(),
      });
    });
    req.end();
  });
}
