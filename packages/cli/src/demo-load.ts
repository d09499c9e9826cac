// The demo's client: a steady, bounded stream of GETs spread round-robin over the nodes' proxy
// ports, the way DNS round-robin or an L4 balancer without health checks would spread them. A
// node whose port refuses connections (it is dead) is skipped for a second and the request goes
// to the next one at once — nothing was sent, so that is safe — as an L4 balancer would do; so
// is a request written on a kept-alive socket the node had just closed, and one a node refused
// with RL_NOT_LEADER without proxying it (it is starting, or knows no leader yet).
// Every outcome is reported with the backend, node and epoch the backend saw.
import { Agent, get } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Outcome } from './demo-traffic.js';

export interface LoadEntry {
  readonly id: string;
  readonly proxyUrl: string;
}

export interface LoadOptions {
  readonly entries: readonly LoadEntry[];
  /** Requests per second (open loop: sent on schedule, not after the previous answer). */
  readonly rate: number;
  /** Per-request deadline. */
  readonly timeoutMs: number;
  /** Requests in flight at most; requests due beyond it are skipped, not queued. */
  readonly maxInFlight: number;
  /**
   * With `standby: reject`: a 503 carrying `x-ringleader-leader` is sent again, once, to that
   * address (a client that follows the leader hint).
   */
  readonly followLeaderHeader?: boolean;
  readonly onOutcome: (o: Outcome) => void;
}

/** Wall-clock ms with sub-ms precision, monotonic within the process. */
export const now = (): number => performance.timeOrigin + performance.now();

const DOWN_FOR_MS = 1000;

export class LoadGenerator {
  readonly #o: LoadOptions;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly #downUntil = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #due = 0;
  #next = 0;
  #inFlight = 0;
  #seq = 0;
  #idle: (() => void) | undefined;

  constructor(opts: LoadOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#t0 = now();
    this.#timer = setInterval(() => this.#pump(), 5);
  }

  /** Stops sending; resolves when the requests in flight have ended (bounded by their deadline). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight > 0) {
      await new Promise<void>((r) => {
        this.#idle = r;
        setTimeout(r, this.#o.timeoutMs + 100).unref();
      });
    }
    this.#agent.destroy();
  }

  #pump(): void {
    const due = Math.floor(((now() - this.#t0) * this.#o.rate) / 1000);
    while (this.#due < due) {
      this.#due++;
      if (this.#inFlight >= this.#o.maxInFlight) continue; // overloaded: skip, never pile up
      this.#send(0);
    }
  }

  /** The next entry in round-robin order that is not marked down (any, if all are). */
  #pick(): LoadEntry | undefined {
    const entries = this.#o.entries;
    const t = now();
    for (let i = 0; i < entries.length; i++) {
      const e = entries[(this.#next + i) % entries.length]!;
      if ((this.#downUntil.get(e.id) ?? 0) <= t) {
        this.#next = (this.#next + i + 1) % entries.length;
        return e;
      }
    }
    const e = entries[this.#next % entries.length];
    this.#next = (this.#next + 1) % Math.max(entries.length, 1);
    return e;
  }

  #send(attempt: number, to?: LoadEntry): void {
    const entry = to ?? this.#pick();
    if (entry === undefined) return;
    if (attempt === 0) this.#inFlight++;
    const done = (o: Omit<Outcome, 'at'>) => {
      this.#o.onOutcome({ at: now(), ...o });
      this.#inFlight--;
      if (this.#inFlight === 0) this.#idle?.();
    };
    const req = get(`${entry.proxyUrl}/demo/${++this.#seq}`, {
      agent: this.#agent,
      timeout: this.#o.timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      // Nothing reached a node: a refused connect (the node is dead), or a kept-alive socket the
      // node closed just as this request was written on it (what Node's docs advise to retry).
      const refused = code === 'ECONNREFUSED';
      const staleSocket = code === 'ECONNRESET' && req.reusedSocket;
      if (refused) this.#downUntil.set(entry.id, now() + DOWN_FOR_MS);
      if ((refused || staleSocket) && attempt + 1 < this.#o.entries.length && this.#timer !== undefined) {
        this.#send(attempt + 1);
        return;
      }
      done({ ok: false, error: code });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 65536) body += c;
      });
      res.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, error: err.code ?? err.message }));
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try {
          json = JSON.parse(body) as Record<string, unknown>;
        } catch {
          // not JSON: the status says enough
        }
        const status = res.statusCode ?? 0;
        const hint = res.headers['x-ringleader-leader'];
        if (status === 503 && this.#o.followLeaderHeader && typeof hint === 'string' && to === undefined) {
          const known = this.#o.entries.find((e) => e.proxyUrl === hint);
          this.#send(attempt + 1, known ?? { id: hint, proxyUrl: hint });
          return;
        }
        // A node that proxied nothing (starting, or no leader known yet) is skipped for this
        // request, as a balancer checking its nodes would; all of them refusing is a failure.
        const notLeader = status === 503 && json.code === 'RL_NOT_LEADER';
        if (
          notLeader &&
          to === undefined &&
          attempt + 1 < this.#o.entries.length &&
          this.#timer !== undefined
        ) {
          this.#send(attempt + 1);
          return;
        }
        if (status >= 200 && status < 300) {
          const h = (json.headers ?? {}) as Record<string, string | undefined>;
          const epoch = h['x-ringleader-epoch'] === undefined ? undefined : Number(h['x-ringleader-epoch']);
          done({
            ok: true,
            ...(typeof json.backend === 'string' ? { backend: json.backend } : {}),
            ...(h['x-ringleader-node'] === undefined ? {} : { node: h['x-ringleader-node'] }),
            ...(epoch === undefined || Number.isNaN(epoch) ? {} : { epoch }),
          });
        } else {
          const code = typeof json.code === 'string' ? ` ${json.code}` : '';
          done({ ok: false, error: `${status}${code}` });
        }
      });
    });
  }
}
