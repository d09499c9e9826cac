import { describe, expect, it } from 'vitest';
import { judgeSslReply, SSL_REQUEST_CODE, sslRequest } from './probes-pg.js';

describe('SSLRequest', () => {
  it('is int32 8 then int32 80877103 (1234 << 16 | 5679), big-endian', () => {
    expect([...sslRequest()]).toEqual([0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f]);
    expect(SSL_REQUEST_CODE).toBe((1234 << 16) | 5679);
  });

  it('passes on S or N only, naming any other byte', () => {
    expect(judgeSslReply(0x53)).toEqual({ passed: true, detail: 'SSLRequest answered S' });
    expect(judgeSslReply(0x4e)).toEqual({ passed: true, detail: 'SSLRequest answered N' });
    expect(judgeSslReply(0x45)).toEqual({
      passed: false,
      detail: "SSLRequest answered 0x45 'E', not S or N",
    });
    expect(judgeSslReply(0x00)).toEqual({ passed: false, detail: 'SSLRequest answered 0x00, not S or N' });
    expect(judgeSslReply(0x73).passed).toBe(false);
  });
});
