// Per-request state of the data plane. One object per request holds everything the engine's
// hooks need (it is also the IncomingLike the lazy facts read and the ForwardContext the
// header rewrite reads), so the request path allocates little beyond it.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Backend, RequestFacts, RoutingSnapshot } from '@ringleader/core';
import { LEADER_LABEL, NO_BACKEND_LABEL, type ServingPermit, type UpstreamErrorKind } from '../../seam.js';
import type { LeaderTarget } from '../admission.js';
import type { LazyBody } from './body.js';
import type { ForwardContext } from './headers.js';

/** The two fields of reply-from's per-request options the data plane sets per attempt. */
export interface ReplyFromOptions {
  getUpstream?: (request: never, base: string) => string;
  timeout?: number;
}

/**
 * What admission made of a request; its kind is the request's phase. Only `serve` has a
 * snapshot and facts to pick with, only `serve` and `forward` an epoch to stamp, so a request
 * cannot reach a backend unadmitted or unstamped.
 */
export type Route =
  | { readonly kind: 'arrived' }
  /** Waiting on a `hold` gate until `until` (performance.now ms). */
  | { readonly kind: 'held'; readonly until: number }
  | {
      readonly kind: 'serve';
      readonly permit: ServingPermit;
      readonly snap: RoutingSnapshot;
      readonly facts: RequestFacts;
    }
  | { readonly kind: 'forward'; readonly leader: LeaderTarget; readonly epoch: number; readonly via: string };

export const ARRIVED: Route = Object.freeze({ kind: 'arrived' });

export class Exchange implements ForwardContext {
  // --- IncomingLike (what requestFacts reads): the effective client, not necessarily the peer.
  remoteAddress: string;
  remotePort: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;

  // --- ForwardContext (what the header rewrite reads); fixed when the request arrives.
  xff: string;
  peerTrusted: boolean;
  proto: 'http' | 'https';
  host: string | undefined;
  nodeId: string;

  /** Set by admission and nothing else (see Route). */
  route: Route = ARRIVED;

  /** performance.now() at arrival. */
  readonly start: number;
  /** Backends already tried (and failed) for this request. */
  exclude: Set<string> | undefined = undefined;
  retriesDone = 0;
  /** The target forwarded upstream (validated by the engine's route). */
  dest = '/';
  /** reply-from engine: the per-request options copy made by @fastify/http-proxy (mutated per attempt). */
  options: ReplyFromOptions | undefined = undefined;

  /** The try in progress or the last one; undefined before the first (and after a refusal). */
  attempt: Attempt | undefined = undefined;
  /** What the last failed attempt failed with (for the 503 that names it). */
  lastKind: UpstreamErrorKind | undefined = undefined;
  hasBody = false;
  body: LazyBody | undefined = undefined;
  /** The response is over (sent or abandoned); late upstream callbacks change nothing. */
  done = false;

  constructor(
    raw: IncomingMessage,
    start: number,
    nodeId: string,
    proto: 'http' | 'https',
    clientIp: string,
    xff: string,
    peerTrusted: boolean,
  ) {
    this.start = start;
    this.remoteAddress = clientIp;
    this.remotePort = raw.socket.remotePort ?? 0;
    this.method = raw.method ?? 'GET';
    this.url = raw.url ?? '/';
    this.headers = raw.headers;
    this.xff = xff;
    this.peerTrusted = peerTrusted;
    this.proto = proto;
    this.host = raw.headers.host;
    this.nodeId = nodeId;
  }

  /** The hop chain sent on when forwarding (ForwardContext). */
  get via(): string | undefined {
    return this.route.kind === 'forward' ? this.route.via : undefined;
  }

  /**
   * The epoch the current attempt is stamped with: the request's permit when this node serves,
   * the leader's epoch on a forwarded hop; undefined before admission, and then the header
   * rewrite refuses to build a request (never unstamped).
   */
  get stamp(): number | undefined {
    const r = this.route;
    return r.kind === 'serve' ? r.permit.epoch : r.kind === 'forward' ? r.epoch : undefined;
  }

  get forwarding(): boolean {
    return this.route.kind === 'forward';
  }

  /** Metrics label of the request: its last attempt's target, or NO_BACKEND_LABEL. */
  get label(): string {
    return this.attempt?.label ?? NO_BACKEND_LABEL;
  }
}

/**
 * Where an attempt goes: a backend of the snapshot (load, health and per-backend figures are
 * settled for it), or the leader a standby forwards to (none are).
 */
export type AttemptTarget =
  | { readonly kind: 'backend'; readonly backend: Backend; readonly origin: string }
  | { readonly kind: 'leader'; readonly origin: string };

/**
 * The phase of one try: sent and waiting for response headers, streaming the upstream's
 * response, or over (settled: load.onEnd and in-flight figures done exactly once).
 */
export type AttemptPhase = 'awaiting-headers' | 'streaming' | 'ended';

/**
 * One try at a backend or the leader. A new one per try, so nothing of a failed try (its
 * timing, whether the upstream answered) leaks into the next.
 */
export class Attempt {
  readonly target: AttemptTarget;
  /** performance.now() when the request was handed to the engine. */
  readonly start: number;
  /** The attempt's deadline was cut short by the total (requestMs) budget. */
  readonly timeoutIsTotal: boolean;
  phase: AttemptPhase = 'awaiting-headers';
  /** Time to response headers; -1 until they arrive. */
  ttfbMs = -1;
  /** Set by an engine that can abort the upstream request when the client goes away. */
  cancel: { cancel(): void } | undefined = undefined;

  constructor(target: AttemptTarget, start: number, timeoutIsTotal: boolean) {
    this.target = target;
    this.start = start;
    this.timeoutIsTotal = timeoutIsTotal;
  }

  get label(): string {
    return this.target.kind === 'backend' ? this.target.backend.id : LEADER_LABEL;
  }

  /** The backend tried, undefined when forwarding to the leader. */
  get backend(): Backend | undefined {
    return this.target.kind === 'backend' ? this.target.backend : undefined;
  }

  get origin(): string {
    return this.target.origin;
  }

  /** Response headers arrived from the upstream: the response on the wire is theirs. */
  headersArrived(now: number): void {
    this.ttfbMs = now - this.start;
    this.phase = 'streaming';
  }
}
