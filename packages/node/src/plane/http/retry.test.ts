import { describe, expect, it } from 'vitest';
import { classifyUpstreamError, countsAgainstBackend, shouldRetry } from './retry.js';

const err = (props: Record<string, unknown>) => Object.assign(new Error('x'), props);

describe('classifyUpstreamError', () => {
  it.each([
    [err({ code: 'ECONNREFUSED', syscall: 'connect' }), 'connect'],
    [err({ code: 'EHOSTUNREACH' }), 'connect'],
    [err({ code: 'ETIMEDOUT', syscall: 'connect' }), 'connect_timeout'],
    [err({ code: 'ETIMEDOUT', syscall: 'read' }), 'reset'],
    [err({ code: 'UND_ERR_CONNECT_TIMEOUT' }), 'connect_timeout'],
    [err({ code: 'UND_ERR_HEADERS_TIMEOUT' }), 'headers_timeout'],
    [err({ code: 'ECONNRESET' }), 'reset'],
    [err({ code: 'UND_ERR_SOCKET' }), 'reset'],
    [err({ code: 'RL_BODY_TOO_LARGE' }), 'body_limit'],
    [err({ code: 'UND_ERR_INVALID_ARG' }), 'other'],
    // reply-from wraps undici's error and keeps it as `cause`.
    [err({ code: 'FST_REPLY_FROM_INTERNAL_SERVER_ERROR', cause: err({ code: 'ECONNREFUSED' }) }), 'connect'],
    [
      err({ code: 'FST_REPLY_FROM_GATEWAY_TIMEOUT', cause: err({ code: 'UND_ERR_HEADERS_TIMEOUT' }) }),
      'headers_timeout',
    ],
    [err({ code: 'ECONNRESET', cause: err({ code: 'ECONNRESET' }) }), 'reset'],
    [undefined, 'other'],
  ] as const)('%o → %s', (e, kind) => {
    expect(classifyUpstreamError(e)).toBe(kind);
  });
});

describe('shouldRetry', () => {
  const base = { method: 'GET', bodyStarted: false, retriesDone: 0, retries: 2 } as const;
  it.each([
    // kind, method, bodyStarted, retriesDone, expected
    ['connect', 'GET', false, 0, true],
    ['connect', 'POST', false, 0, true], // nothing went out
    ['connect_timeout', 'PATCH', false, 1, true],
    ['connect', 'GET', false, 2, false], // budget spent
    ['reset', 'GET', false, 0, true],
    ['reset', 'DELETE', false, 0, true],
    ['reset', 'PUT', true, 0, false], // body streamed: cannot replay
    ['reset', 'POST', false, 0, false], // backend may have acted
    ['headers_timeout', 'GET', false, 0, false],
    ['body_limit', 'POST', true, 0, false],
    ['client_abort', 'GET', false, 0, false],
    ['other', 'GET', false, 0, false],
  ] as const)('%s %s body=%s after %i retries → %s', (kind, method, bodyStarted, retriesDone, expected) => {
    expect(shouldRetry({ ...base, kind, method, bodyStarted, retriesDone })).toBe(expected);
  });

  it('never retries with a zero budget', () => {
    expect(shouldRetry({ ...base, kind: 'connect', retries: 0 })).toBe(false);
  });
});

describe('countsAgainstBackend', () => {
  it('blames the backend for its own faults only', () => {
    expect(countsAgainstBackend('connect')).toBe(true);
    expect(countsAgainstBackend('status_5xx')).toBe(true);
    expect(countsAgainstBackend('headers_timeout')).toBe(true);
    expect(countsAgainstBackend('client_abort')).toBe(false);
    expect(countsAgainstBackend('body_limit')).toBe(false);
  });
});
