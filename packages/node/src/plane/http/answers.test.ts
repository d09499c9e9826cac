import { describe, expect, it } from 'vitest';
import { NODE_ERRORS } from '../../errors.js';
import { type FailureFacts, failureAnswer } from './answers.js';

const facts: FailureFacts = {
  id: 'b2',
  tried: 'b1, b2',
  method: 'POST',
  leaderUrl: undefined,
  timeouts: { headersMs: 300, requestMs: 1000 },
  maxBodyBytes: 1000,
  message: 'boom',
};

describe('failureAnswer', () => {
  it.each([
    ['connect', 'RL_UPSTREAM_CONNECT', 502, undefined, /connect \(tried b1, b2\)/],
    ['connect_timeout', 'RL_UPSTREAM_CONNECT', 502, undefined, /connect_timeout/],
    ['reset', 'RL_UPSTREAM_RESET', 502, undefined, /POST not re-sent/],
    ['headers_timeout', 'RL_UPSTREAM_TIMEOUT', 504, 'headers_timeout', /b2 sent no headers within 300 ms/],
    ['total_timeout', 'RL_UPSTREAM_TIMEOUT', 504, 'total_timeout', /requestMs \(1000 ms\)/],
    ['body_limit', 'RL_BODY_TOO_LARGE', 413, 'body_size', /over 1000 bytes/],
    ['other', 'RL_UPSTREAM_ERROR', 502, undefined, /b2: boom/],
  ] as const)('%s → %s (%i)', (kind, code, status, limit, detail) => {
    const a = failureAnswer(kind, facts);
    expect(a.code).toBe(code);
    expect(NODE_ERRORS[a.code].status).toBe(status);
    expect(a.limit).toBe(limit);
    expect(a.detail).toMatch(detail);
  });

  it('closes the connection after a body over the limit (the rest is not read)', () => {
    expect(failureAnswer('body_limit', facts).headers).toEqual({ connection: 'close' });
  });

  it('names the leader when a forward failed, with retry-after', () => {
    const a = failureAnswer('connect', { ...facts, leaderUrl: 'http://10.0.0.1:8080' });
    expect(a).toEqual({
      code: 'RL_LEADER_UNREACHABLE',
      detail: 'http://10.0.0.1:8080: connect',
      headers: { 'retry-after': '1', 'x-ringleader-leader': 'http://10.0.0.1:8080' },
    });
    expect(failureAnswer('headers_timeout', { ...facts, leaderUrl: 'http://x' }).detail).toMatch(
      /the leader/,
    );
  });
});
