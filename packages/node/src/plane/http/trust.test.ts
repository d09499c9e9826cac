import { describe, expect, it } from 'vitest';
import { forwardedFor, normalizeIp, parseTrustedProxies } from './trust.js';

describe('trusted proxies', () => {
  const trust = parseTrustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);

  it.each([
    ['10.1.2.3', true],
    ['::ffff:10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['fd12::1', true],
    ['fe80::1', false],
    ['not-an-ip', false],
  ])('%s trusted = %s', (ip, expected) => {
    expect(trust.isTrusted(ip)).toBe(expected);
  });

  it('rejects entries that are not IPs or CIDRs, naming them', () => {
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.1/8/1', '::1/129', '1.2.3.4/x']) {
      expect(() => parseTrustedProxies([bad])).toThrow(bad);
    }
  });

  it('normalises IPv4-mapped IPv6 only', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIp('::1')).toBe('::1');
  });
});

describe('x-forwarded-for', () => {
  const trust = parseTrustedProxies(['10.0.0.0/8']);

  it.each([
    // peer, incoming, header sent upstream, client ip, peer trusted
    ['203.0.113.9', undefined, '203.0.113.9', '203.0.113.9', false],
    ['203.0.113.9', '1.1.1.1', '203.0.113.9', '203.0.113.9', false], // spoofed chain replaced
    ['::ffff:203.0.113.9', '1.1.1.1, 2.2.2.2', '203.0.113.9', '203.0.113.9', false],
    ['10.0.0.5', undefined, '10.0.0.5', '10.0.0.5', true],
    ['10.0.0.5', '198.51.100.1', '198.51.100.1, 10.0.0.5', '198.51.100.1', true],
    [
      '10.0.0.5',
      '6.6.6.6, 198.51.100.1, 10.0.0.4',
      '6.6.6.6, 198.51.100.1, 10.0.0.4, 10.0.0.5',
      '198.51.100.1',
      true,
    ],
    ['10.0.0.5', '10.0.0.3,10.0.0.4', '10.0.0.3, 10.0.0.4, 10.0.0.5', '10.0.0.3', true],
  ] as const)('peer %s with %s → %s (client %s)', (peer, incoming, header, clientIp, peerTrusted) => {
    expect(forwardedFor(peer, incoming, trust)).toEqual({ header, clientIp, peerTrusted });
  });

  it('trusts nobody with an empty list', () => {
    const none = parseTrustedProxies([]);
    expect(forwardedFor('10.0.0.5', '1.1.1.1', none)).toEqual({
      header: '10.0.0.5',
      clientIp: '10.0.0.5',
      peerTrusted: false,
    });
  });
});
