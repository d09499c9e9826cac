import { describe, expect, it } from 'vitest';
import { encodeProxyV1, encodeProxyV2 } from './proxy-protocol.js';

const v4 = {
  family: 'tcp4',
  sourceAddress: '192.168.0.1',
  destinationAddress: '192.168.0.11',
  sourcePort: 56324,
  destinationPort: 443,
} as const;

describe('encodeProxyV1', () => {
  it("writes the spec's examples", () => {
    expect(encodeProxyV1(v4).toString('latin1')).toBe('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n');
    expect(encodeProxyV1({ family: 'unknown' }).toString('latin1')).toBe('PROXY UNKNOWN\r\n');
    const max = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const worst = {
      ...v4,
      family: 'tcp6',
      sourceAddress: max,
      destinationAddress: max,
      sourcePort: 65535,
      destinationPort: 65535,
    } as const;
    const line = encodeProxyV1(worst).toString('latin1');
    expect(line).toBe(`PROXY TCP6 ${max} ${max} 65535 65535\r\n`);
    expect(line.length).toBe(104);
  });
  it('normalises IPv4-mapped IPv6 to TCP4', () => {
    const h = encodeProxyV1({
      ...v4,
      family: 'tcp6',
      sourceAddress: '::ffff:10.0.0.1',
      destinationAddress: '::ffff:10.0.0.2',
    });
    expect(h.toString('latin1')).toBe('PROXY TCP4 10.0.0.1 10.0.0.2 56324 443\r\n');
  });
  it('rejects bad ports and addresses', () => {
    expect(() => encodeProxyV1({ ...v4, sourcePort: 65536 })).toThrow(RangeError);
    expect(() => encodeProxyV1({ ...v4, sourceAddress: 'nope' })).toThrow(RangeError);
    // Neither format can carry a zone id; it used to be written verbatim into the line.
    expect(() => encodeProxyV1({ ...v4, family: 'tcp6', sourceAddress: 'fe80::1%eth0' })).toThrow(
      /sourceAddress/,
    );
    expect(() => encodeProxyV2({ ...v4, family: 'tcp6', destinationAddress: 'fe80::1%eth0' })).toThrow(
      RangeError,
    );
  });
  it('writes TCP6 in hex groups only, lowercase and compressed (spec 2.1)', () => {
    const h = encodeProxyV1({
      ...v4,
      family: 'tcp6',
      sourceAddress: '::FFFF:10.0.0.1',
      destinationAddress: '2001:0DB8:0:0:1:0:0:1',
    });
    expect(h.toString('latin1')).toBe('PROXY TCP6 ::ffff:a00:1 2001:db8::1:0:0:1 56324 443\r\n');
  });
});

describe('encodeProxyV2', () => {
  it('lays out a TCP4 header byte by byte', () => {
    const sig = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
    expect([...encodeProxyV2(v4)]).toEqual([
      ...sig,
      0x21,
      0x11,
      0x00,
      0x0c,
      192,
      168,
      0,
      1,
      192,
      168,
      0,
      11,
      0xdc,
      0x04,
      0x01,
      0xbb,
    ]);
    expect([...encodeProxyV2({ family: 'unknown' })]).toEqual([...sig, 0x20, 0x00, 0x00, 0x00]);
  });
  it('lays out TCP6 and TLVs', () => {
    const h = encodeProxyV2(
      { ...v4, family: 'tcp6', sourceAddress: '2001:db8::1', destinationAddress: '::1' },
      [{ type: 0x04, value: Buffer.from([1, 2]) }],
    );
    expect(h.subarray(12, 16)).toEqual(Buffer.from([0x21, 0x21, 0x00, 36 + 5]));
    expect(h.subarray(16, 32)).toEqual(Buffer.from('20010db8000000000000000000000001', 'hex'));
    expect(h.subarray(32, 48)).toEqual(Buffer.from('00000000000000000000000000000001', 'hex'));
    expect(h.subarray(52)).toEqual(Buffer.from([0x04, 0x00, 0x02, 1, 2]));
  });
});
