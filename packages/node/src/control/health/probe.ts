// One active health check: an HTTP/1.1 GET on a fresh connection (so a check also proves the
// backend accepts connections), bounded by a deadline, judged by the status line alone.
//
// It speaks HTTP over a bare socket rather than through node:http: a check needs the status
// code and nothing else, and the client's request/response objects, header parsing and agent
// bookkeeping cost several times the socket itself (measured in test/bench/scale-health.mjs,
// docs/health.md), which matters at 10 000 backends. The request asks `connection: close`;
// after the status line the rest of the reply is read and dropped until the backend closes
// (so it sees an orderly close, not a reset), bounded by the same deadline. The request is not
// half-closed before the answer: node's HTTP server, for one, drops a request whose client
// has already sent FIN.
import { Socket } from 'node:net';
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

/** `host:port` for the Host header (IPv6 in brackets). */
function hostHeader(t: ProbeTarget): string {
  return t.host.includes(':') && !t.host.startsWith('[') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** The status of an HTTP/1.x status line at the start of `head`; null: not one; undefined: incomplete. */
export function statusOf(head: string): number | null | undefined {
  const eol = head.indexOf('\r\n');
  if (eol < 0) return head.length >= 64 || (head.length >= 5 && !head.startsWith('HTTP/')) ? null : undefined;
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(head.slice(0, eol));
  return m === null ? null : Number(m[1]);
}

export function probe(target: ProbeTarget, cfg: ProbeSettings): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    const sock = new Socket();
    let settled = false;
    let head = '';
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const fail = (detail: string) => {
      done({ passed: false, detail, latencyMs: elapsed() });
      sock.destroy();
    };
    // One deadline for connect, answer and the drain after it.
    const timer = setTimeout(() => fail(`no answer within ${cfg.timeoutMs} ms`), cfg.timeoutMs);
    sock.on('error', (err: Error & { code?: string }) => fail(err.code ?? err.message));
    sock.on('close', () => {
      clearTimeout(timer);
      if (!settled) fail('connection closed before a status line');
    });
    sock.on('data', (chunk: Buffer) => {
      if (settled) return; // the rest of the reply, dropped
      head += chunk.toString('latin1', 0, Math.min(chunk.length, 64));
      const status = statusOf(head);
      if (status === undefined) return;
      if (status === null) return fail('not an HTTP/1.x status line');
      sock.end(); // the backend may close first or after us, either way no reset
      const [min, max] = cfg.expectStatus;
      const passed = status >= min && status <= max;
      done({
        passed,
        detail: passed ? `status ${status}` : `status ${status} outside ${min}..${max}`,
        status,
        latencyMs: elapsed(),
      });
    });
    sock.once('connect', () => {
      sock.write(
        `GET ${cfg.path} HTTP/1.1\r\nhost: ${hostHeader(target)}\r\nuser-agent: ringleader-health/1\r\n` +
          'accept: */*\r\nconnection: close\r\n\r\n',
      );
    });
    try {
      sock.connect({ host: target.host, port: target.port });
    } catch (err) {
      // A port out of range throws synchronously rather than emitting 'error'.
      fail((err as Error).message);
    }
  });
}
