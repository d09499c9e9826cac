// Client side of the end-to-end suites (not a test file): keep-alive HTTP requests through the
// LB nodes' proxy ports, counting which backend answered (the sample backend names itself in
// its JSON body), and a steady load loop that records every failure.
import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The backend that answered (from the fixture's JSON body), when one did. */
  readonly backend: string | undefined;
  readonly body: Record<string, unknown> | undefined;
}

export interface GetOptions {
  readonly headers?: Record<string, string>;
  readonly agent?: Agent;
  readonly timeoutMs?: number;
}

/** One GET; rejects only on a transport error (the error's `code` says which). */
export function get(url: string, opts: GetOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'GET', headers: opts.headers ?? {}, agent: opts.agent, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('error', reject);
        res.on('end', () => {
          let body: Record<string, unknown> | undefined;
          try {
            body = JSON.parse(text) as Record<string, unknown>;
          } catch {
            body = undefined;
          }
          const backend = typeof body?.backend === 'string' ? body.backend : undefined;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, backend, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** A keep-alive agent; destroy it when done. */
export function keepAlive(maxSockets = 16): Agent {
  return new Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 1000 });
}

/**
 * Runs `count` GETs with `concurrency` in flight; `target(i)` gives URL and headers of the
 * i-th. Resolves with the replies in request order.
 */
export async function burst(
  count: number,
  concurrency: number,
  target: (i: number) => { url: string; headers?: Record<string, string> },
  agent?: Agent,
): Promise<Reply[]> {
  const own = agent ?? keepAlive(concurrency);
  const out: Reply[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const t = target(i);
      out[i] = await get(t.url, { agent: own, ...(t.headers ? { headers: t.headers } : {}) });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    if (!agent) own.destroy();
  }
  return out;
}

/** How many replies each backend gave; throws if any reply was not a 200 from a backend. */
export function shares(replies: readonly Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of replies) {
    if (r.status !== 200 || r.backend === undefined) {
      throw new Error(`expected a 200 from a backend, got ${r.status}: ${r.text.slice(0, 200)}`);
    }
    counts[r.backend] = (counts[r.backend] ?? 0) + 1;
  }
  return counts;
}

export interface LoadFailure {
  readonly at: number;
  readonly target: string;
  readonly what: string;
}

export interface LoadResult {
  readonly sent: number;
  readonly ok: number;
  readonly failures: readonly LoadFailure[];
  /** Connections refused before anything was sent, each retried on the next target. */
  readonly refusedAndRetried: number;
  /** Replies by backend. */
  readonly byBackend: Readonly<Record<string, number>>;
  /** Time of each successful reply (ms since epoch), in order per client. */
  readonly okTimes: readonly number[];
}

/**
 * Steady load: one sequential keep-alive client per target, each sending `ratePerTarget` GETs a
 * second until stop() is called. A reply that is not a 200 from a backend, or any transport
 * error after the request could have been sent, is a failure. A refused connection
 * (ECONNREFUSED: nothing was sent, so a retry cannot duplicate anything) moves that client to
 * the next target and tries again at once — what an L4 balancer or a DNS client does with a
 * node that is gone — and is counted apart.
 */
export function steadyLoad(
  targets: readonly string[],
  opts: { ratePerTarget?: number; path?: string } = {},
): { stop(): Promise<LoadResult> } {
  const periodMs = 1000 / (opts.ratePerTarget ?? 80);
  const path = opts.path ?? '/load';
  let running = true;
  let sent = 0;
  let ok = 0;
  let refused = 0;
  const failures: LoadFailure[] = [];
  const byBackend: Record<string, number> = {};
  const okTimes: number[] = [];
  const client = async (first: number) => {
    const agent = keepAlive(1);
    let at = first;
    let due = Date.now();
    try {
      while (running) {
        const target = targets[at % targets.length]!;
        sent++;
        try {
          const r = await get(`${target}${path}`, { agent, timeoutMs: 10_000 });
          if (r.status === 200 && r.backend !== undefined) {
            ok++;
            okTimes.push(Date.now());
            byBackend[r.backend] = (byBackend[r.backend] ?? 0) + 1;
          } else {
            failures.push({ at: Date.now(), target, what: `${r.status} ${r.text.slice(0, 160)}` });
          }
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          if (code === 'ECONNREFUSED') {
            refused++;
            sent--;
            at++;
            continue;
          }
          failures.push({ at: Date.now(), target, what: code });
        }
        due += periodMs;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        else due = Date.now();
      }
    } finally {
      agent.destroy();
    }
  };
  const clients = targets.map((_, i) => client(i));
  return {
    async stop() {
      running = false;
      await Promise.all(clients);
      return { sent, ok, failures, refusedAndRetried: refused, byBackend, okTimes };
    },
  };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One JSON line a run's log can be grepped for: `{"metric":…,"value":…}`. */
export function reportMetric(metric: string, value: number, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ metric, value, ...extra })}\n`);
}

/**
 * Sends raw bytes on a fresh connection (optionally a second part after `thenAfterMs`) and
 * resolves with everything read until the server closes, or after `waitMs`.
 */
export function rawExchange(
  port: number,
  bytes: string,
  opts: { waitMs?: number; then?: string; thenAfterMs?: number } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(() => {
      s.destroy();
      done();
    }, opts.waitMs ?? 3000);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', done);
    s.on('close', done);
    s.write(bytes);
    if (opts.then !== undefined) setTimeout(() => s.writable && s.write(opts.then!), opts.thenAfterMs ?? 100);
  });
}

/** The status code of a raw HTTP/1.x response (0 when there is none). */
export function statusOf(response: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 0);
}
