import { describe, expect, it } from 'vitest';
import { decodeLeaderPayload } from './leader-watch.js';

describe('decodeLeaderPayload', () => {
  it('reads a leader payload', () => {
    const p = {
      id: 'lb-1',
      epoch: 7,
      since: '2026-11-29T00:00:00Z',
      proxyUrl: 'http://a:1',
      adminUrl: 'http://a:2',
    };
    expect(decodeLeaderPayload(Buffer.from(JSON.stringify(p)))).toEqual(p);
  });
  it.each([['not json'], ['{"id":1,"epoch":2}'], ['{"id":"a","epoch":1.5}'], ['[]'], ['null']])(
    'treats %s as no usable leader',
    (text) => {
      expect(decodeLeaderPayload(Buffer.from(text))).toBeNull();
    },
  );
});
