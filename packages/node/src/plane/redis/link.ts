// One connection from this node to a Redis backend, shared by many client connections: commands
// from every client are written in the order they arrive and Redis answers a connection's
// commands in order, so the replies are matched first-in first-out (twemproxy's and Envoy's
// model). A link is `connecting`, `ready`, `broken` (after a failure, until retryAt: commands
// then fail at once, never hang) or `closed`. A command with no answer within commandMs fails
// every command in flight on the link and resets it: with ordered replies nothing later can be
// matched once one answer is missing.
import { connect, type Socket } from 'node:net';
import { RespProtocolError, RespReplyReader, resp } from '@ringleader/core';
import { Fifo } from './fifo.js';

export type LinkPhase = 'connecting' | 'ready' | 'broken' | 'closed';

export interface LinkFailure {
  readonly kind: 'backend_down' | 'timeout';
  readonly message: string;
}

/** Called once per command: with the backend's reply, or with why there is none. */
export type LinkDone = (reply: Buffer | undefined, failure: LinkFailure | undefined) => void;

export interface LinkAuth {
  readonly username?: string | undefined;
  readonly password: string;
}

export interface LinkOptions {
  /** For messages: the backend's id. */
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly connectMs: number;
  readonly commandMs: number;
  readonly auth?: LinkAuth | undefined;
  /** Monotonic ms. */
  readonly now: () => number;
  /** Connect outcomes and timeouts, for passive ejection. */
  readonly onOutcome: (ok: boolean) => void;
}

interface Pending {
  /** Replies still expected (a MULTI..EXEC batch expects one per command; the last is kept). */
  count: number;
  readonly done: LinkDone;
  readonly sentAt: number;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2000;

export class BackendLink {
  readonly #o: LinkOptions;
  #phase: LinkPhase = 'broken';
  #socket: Socket | undefined;
  #reader = new RespReplyReader();
  readonly #pending = new Fifo<Pending>();
  #out: Buffer[] = [];
  #flushQueued = false;
  #authPending = false;
  #retryAt = 0;
  #backoff = FIRST_RETRY_MS;
  #lastError = '';

  constructor(o: LinkOptions) {
    this.#o = o;
  }

  get phase(): LinkPhase {
    return this.#phase;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends one command's bytes (or a batch expecting `count` replies, the last one handed on). */
  send(bytes: Buffer | readonly Buffer[], count: number, done: LinkDone) {
    const now = this.#o.now();
    if (this.#phase === 'closed') return done(undefined, this.#failure('backend_down', 'link closed'));
    if (this.#phase === 'broken') {
      if (now < this.#retryAt) return done(undefined, this.#failure('backend_down', this.#lastError));
      this.#connect();
    }
    this.#pending.push({ count, done, sentAt: now });
    if (Buffer.isBuffer(bytes)) this.#out.push(bytes);
    else for (const b of bytes) this.#out.push(b);
    if (this.#phase === 'ready' && !this.#flushQueued) {
      this.#flushQueued = true;
      // Every command parsed from one client read (and from every client served in this turn)
      // leaves in one corked write.
      queueMicrotask(this.#flush);
    }
  }

  /** Fails the link when its oldest command has waited longer than commandMs. */
  tick(now: number): void {
    const head = this.#pending.peek();
    if (head !== undefined && now - head.sentAt > this.#o.commandMs) {
      this.#o.onOutcome(false);
      this.#fail('timeout', `no answer within ${this.#o.commandMs} ms (timeouts.commandMs)`);
    }
  }

  close(): void {
    this.#phase = 'closed';
    this.#socket?.destroy();
    this.#socket = undefined;
    const f = this.#failure('backend_down', 'link closed');
    this.#pending.drain((p) => p.done(undefined, f));
    this.#out = [];
  }

  #failure(kind: LinkFailure['kind'], why: string): LinkFailure {
    const o = this.#o;
    return {
      kind,
      message: `backend ${o.id} (${o.host}:${o.port}) ${kind === 'timeout' ? 'timed out' : 'is unavailable'}: ${why}`,
    };
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    const s = this.#socket;
    if (s === undefined || this.#phase !== 'ready' || this.#out.length === 0) return;
    const out = this.#out;
    this.#out = [];
    if (out.length === 1) s.write(out[0] as Buffer);
    else {
      s.cork();
      for (const b of out) s.write(b);
      s.uncork();
    }
  };

  #connect(): void {
    this.#phase = 'connecting';
    this.#reader = new RespReplyReader();
    const o = this.#o;
    const s = connect({ host: o.host, port: o.port });
    this.#socket = s;
    s.setNoDelay(true);
    const timer = setTimeout(() => {
      if (this.#socket === s) this.#broken(`connect timed out after ${o.connectMs} ms`);
    }, o.connectMs);
    s.once('connect', () => {
      clearTimeout(timer);
      if (this.#socket !== s) return;
      s.setKeepAlive(true, 30_000);
      this.#phase = 'ready';
      this.#backoff = FIRST_RETRY_MS;
      if (o.auth !== undefined) {
        // AUTH goes first on the wire, so its reply is the first one read.
        this.#authPending = true;
        const args =
          o.auth.username !== undefined
            ? ['AUTH', o.auth.username, o.auth.password]
            : ['AUTH', o.auth.password];
        s.write(resp.command(args));
      } else o.onOutcome(true);
      this.#flush();
    });
    s.on('data', (chunk: Buffer) => this.#onData(s, chunk));
    s.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (this.#socket === s) this.#broken(`${err.code ?? 'error'} ${err.message}`);
    });
    s.on('close', () => {
      clearTimeout(timer);
      if (this.#socket === s) this.#broken('the backend closed the connection');
    });
  }

  #onData(s: Socket, chunk: Buffer): void {
    if (this.#socket !== s) return;
    const reader = this.#reader;
    reader.push(chunk);
    try {
      for (let r = reader.next(); r !== null; r = reader.next()) {
        if (this.#authPending) {
          this.#authPending = false;
          if (r[0] === 0x2d /* - */) {
            this.#broken(`AUTH refused: ${r.toString('latin1', 1, Math.min(r.length, 200)).trim()}`);
            return;
          }
          this.#o.onOutcome(true);
          continue;
        }
        const p = this.#pending.peek();
        if (p === undefined) {
          this.#broken('an answer arrived for no command (push messages are not supported)');
          return;
        }
        if (--p.count > 0) continue;
        this.#pending.shift();
        p.done(r, undefined);
        if (this.#socket !== s) return; // a completion closed the link
      }
    } catch (err) {
      if (!(err instanceof RespProtocolError)) throw err;
      this.#broken(`malformed RESP from the backend: ${err.message}`);
    }
  }

  /** A connect failure, an error, a close or a protocol fault: back off, fail what is in flight. */
  #broken(why: string): void {
    const connecting = this.#phase === 'connecting' || this.#authPending;
    if (connecting) this.#o.onOutcome(false);
    // An idle link the backend closed (its `timeout` setting, a restart) reconnects on the next
    // command at once; a failed connect or a link that dropped commands backs off.
    this.#fail('backend_down', why, connecting || this.#pending.size > 0);
  }

  #fail(kind: LinkFailure['kind'], why: string, backOff = true): void {
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#authPending = false;
    this.#phase = 'broken';
    this.#lastError = why;
    if (backOff) {
      this.#retryAt = this.#o.now() + this.#backoff;
      this.#backoff = Math.min(MAX_RETRY_MS, this.#backoff * 2);
    } else this.#retryAt = 0;
    this.#out = [];
    const f = this.#failure(kind, why);
    this.#pending.drain((p) => p.done(undefined, f));
  }
}
