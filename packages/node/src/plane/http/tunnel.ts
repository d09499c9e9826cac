// Websocket (and any `Connection: upgrade`) proxying as a byte tunnel: pick a backend, connect,
// replay the request head with rewritten headers, then pipe both ways. The backend's 101 (or
// its refusal) reaches the client untouched, so subprotocols, extensions and close codes are
// end-to-end. @fastify/http-proxy's own websocket support terminates the websocket at the proxy
// and re-opens one upstream (frames re-encoded, headers mostly dropped, no failover), so it is
// not used.
import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorBody } from '../../errors.js';
import type { UpstreamErrorKind } from '../../seam.js';
import { definedHeaders, type HeaderBag } from './headers.js';
import { writeRawResponse } from './raw.js';
import { classifyUpstreamError } from './retry.js';

export interface TunnelTarget {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** What the data plane decides for one upgrade request; the tunnel only moves bytes. */
export interface TunnelPlan {
  /** The next target to try, or undefined when none is left (the plan answers the client). */
  next(): TunnelTarget | undefined;
  /** Request headers already rewritten (hop-by-hop stripped); the tunnel re-adds the upgrade pair. */
  readonly headers: HeaderBag;
  /**
   * Asked once the upstream is connected, right before the request head is written: false when
   * the serving permit the upgrade was admitted under is void (the tunnel then answers 503).
   */
  permitted?(): boolean;
  /** A connect attempt failed; returns true to try `next()` again. */
  failed(target: TunnelTarget, kind: UpstreamErrorKind, err: Error): boolean;
  /** Answers the client when no target is left or retries are spent. */
  giveUp(socket: Duplex, kind: UpstreamErrorKind | undefined): void;
  opened(target: TunnelTarget): void;
  /**
   * The tunnel ended; `firstByteMs` is the time to the backend's first response byte and
   * `status` the status of its response head (101 when the upgrade was accepted), if any.
   */
  closed(target: TunnelTarget, firstByteMs: number | undefined, status: number | undefined): void;
}

export interface TunnelSettings {
  readonly connectMs: number;
  readonly now: () => number;
}

/** Serialises the request head for the upstream connection. */
export function upgradeHead(req: IncomingMessage, headers: HeaderBag): string {
  let head = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  for (const [name, value] of definedHeaders(headers)) {
    if (Array.isArray(value)) for (const v of value) head += `${name}: ${v}\r\n`;
    else head += `${name}: ${value}\r\n`;
  }
  head += `connection: upgrade\r\nupgrade: ${String(req.headers.upgrade ?? 'websocket')}\r\n\r\n`;
  return head;
}

/** Live tunnels, so a drain can wait for them and a deadline can cut them. */
export class Tunnels {
  readonly #open = new Set<Duplex>();

  get size(): number {
    return this.#open.size;
  }

  track(a: Duplex, b: Duplex): void {
    this.#open.add(a);
    a.once('close', () => this.#open.delete(a));
    b.once('close', () => a.destroy());
    a.once('close', () => b.destroy());
  }

  destroyAll(): void {
    for (const s of this.#open) s.destroy();
    this.#open.clear();
  }
}

export function openTunnel(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  plan: TunnelPlan,
  settings: TunnelSettings,
  tunnels: Tunnels,
): void {
  // Until the upstream is connected the client may close; then nothing more is attempted.
  let clientGone = false;
  const onClientClose = () => {
    clientGone = true;
  };
  client.once('close', onClientClose);
  client.on('error', () => client.destroy());

  const tryNext = (lastKind: UpstreamErrorKind | undefined): void => {
    if (clientGone) return;
    const target = plan.next();
    if (target === undefined) {
      plan.giveUp(client, lastKind);
      return;
    }
    const upstream: Socket = connect({ host: target.host, port: target.port, noDelay: true });
    const timer = setTimeout(() => {
      upstream.destroy(
        Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT', syscall: 'connect' }),
      );
    }, settings.connectMs);
    const onConnectError = (err: Error) => {
      clearTimeout(timer);
      const kind = classifyUpstreamError(err);
      if (plan.failed(target, kind, err)) tryNext(kind);
      else plan.giveUp(client, kind);
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      clearTimeout(timer);
      upstream.off('error', onConnectError);
      if (clientGone) {
        upstream.destroy();
        return;
      }
      if (plan.permitted !== undefined && !plan.permitted()) {
        upstream.destroy();
        writeRawResponse(
          client,
          503,
          errorBody('RL_NOT_LEADER', 'the serving permit was void before the upgrade was sent'),
          { 'retry-after': '1' },
        );
        return;
      }
      client.off('close', onClientClose);
      const started = settings.now();
      let firstByteMs: number | undefined;
      let status: number | undefined;
      upstream.once('data', (chunk: Buffer) => {
        firstByteMs = settings.now() - started;
        status = statusOf(chunk);
      });
      upstream.on('error', () => upstream.destroy());
      upstream.once('close', () => plan.closed(target, firstByteMs, status));
      plan.opened(target);
      upstream.write(upgradeHead(req, plan.headers));
      if (head.length > 0) upstream.write(head);
      tunnels.track(client, upstream);
      upstream.pipe(client);
      client.pipe(upstream);
    });
  };
  tryNext(undefined);
}

/** The status code of a response head starting in `chunk` (`HTTP/1.1 101 ...`), if readable. */
export function statusOf(chunk: Buffer): number | undefined {
  if (chunk.length < 12 || chunk.toString('latin1', 0, 5) !== 'HTTP/') return undefined;
  const code = Number(chunk.toString('latin1', 9, 12));
  return Number.isInteger(code) && code >= 100 && code <= 599 ? code : undefined;
}
