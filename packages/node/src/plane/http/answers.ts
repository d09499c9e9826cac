// What the client is told when an upstream attempt failed and is not retried. Pure.

import type { NodeErrorCode } from '../../errors.js';
import type { LimitReason, UpstreamErrorKind } from '../../seam.js';

export interface FailureFacts {
  readonly id: string;
  /** Backends tried for this request, comma-separated. */
  readonly tried: string;
  readonly method: string;
  /** Set when the failed attempt was a forward to the leader. */
  readonly leaderUrl: string | undefined;
  readonly timeouts: { readonly headersMs: number; readonly requestMs: number };
  readonly maxBodyBytes: number;
  readonly message: string;
}

export interface FailureAnswer {
  readonly code: NodeErrorCode;
  readonly detail: string;
  /** The limit metric to count, if the failure is a limit or timeout. */
  readonly limit?: LimitReason;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the client is told after a failed attempt that is not retried. Pure. */
export function failureAnswer(kind: UpstreamErrorKind, f: FailureFacts): FailureAnswer {
  if (kind === 'body_limit') {
    return {
      code: 'RL_BODY_TOO_LARGE',
      detail: `over ${f.maxBodyBytes} bytes`,
      limit: 'body_size',
      headers: { connection: 'close' },
    };
  }
  if (kind === 'headers_timeout') {
    const who = f.leaderUrl === undefined ? f.id : 'the leader';
    return {
      code: 'RL_UPSTREAM_TIMEOUT',
      detail: `${who} sent no headers within ${f.timeouts.headersMs} ms`,
      limit: 'headers_timeout',
    };
  }
  if (kind === 'total_timeout') {
    return {
      code: 'RL_UPSTREAM_TIMEOUT',
      detail: `no response within timeouts.requestMs (${f.timeouts.requestMs} ms)`,
      limit: 'total_timeout',
    };
  }
  if (f.leaderUrl !== undefined) {
    return {
      code: 'RL_LEADER_UNREACHABLE',
      detail: `${f.leaderUrl}: ${kind}`,
      headers: { 'retry-after': '1', 'x-ringleader-leader': f.leaderUrl },
    };
  }
  switch (kind) {
    case 'connect':
    case 'connect_timeout':
      return { code: 'RL_UPSTREAM_CONNECT', detail: `${kind} (tried ${f.tried})` };
    case 'reset':
      return { code: 'RL_UPSTREAM_RESET', detail: `${f.id} reset the connection (${f.method} not re-sent)` };
    default:
      return { code: 'RL_UPSTREAM_ERROR', detail: `${f.id}: ${f.message}` };
  }
}
