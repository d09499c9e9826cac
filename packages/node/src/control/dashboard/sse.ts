// Server-sent events for the dashboard: a bounded set of clients, one frame built per push and
// written to all of them, pushes throttled (at most one per `minIntervalMs`), a periodic push
// so charts move, and comment-line heartbeats so proxies and the browser keep the stream open.
// A slow client is skipped (never buffered without bound) until its socket drains; timers run
// only while someone listens.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseHubOptions {
  /** Builds the frame's JSON (called once per push, however many clients). */
  readonly build: () => string;
  /** The SSE event name of frames (default `cluster`). */
  readonly event?: string;
  readonly maxClients?: number;
  /** Minimum gap between pushes (default 250 ms: at most 4 frames/s). */
  readonly minIntervalMs?: number;
  /** A push at least this often while clients are connected (default 1000 ms). */
  readonly periodicMs?: number;
  readonly heartbeatMs?: number;
  /** Told when the first client arrives (true) and the last one leaves (false). */
  readonly onActive?: (active: boolean) => void;
  readonly onError?: (err: unknown) => void;
}

interface Client {
  readonly res: ServerResponse;
  blocked: boolean;
}

export class SseHub {
  readonly #o: SseHubOptions;
  readonly #clients = new Set<Client>();
  readonly #event: string;
  readonly #max: number;
  readonly #minMs: number;
  #lastPush = 0;
  #pending: NodeJS.Timeout | undefined;
  #periodic: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #frames = 0;

  constructor(o: SseHubOptions) {
    this.#o = o;
    this.#event = o.event ?? 'cluster';
    this.#max = o.maxClients ?? 64;
    this.#minMs = o.minIntervalMs ?? 250;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Frames pushed so far (to all clients at once). */
  get frames(): number {
    return this.#frames;
  }

  get full(): boolean {
    return this.#clients.size >= this.#max;
  }

  /**
   * Takes over a response (the caller has hijacked it from the framework): writes the SSE
   * headers and a first frame, and keeps it until the client goes away. False when full.
   */
  accept(req: IncomingMessage, res: ServerResponse, headers: Record<string, string> = {}): boolean {
    if (this.full) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true, 30_000);
    const client: Client = { res, blocked: false };
    this.#clients.add(client);
    const drop = () => {
      if (!this.#clients.delete(client)) return;
      if (this.#clients.size === 0) this.#idle();
    };
    res.on('close', drop);
    res.on('error', drop);
    res.on('drain', () => {
      client.blocked = false;
    });
    // The browser retries the same node after 2 s by itself; the page moves to another node.
    res.write('retry: 2000\n\n');
    this.#write(client, this.#frame());
    if (this.#clients.size === 1) this.#busy();
    return true;
  }

  /** Pushes a frame soon: at once if none went out in the last minIntervalMs, else then. */
  schedule(): void {
    if (this.#clients.size === 0 || this.#pending !== undefined) return;
    const wait = Math.max(0, this.#lastPush + this.#minMs - Date.now());
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.#push();
    }, wait);
  }

  /** Ends every stream (before the admin server closes, which would otherwise wait on them). */
  closeAll(): void {
    for (const c of [...this.#clients]) c.res.end();
    this.#clients.clear();
    this.#idle();
  }

  #frame(): string {
    let json: string;
    try {
      json = this.#o.build();
    } catch (err) {
      this.#o.onError?.(err);
      json = JSON.stringify({ type: 'error', message: (err as Error).message });
    }
    return `event: ${this.#event}\ndata: ${json}\n\n`;
  }

  #push(): void {
    if (this.#clients.size === 0) return;
    this.#lastPush = Date.now();
    this.#frames++;
    const frame = this.#frame();
    for (const c of this.#clients) if (!c.blocked) this.#write(c, frame);
  }

  #write(c: Client, chunk: string): void {
    if (c.res.writableEnded || c.res.destroyed) return;
    if (!c.res.write(chunk)) c.blocked = true;
  }

  #busy(): void {
    this.#o.onActive?.(true);
    this.#periodic = setInterval(() => this.schedule(), this.#o.periodicMs ?? 1000);
    this.#heartbeat = setInterval(() => {
      for (const c of this.#clients) if (!c.blocked) this.#write(c, ': heartbeat\n\n');
    }, this.#o.heartbeatMs ?? 15_000);
    this.#periodic.unref();
    this.#heartbeat.unref();
  }

  #idle(): void {
    clearInterval(this.#periodic);
    clearInterval(this.#heartbeat);
    clearTimeout(this.#pending);
    this.#periodic = undefined;
    this.#heartbeat = undefined;
    this.#pending = undefined;
    this.#o.onActive?.(false);
  }
}
