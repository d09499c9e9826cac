import { describe, expect, it } from 'vitest';
import type { GateDecision } from '../seam.js';
import { type AdmissionRequest, admit, parseLeaderTarget } from './admission.js';

const serve: GateDecision = { kind: 'serve', permit: { epoch: 5, leaseDeadline: Number.POSITIVE_INFINITY } };
const forward: GateDecision = { kind: 'forward', leaderProxyUrl: 'http://10.0.0.1:8080', epoch: 4 };
const hold: GateDecision = { kind: 'hold', reason: 'election in progress', maxWaitMs: 500 };
const req = (over: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  canWait: true,
  now: 1000,
  ...over,
});
const at = (r: AdmissionRequest, g: GateDecision) => admit(r, g, 'lb-2', parseLeaderTarget);

describe('admit: one decision for every protocol', () => {
  it('answers a protocol refusal before the gate, whatever the gate says', () => {
    const refusal = { code: 'RL_BAD_REQUEST', reason: 'bad_request', detail: 'x' } as const;
    for (const g of [serve, forward, hold])
      expect(at(req({ refusal }), g)).toEqual({ kind: 'refuse', refusal });
  });

  it('serves with the permit of the gate in force', () => {
    expect(at(req(), serve)).toEqual({ kind: 'serve', permit: serve.kind === 'serve' && serve.permit });
  });

  it('forwards one hop, naming itself in the chain; a second hop (resigning leader) is allowed', () => {
    expect(at(req(), forward)).toMatchObject({ kind: 'forward', epoch: 4, via: 'lb-2' });
    expect(at(req({ via: 'lb-3' }), forward)).toMatchObject({ kind: 'forward', via: 'lb-3,lb-2' });
  });

  it('refuses a loop: its own id in the chain, or a third hop', () => {
    expect(at(req({ via: 'lb-2' }), forward)).toMatchObject({ kind: 'not-leader', reason: /loop guard/ });
    expect(at(req({ via: 'lb-1,lb-3' }), forward)).toMatchObject({ kind: 'not-leader' });
  });

  it('does not forward to an unusable leader URL', () => {
    const bad: GateDecision = { kind: 'forward', leaderProxyUrl: 'not a url', epoch: 4 };
    expect(at(req(), bad)).toMatchObject({ kind: 'not-leader', reason: /not usable/ });
  });

  it('holds until arrival + maxWaitMs, keeps that deadline when admitted again, then gives up', () => {
    expect(at(req(), hold)).toEqual({ kind: 'hold', reason: 'election in progress', until: 1500 });
    expect(at(req({ now: 1400, holdUntil: 1500 }), hold)).toEqual({
      kind: 'hold',
      reason: 'election in progress',
      until: 1500,
    });
    expect(at(req({ now: 1500, holdUntil: 1500 }), hold)).toMatchObject({
      kind: 'not-leader',
      retryAfterS: 1,
    });
    expect(at(req({ canWait: false }), hold)).toMatchObject({ kind: 'not-leader' });
  });

  it('tells a rejected client where the leader is', () => {
    const reject: GateDecision = { kind: 'reject', leaderProxyUrl: 'http://l:1', retryAfterS: 3 };
    expect(at(req(), reject)).toEqual({
      kind: 'not-leader',
      reason: 'standby',
      leaderUrl: 'http://l:1',
      retryAfterS: 3,
    });
  });

  it('parses leader targets once, IPv6 without brackets', () => {
    expect(parseLeaderTarget('http://[::1]:8080')).toMatchObject({
      host: '::1',
      port: 8080,
      origin: 'http://[::1]:8080',
    });
    expect(parseLeaderTarget('ftp://x')).toBeUndefined();
  });
});
