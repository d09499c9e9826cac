// The demo's Redis and PostgreSQL traffic: one raw TCP connection per tier to a node's service
// host, a command every interval (SET+GET, or SELECT 1), and on any failure a reconnect —
// the host that last answered first, then the other nodes' — as a client library with a list
// of seed addresses would do. Every command's outcome goes to a TrafficMeter (node = the node
// whose service host answered), so the failover of each tier is measured like the HTTP one.
// The protocol steps are pure (tested without servers); TierClient is the I/O around them.
import { connect, type Socket } from 'node:net';
import { decodeReply, RespProtocolError, RespReplyReader, type RespValue, resp } from '@ringleader/core';
import { now } from './demo-load.js';
import type { Outcome } from './demo-traffic.js';
import {
  parsePgMessages,
  pgAuthCode,
  pgErrorText,
  pgFirstColumn,
  pgQuery,
  pgStartup,
  pgTerminate,
  WireError,
} from './demo-wire.js';

/** What the bytes received so far say: wait for more, or the exchange is over (ok or not). */
export type Step =
  | { readonly kind: 'more' }
  | { readonly kind: 'ok' }
  | { readonly kind: 'fail'; readonly error: string };

export interface TierProtocol {
  /** Sent right after connecting; undefined: nothing (then the connection is ready at once). */
  readonly hello?: Buffer;
  helloStep(buf: Buffer): Step;
  request(seq: number): Buffer;
  replyStep(buf: Buffer, seq: number): Step;
  readonly bye?: Buffer;
}

const MORE: Step = { kind: 'more' };
const OK: Step = { kind: 'ok' };
const fail = (error: string): Step => ({ kind: 'fail', error });

function guarded(f: () => Step): Step {
  try {
    return f();
  } catch (err) {
    if (err instanceof WireError || err instanceof RespProtocolError) return fail(err.message);
    throw err;
  }
}

/** The complete replies at the front of `buf`, at most `n`. */
function replies(buf: Buffer, n: number): RespValue[] {
  const reader = new RespReplyReader();
  reader.push(buf);
  const out: RespValue[] = [];
  for (let i = 0; i < n; i++) {
    const raw = reader.next();
    if (raw === null) break;
    out.push(decodeReply(raw));
  }
  return out;
}

/** The keys the demo writes: enough of them that the ring spreads them over every Redis. */
const DEMO_KEYS = 64;

/** SET demo:<n> <seq> then GET it back, pipelined: ok when the GET returns what was set. */
export const redisProtocol: TierProtocol = {
  helloStep: () => OK,
  request: (seq) =>
    Buffer.concat([
      resp.command(['SET', `demo:${seq % DEMO_KEYS}`, String(seq)]),
      resp.command(['GET', `demo:${seq % DEMO_KEYS}`]),
    ]),
  replyStep: (buf, seq) =>
    guarded(() => {
      const got = replies(buf, 2);
      const set = got[0];
      if (set?.type === 'error') return fail(set.value);
      const get = got[1];
      if (get === undefined) return MORE;
      if (get.type === 'error') return fail(get.value);
      const value = get.type === 'bulk' && get.value !== null ? get.value.toString() : null;
      if (value !== String(seq))
        return fail(`GET returned ${JSON.stringify(value)}, not the ${seq} just set`);
      return OK;
    }),
  bye: resp.command(['QUIT']),
};

/** Trust auth as user postgres; then `SELECT 1` must return a row of 1 before ReadyForQuery. */
export const pgProtocol: TierProtocol = {
  hello: pgStartup({ user: 'postgres', database: 'postgres', application_name: 'ringleader-demo' }),
  helloStep: (buf) =>
    guarded(() => {
      for (const m of parsePgMessages(buf).messages) {
        if (m.type === 'E') return fail(pgErrorText(m.body));
        if (m.type === 'R' && pgAuthCode(m.body) !== 0)
          return fail(`the server asks for authentication (code ${pgAuthCode(m.body)}); the demo uses trust`);
        if (m.type === 'Z') return OK;
      }
      return MORE;
    }),
  request: () => pgQuery('SELECT 1'),
  replyStep: (buf) =>
    guarded(() => {
      let row: string | null | undefined;
      let error: string | undefined;
      for (const m of parsePgMessages(buf).messages) {
        if (m.type === 'E') error = pgErrorText(m.body);
        if (m.type === 'D') row = pgFirstColumn(m.body);
        if (m.type === 'Z') {
          if (error !== undefined) return fail(error);
          return row === '1' ? OK : fail(`SELECT 1 returned ${JSON.stringify(row ?? null)}`);
        }
      }
      return MORE;
    }),
  bye: pgTerminate(),
};

export interface TierTarget {
  /** The node whose service host this is. */
  readonly node: string;
  readonly host: string;
}

/** Hosts in the order to try: the one that answered last first, then the others as given. */
export function connectOrder(targets: readonly TierTarget[], lastGood: string | undefined): TierTarget[] {
  const first = targets.filter((t) => t.node === lastGood);
  return [...first, ...targets.filter((t) => t.node !== lastGood)];
}

/**
 * One failed command's cause from each node's answer, grouped so the per-second counts stay
 * readable: `lb-3 ECONNREFUSED / lb-1 lb-2 closed`. A reset is a close (the node dropped it).
 */
export function failureText(tried: ReadonlyArray<readonly [node: string, error: string]>): string {
  if (tried.length === 0) return 'stopped';
  const byError = new Map<string, string[]>();
  for (const [node, raw] of tried) {
    const error = raw === 'ECONNRESET' || raw === 'EPIPE' ? 'closed' : raw;
    const nodes = byError.get(error) ?? [];
    if (!nodes.includes(node)) nodes.push(node);
    byError.set(error, nodes);
  }
  return [...byError].map(([error, nodes]) => `${nodes.join(' ')} ${error}`).join(' / ');
}

export interface TierClientOptions {
  readonly port: number;
  readonly targets: readonly TierTarget[];
  readonly protocol: TierProtocol;
  readonly intervalMs: number;
  /** Deadline of a connect + hello, and of one command. */
  readonly timeoutMs: number;
  readonly onOutcome: (o: Outcome) => void;
}

class Conn {
  readonly sock: Socket;
  #buf = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  closed: string | undefined;

  constructor(sock: Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake?.();
    });
    const end = (why: string) => {
      this.closed ??= why;
      this.#wake?.();
    };
    sock.on('error', (err: NodeJS.ErrnoException) => end(err.code ?? err.message));
    sock.on('close', () => end('closed'));
  }

  /** Sends `out` (if any) and waits until `step` decides on the bytes that came after it. */
  async exchange(out: Buffer | undefined, step: (buf: Buffer) => Step, timeoutMs: number): Promise<Step> {
    this.#buf = Buffer.alloc(0);
    if (out !== undefined && this.closed === undefined) this.sock.write(out);
    const deadline = now() + timeoutMs;
    for (;;) {
      const s = step(this.#buf);
      if (s.kind !== 'more') return s;
      if (this.closed !== undefined) return fail(this.closed);
      const left = deadline - now();
      if (left <= 0) return fail('timeout');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.#wake = undefined;
    }
  }
}

function open(host: string, port: number, timeoutMs: number): Promise<Conn | string> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.setNoDelay(true);
    const t = setTimeout(() => {
      sock.destroy();
      resolve('connect timeout');
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(t);
      resolve(new Conn(sock));
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(t);
      sock.destroy();
      resolve(err.code ?? err.message);
    });
  });
}

export class TierClient {
  readonly #o: TierClientOptions;
  #conn: { conn: Conn; node: string } | undefined;
  #lastGood: string | undefined;
  #seq = 0;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;

  constructor(opts: TierClientOptions) {
    this.#o = opts;
  }

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sleep) {
      clearTimeout(this.#sleep.timer);
      this.#sleep.wake();
    }
    await this.#loop;
    const c = this.#conn?.conn;
    if (c && c.closed === undefined && this.#o.protocol.bye) c.sock.end(this.#o.protocol.bye);
    c?.sock.destroy();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const started = now();
      const o = await this.#once();
      if (this.#stopped) break;
      this.#o.onOutcome({ at: now(), ...o });
      const wait = Math.max(0, started + this.#o.intervalMs - now());
      await new Promise<void>((r) => {
        this.#sleep = { timer: setTimeout(r, wait), wake: r };
      });
    }
  }

  /** One command: on the open connection, else (or if it fails) on each host in connect order. */
  async #once(): Promise<Omit<Outcome, 'at'>> {
    const seq = ++this.#seq;
    const { protocol: p, timeoutMs } = this.#o;
    const run = (c: Conn) => c.exchange(p.request(seq), (b) => p.replyStep(b, seq), timeoutMs);
    const tried: Array<[string, string]> = [];
    if (this.#conn) {
      const s = await run(this.#conn.conn);
      if (s.kind === 'ok') return { ok: true, node: this.#conn.node };
      if (s.kind === 'fail') tried.push([this.#conn.node, s.error]);
      this.#conn.conn.sock.destroy();
      this.#conn = undefined;
    }
    for (const t of connectOrder(this.#o.targets, this.#lastGood)) {
      if (this.#stopped) break;
      const c = await open(t.host, this.#o.port, timeoutMs);
      if (typeof c === 'string') {
        tried.push([t.node, c]);
        continue;
      }
      const hello = await c.exchange(p.hello, (b) => p.helloStep(b), timeoutMs);
      const s = hello.kind === 'ok' ? await run(c) : hello;
      if (s.kind === 'ok') {
        this.#conn = { conn: c, node: t.node };
        this.#lastGood = t.node;
        return { ok: true, node: t.node };
      }
      if (s.kind === 'fail') tried.push([t.node, s.error]);
      c.sock.destroy();
    }
    return { ok: false, error: failureText(tried) };
  }
}
