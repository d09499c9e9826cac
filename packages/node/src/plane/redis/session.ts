// One client connection of a `redis` service: commands parsed as they stream in (core's
// RespCommandParser, bounded), each routed by its key through the service's ring to the owner's
// shared link, answers written back strictly in the order the commands came, however the
// backends interleave. Pipelining is end to end: a client may have up to maxPipeline commands
// in flight; past that, or while its socket will not take more output, the session stops
// reading it (the bytes wait in the kernel, not here), so a client that writes 100k commands
// and reads nothing holds a bounded amount of this node's memory.
import type { Socket } from 'node:net';
import {
  type Backend,
  type CommandRoute,
  hashTag,
  type LocalState,
  localReply,
  mergeSplit,
  planSplit,
  type RespCommand,
  RespCommandParser,
  RespProtocolError,
  type RoutingSnapshot,
  resp,
  routeCommand,
  xxh32Bytes,
} from '@ringleader/core';
import type { RedisErrorKind, RedisPlaneMetrics, ServingPermit } from '../../seam.js';
import { Fifo } from './fifo.js';
import type { BackendLink, LinkFailure } from './link.js';

/** One answer owed to the client, in command order. */
interface Slot {
  reply: Buffer | undefined;
  /** End the connection once this answer is written (QUIT, a protocol error, fencing). */
  close?: boolean;
}

export interface SessionContext {
  readonly service: string;
  readonly nodeId: string;
  readonly maxPipeline: number;
  snapshot(): RoutingSnapshot;
  /** The shared link to `backend` this session uses (one per session and backend: order holds). */
  link(backend: Backend, session: number): BackendLink;
  relayValid(permit: ServingPermit): boolean;
  readonly metrics: RedisPlaneMetrics;
  readonly counters: { commands: number; errors: number; protocolErrors: number; fenced: number };
  now(): number;
}

interface Picker {
  pickHash(hash: number): Backend | undefined;
}

const EXEC_ABORT_CROSS = resp.error(
  "EXECABORT Transaction discarded: its keys live on different backends (keep a transaction's keys under one hash tag, e.g. {user:1})",
);
const EXEC_ABORT = resp.error('EXECABORT Transaction discarded because of previous errors.');
const WATCH_REFUSED = resp.error(
  'ERR ringleader: WATCH is not supported (backend connections are shared between clients)',
);
const QUEUED = resp.simple('QUEUED');
const EMPTY_ARRAY = resp.array([]);
const NO_OWNER = Symbol('no owner');
const CROSS = Symbol('cross');

export class RedisSession {
  readonly #client: Socket;
  readonly #permit: ServingPermit;
  readonly #ctx: SessionContext;
  readonly #seq: number;
  readonly #parser = new RespCommandParser();
  readonly #slots = new Fifo<Slot>();
  readonly #local: LocalState = { clientName: null, db: 0 };
  #paused = false;
  #closing = false;
  #flushQueued = false;
  #multi: RespCommand[] | undefined;
  #multiDirty = false;
  lastActivity: number;

  constructor(client: Socket, permit: ServingPermit, ctx: SessionContext, seq: number) {
    this.#client = client;
    this.#permit = permit;
    this.#ctx = ctx;
    this.#seq = seq;
    this.lastActivity = ctx.now();
    client.on('data', (chunk: Buffer) => {
      this.lastActivity = this.#ctx.now();
      this.#parser.push(chunk);
      this.#pump();
    });
    client.on('drain', () => this.#maybeResume());
  }

  get pending(): number {
    return this.#slots.size;
  }

  permitHolds(): boolean {
    return this.#ctx.relayValid(this.#permit);
  }

  /** Ends an idle connection (idle timeout, shutdown). */
  close(): void {
    this.#closing = true;
    this.#client.end();
  }

  /** The permit lapsed: answer nothing more from a backend, say why, and close. */
  fence(): void {
    if (this.#closing) return;
    this.#ctx.counters.fenced++;
    this.#ctx.metrics.error('_none', 'fenced');
    this.#push(
      resp.error(`ERR ringleader: ${this.#ctx.nodeId} stopped serving (its leadership ended); reconnect`),
      true,
    );
  }

  #pump() {
    if (this.#closing) return;
    if (!this.#ctx.relayValid(this.#permit)) return this.fence();
    const snap = this.#ctx.snapshot();
    const max = this.#ctx.maxPipeline;
    while (!this.#closing && this.#slots.size < max && !this.#client.writableNeedDrain) {
      let cmd: RespCommand | null;
      try {
        cmd = this.#parser.next();
      } catch (err) {
        if (!(err instanceof RespProtocolError)) throw err;
        this.#ctx.counters.protocolErrors++;
        this.#error('_none', 'protocol');
        this.#push(resp.error(err.replyText), true);
        break;
      }
      if (cmd === null) break;
      this.#ctx.counters.commands++;
      this.#handle(cmd, snap);
    }
    if (!this.#closing && !this.#paused && (this.#slots.size >= max || this.#client.writableNeedDrain)) {
      this.#paused = true;
      this.#client.pause();
    }
    this.#scheduleFlush();
  }

  #handle(cmd: RespCommand, snap: RoutingSnapshot) {
    const route = routeCommand(cmd.args);
    if (this.#multi !== undefined && route.kind !== 'transaction') return this.#queue(cmd, route);
    switch (route.kind) {
      case 'keyed': {
        const owner = this.#ownerOfAll(route.keys, snap);
        if (owner === NO_OWNER) return this.#noOwner();
        if (owner === CROSS) return this.#refuse(crossReply(route.name));
        return this.#forward(owner, cmd.raw, 1, this.#slot());
      }
      case 'split':
        return this.#split(cmd, route.merge, route.step, snap);
      case 'local': {
        const r = localReply(cmd.args, this.#local);
        return this.#push(r.reply, r.close);
      }
      case 'refused':
        return this.#refuse(route.reply);
      case 'transaction':
        return this.#transaction(cmd, route.name, snap);
    }
  }

  #split(cmd: RespCommand, merge: 'array' | 'ok' | 'sum', step: 1 | 2, snap: RoutingSnapshot) {
    const keys: Buffer[] = [];
    for (let i = 1; i < cmd.args.length; i += step) keys.push(cmd.args[i] as Buffer);
    const owner = this.#ownerOfAll(keys, snap);
    if (owner === NO_OWNER) return this.#noOwner();
    // All keys on one backend: the command goes as it came.
    if (owner !== CROSS) return this.#forward(owner, cmd.raw, 1, this.#slot());
    const backends: Backend[] = [];
    const index = new Map<Backend, number>();
    let missing = false;
    const parts = planSplit(cmd.args, step, (key) => {
      const b = pick(snap, key);
      if (b === undefined) {
        missing = true;
        return -1;
      }
      let i = index.get(b);
      if (i === undefined) {
        i = backends.push(b) - 1;
        index.set(b, i);
      }
      return i;
    });
    if (missing) return this.#noOwner();
    const slot = this.#slot();
    const replies = new Array<Buffer>(parts.length);
    let remaining = parts.length;
    let failed: Buffer | undefined;
    parts.forEach((part, n) => {
      const sub: Slot = { reply: undefined };
      const b = backends[part.owner] as Backend;
      this.#send(b, resp.command(part.args), 1, sub, () => {
        replies[n] = sub.reply as Buffer;
        if (sub.reply?.[0] === 0x2d && failed === undefined) failed = sub.reply;
        if (--remaining > 0) return false;
        slot.reply = failed ?? mergeSplit(merge, keys.length, parts, replies);
        return true;
      });
    });
  }

  #transaction(cmd: RespCommand, name: string, snap: RoutingSnapshot) {
    switch (name) {
      case 'MULTI':
        if (this.#multi !== undefined) return this.#refuse(resp.error('ERR MULTI calls can not be nested'));
        this.#multi = [];
        this.#multiDirty = false;
        return this.#push(resp.simple('OK'));
      case 'DISCARD':
        if (this.#multi === undefined) return this.#refuse(resp.error('ERR DISCARD without MULTI'));
        this.#multi = undefined;
        return this.#push(resp.simple('OK'));
      case 'EXEC': {
        const queued = this.#multi;
        this.#multi = undefined;
        if (queued === undefined) return this.#refuse(resp.error('ERR EXEC without MULTI'));
        if (this.#multiDirty) return this.#refuse(EXEC_ABORT);
        if (queued.length === 0) return this.#push(EMPTY_ARRAY);
        const keys: Buffer[] = [];
        for (const c of queued) keys.push(...keysOf(routeCommand(c.args), c.args));
        const owner = this.#ownerOfAll(keys, snap);
        if (owner === NO_OWNER) return this.#noOwner();
        if (owner === CROSS) return this.#refuse(EXEC_ABORT_CROSS);
        // MULTI, the commands and EXEC leave in one write, so no other client's command on the
        // shared link can fall inside the transaction; the answer is EXEC's.
        const batch = [resp.command(['MULTI']), ...queued.map((c) => c.raw), cmd.raw];
        return this.#forward(owner, batch, batch.length, this.#slot());
      }
      case 'UNWATCH':
        return this.#push(resp.simple('OK'));
      default:
        return this.#refuse(WATCH_REFUSED);
    }
  }

  /** Inside MULTI: keyed commands are queued (routed at EXEC); anything else spoils it. */
  #queue(cmd: RespCommand, route: CommandRoute) {
    if (route.kind === 'keyed' || route.kind === 'split') {
      (this.#multi as RespCommand[]).push(cmd);
      return this.#push(QUEUED);
    }
    this.#multiDirty = true;
    if (route.kind === 'refused') return this.#refuse(route.reply);
    return this.#refuse(resp.error(`ERR ringleader: ${route.name} cannot be used inside MULTI here`));
  }

  #ownerOfAll(keys: readonly Buffer[], snap: RoutingSnapshot): Backend | typeof NO_OWNER | typeof CROSS {
    let owner: Backend | undefined;
    for (const k of keys) {
      const b = pick(snap, k);
      if (b === undefined) return NO_OWNER;
      if (owner === undefined) owner = b;
      else if (b !== owner) return CROSS;
    }
    return owner ?? NO_OWNER;
  }

  #forward(b: Backend, bytes: Buffer | readonly Buffer[], count: number, slot: Slot): void {
    this.#send(b, bytes, count, slot, () => true);
  }

  /** `settle` returns true when the answer owed to the client is complete. */
  #send(
    b: Backend,
    bytes: Buffer | readonly Buffer[],
    count: number,
    slot: Slot,
    settle: () => boolean,
  ): void {
    const t0 = this.#ctx.now();
    this.#ctx.link(b, this.#seq).send(bytes, count, (reply, failure) => {
      if (failure !== undefined) {
        slot.reply = failureReply(failure);
        this.#error(b.id, failure.kind);
      } else {
        slot.reply = reply;
        this.#ctx.metrics.command(b.id, (this.#ctx.now() - t0) / 1000);
        if (reply?.[0] === 0x2d) this.#ctx.metrics.error(b.id, 'reply_error');
      }
      if (settle()) this.#scheduleFlush();
    });
  }

  #noOwner(): void {
    this.#error('_none', 'no_backend');
    this.#push(resp.error(`ERR ringleader: service ${this.#ctx.service} has no backend up for this key`));
  }

  #refuse(reply: Buffer): void {
    this.#error('_none', 'refused');
    this.#push(reply);
  }

  #error(backend: string, kind: RedisErrorKind): void {
    this.#ctx.counters.errors++;
    this.#ctx.metrics.error(backend, kind);
  }

  #slot(): Slot {
    const s: Slot = { reply: undefined };
    this.#slots.push(s);
    return s;
  }

  #push(reply: Buffer, close = false): void {
    this.#slots.push(close ? { reply, close } : { reply });
    if (close) this.#closing = true;
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    const c = this.#client;
    if (c.destroyed) return;
    let corked = false;
    let end = false;
    for (let h = this.#slots.peek(); h?.reply !== undefined; h = this.#slots.peek()) {
      if (!corked) {
        c.cork();
        corked = true;
      }
      c.write(h.reply);
      this.#slots.shift();
      if (h.close === true) {
        end = true;
        break;
      }
    }
    if (corked) c.uncork();
    if (end) {
      c.end();
      return;
    }
    this.#maybeResume();
  };

  #maybeResume(): void {
    if (!this.#paused || this.#closing) return;
    if (this.#slots.size > this.#ctx.maxPipeline / 2 || this.#client.writableNeedDrain) return;
    this.#paused = false;
    this.#client.resume();
    // Commands already buffered by the parser go before any new read.
    this.#pump();
  }
}

function pick(snap: RoutingSnapshot, key: Buffer): Backend | undefined {
  return (snap.policy as unknown as Picker).pickHash(xxh32Bytes(hashTag(key)));
}

function keysOf(route: CommandRoute, args: readonly Buffer[]): Buffer[] {
  if (route.kind === 'keyed') return route.keys;
  if (route.kind !== 'split') return [];
  const keys: Buffer[] = [];
  for (let i = 1; i < args.length; i += route.step) keys.push(args[i] as Buffer);
  return keys;
}

function crossReply(name: string): Buffer {
  return resp.error(
    `CROSSSLOT ringleader: the keys of ${name} live on different backends (put them under one hash tag, e.g. {user:1})`,
  );
}

function failureReply(f: LinkFailure): Buffer {
  return resp.error(`ERR ringleader: ${f.message}`);
}
