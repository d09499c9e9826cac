// Admission: the one decision every protocol makes about a request (an HTTP request, a
// websocket upgrade; next a TCP connection or a Redis command stream) before anything is sent.
// Pure: the listener hands in what it read (its own protocol checks, the forwarding chain, how
// long the request has waited) and the gate in force, and gets back what to do. Each protocol
// only answers the verdict in its own bytes.
import { NODE_ERRORS, type NodeErrorCode } from '../errors.js';
import type { GateDecision, LimitReason, ServingPermit } from '../seam.js';

/** A request the protocol refused before the gate: a limit, or malformed input. */
export interface Refusal {
  readonly code: NodeErrorCode;
  readonly reason: LimitReason;
  readonly detail: string;
}

/** Where a standby forwards to: the leader's proxy URL, parsed once. */
export interface LeaderTarget {
  readonly url: string;
  /** `http://host:port` (what undici's pools key on). */
  readonly origin: string;
  /** Without IPv6 brackets (what net.connect takes). */
  readonly host: string;
  readonly port: number;
}

export type Admission =
  | { readonly kind: 'refuse'; readonly refusal: Refusal }
  | {
      readonly kind: 'not-leader';
      readonly reason: string;
      readonly leaderUrl: string | undefined;
      readonly retryAfterS: number;
    }
  /** Wait for the next gate change, at most until `until` (performance.now ms), then admit again. */
  | { readonly kind: 'hold'; readonly reason: string; readonly until: number }
  /** `via` is the chain to send on (`x-ringleader-via`): the incoming one plus this node. */
  | {
      readonly kind: 'forward';
      readonly leader: LeaderTarget;
      readonly epoch: number;
      readonly via: string;
    }
  | { readonly kind: 'serve'; readonly permit: ServingPermit };

export interface AdmissionRequest {
  /** The protocol's own refusal (limits, malformed input), if any: answered before the gate. */
  readonly refusal?: Refusal | undefined;
  /** The incoming `x-ringleader-via` value (HTTP); undefined where there is none. */
  readonly via?: string | undefined;
  /** performance.now() deadline of an earlier hold of this request; undefined before one. */
  readonly holdUntil?: number | undefined;
  /** Whether the listener can wait for a gate change (without it a hold is a not-leader). */
  readonly canWait: boolean;
  readonly now: number;
}

/**
 * A hand-over can take a request through two nodes (a standby, then the resigning leader); a
 * node that sees its own id in the chain, or a third hop, is looking at a loop.
 */
export const MAX_FORWARD_HOPS = 2;

export function admit(
  req: AdmissionRequest,
  gate: GateDecision,
  nodeId: string,
  leaderTarget: (url: string) => LeaderTarget | undefined,
): Admission {
  if (req.refusal !== undefined) return { kind: 'refuse', refusal: req.refusal };
  switch (gate.kind) {
    case 'serve':
      return { kind: 'serve', permit: gate.permit };
    case 'reject':
      return {
        kind: 'not-leader',
        reason: gate.reason ?? 'standby',
        leaderUrl: gate.leaderProxyUrl,
        retryAfterS: gate.retryAfterS,
      };
    case 'hold': {
      const until = req.holdUntil ?? req.now + gate.maxWaitMs;
      if (until - req.now < 1 || !req.canWait)
        return { kind: 'not-leader', reason: gate.reason, leaderUrl: undefined, retryAfterS: 1 };
      return { kind: 'hold', reason: gate.reason, until };
    }
    case 'forward': {
      const chain = req.via !== undefined && req.via !== '' ? req.via.split(',') : [];
      if (chain.includes(nodeId) || chain.length >= MAX_FORWARD_HOPS)
        return {
          kind: 'not-leader',
          reason: `request was already forwarded by ${chain.join(', ')} (loop guard)`,
          leaderUrl: gate.leaderProxyUrl,
          retryAfterS: 1,
        };
      const leader = leaderTarget(gate.leaderProxyUrl);
      if (leader === undefined)
        return {
          kind: 'not-leader',
          reason: `leader proxy URL ${JSON.stringify(gate.leaderProxyUrl)} is not usable`,
          leaderUrl: undefined,
          retryAfterS: 1,
        };
      return {
        kind: 'forward',
        leader,
        epoch: gate.epoch,
        via: chain.length > 0 ? `${chain.join(',')},${nodeId}` : nodeId,
      };
    }
  }
}

/** Parses a leader's proxy URL (http or https); undefined if unusable. */
export function parseLeaderTarget(url: string): LeaderTarget | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') return undefined;
  return { url, origin: u.origin, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) };
}

/** The last leader URL parsed, kept: the leader changes rarely, requests are many. */
export function cachedLeaderTarget(): (url: string) => LeaderTarget | undefined {
  let lastUrl: string | undefined;
  let last: LeaderTarget | undefined;
  return (url) => {
    if (url !== lastUrl) {
      lastUrl = url;
      last = parseLeaderTarget(url);
    }
    return last;
  };
}

/** The JSON body of a 503 RL_NOT_LEADER answer, the same for every protocol that has bodies. */
export function notLeaderBody(a: {
  reason: string;
  leaderUrl: string | undefined;
  retryAfterS: number;
}): string {
  return JSON.stringify({
    code: 'RL_NOT_LEADER',
    message: `${NODE_ERRORS.RL_NOT_LEADER.message}: ${a.reason}`,
    leader: a.leaderUrl ?? null,
    retryAfterS: a.retryAfterS,
  });
}
