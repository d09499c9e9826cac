// The lifecycle of one service listener on this node, as a state machine whose states are
// named in the type. Pure: the runtime (runtime.ts) performs the I/O and feeds the outcomes.
//
//   opening ──bound──▶ listening ──drain──▶ draining ──closed──▶ closed
//      │                                        ▲
//      └──bind failed──▶ bind-failed ──retry──▶ opening
//   unsupported: a protocol this node cannot serve (reported, never opened)
//
// A port a node cannot bind is reported (log, /status, metric, dashboard) and retried with
// back-off; it never stops the node or its other services.

export type ListenerPhase = 'opening' | 'listening' | 'bind-failed' | 'unsupported' | 'draining' | 'closed';

export const LISTENER_PHASES: readonly ListenerPhase[] = [
  'opening',
  'listening',
  'bind-failed',
  'unsupported',
  'draining',
  'closed',
];

export type ListenerState =
  | { readonly phase: 'opening'; readonly attempt: number }
  | { readonly phase: 'listening'; readonly host: string; readonly port: number; readonly since: number }
  | {
      readonly phase: 'bind-failed';
      readonly attempt: number;
      readonly code: string;
      readonly message: string;
      /** Epoch ms of the next try. */
      readonly retryAt: number;
    }
  | { readonly phase: 'unsupported'; readonly message: string }
  | { readonly phase: 'draining'; readonly until: number }
  | { readonly phase: 'closed' };

export type ListenerEvent =
  | { readonly kind: 'bound'; readonly host: string; readonly port: number; readonly now: number }
  | { readonly kind: 'bind-failed'; readonly code: string; readonly message: string; readonly now: number }
  | { readonly kind: 'retry' }
  | { readonly kind: 'drain'; readonly graceMs: number; readonly now: number }
  | { readonly kind: 'closed' };

/** Back-off between bind attempts: 1 s doubling to 30 s. */
export function bindRetryDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
}

/** The next state; an event that does not apply in a state leaves it unchanged. */
export function nextListenerState(s: ListenerState, e: ListenerEvent): ListenerState {
  switch (e.kind) {
    case 'bound':
      return s.phase === 'opening' ? { phase: 'listening', host: e.host, port: e.port, since: e.now } : s;
    case 'bind-failed':
      return s.phase === 'opening'
        ? {
            phase: 'bind-failed',
            attempt: s.attempt,
            code: e.code,
            message: e.message,
            retryAt: e.now + bindRetryDelay(s.attempt),
          }
        : s;
    case 'retry':
      return s.phase === 'bind-failed' ? { phase: 'opening', attempt: s.attempt + 1 } : s;
    case 'drain':
      return s.phase === 'closed' || s.phase === 'draining'
        ? s
        : { phase: 'draining', until: e.now + e.graceMs };
    case 'closed':
      return { phase: 'closed' };
  }
}
