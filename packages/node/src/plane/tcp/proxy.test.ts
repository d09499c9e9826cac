import { describe, expect, it } from 'vitest';
import { proxyAddresses, proxyHeaderFor } from './proxy.js';

const local = { localAddress: '127.0.0.1', localPort: 6000 };

describe('proxyHeaderFor', () => {
  it('writes the client as source and the listener as destination (v1)', () => {
    expect(proxyHeaderFor('v1', local, '10.1.2.3', 4567).toString()).toBe(
      'PROXY TCP4 10.1.2.3 127.0.0.1 4567 6000\r\n',
    );
  });

  it('takes IPv4-mapped client addresses as IPv4', () => {
    expect(
      proxyHeaderFor(
        'v1',
        { localAddress: '::ffff:127.0.0.1', localPort: 6000 },
        '::ffff:10.1.2.3',
        1,
      ).toString(),
    ).toBe('PROXY TCP4 10.1.2.3 127.0.0.1 1 6000\r\n');
  });

  it('falls back to UNKNOWN when the addresses do not encode', () => {
    expect(proxyHeaderFor('v1', { localAddress: undefined, localPort: undefined }, '', 0).toString()).toBe(
      'PROXY UNKNOWN\r\n',
    );
    expect(proxyHeaderFor('v2', { localAddress: undefined, localPort: undefined }, '', 0).length).toBe(16);
  });

  it('v2 carries the addresses in binary', () => {
    const h = proxyHeaderFor('v2', local, '10.1.2.3', 4567);
    expect(h.length).toBe(16 + 12);
    expect([...h.subarray(16, 20)]).toEqual([10, 1, 2, 3]);
    expect(h.readUInt16BE(24)).toBe(4567);
    expect(h.readUInt16BE(26)).toBe(6000);
    expect(proxyAddresses('::1', 1, { localAddress: '::1', localPort: 2 }).family).toBe('tcp6');
  });
});
