// PROXY protocol headers (HAProxy doc/proxy-protocol.txt), the sending side: v1 text and
// v2 binary, telling a backend the client's address. Pure; no I/O. The receiving side is
// ProxyHeaderParser in proxy-protocol-parse.ts.

import { addressBytes, type CanonicalPair, canonicalPair } from './proxy-protocol-address.js';

export type ProxyAddresses =
  | {
      readonly family: 'tcp4' | 'tcp6';
      readonly sourceAddress: string;
      readonly sourcePort: number;
      readonly destinationAddress: string;
      readonly destinationPort: number;
    }
  | { readonly family: 'unknown' };

export interface ProxyTlv {
  readonly type: number;
  readonly value: Buffer;
}

/** The 12-byte v2 signature (doc/proxy-protocol.txt 2.2). */
export const PROXY_V2_SIGNATURE: Buffer = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/**
 * tcp6 with two IPv4-mapped addresses becomes tcp4, and IPv6 is spelled canonically:
 * a backend sees one spelling per client, and the parser reads back exactly this.
 */
function normalise(a: ProxyAddresses & { family: 'tcp4' | 'tcp6' }): CanonicalPair {
  for (const [what, v] of [
    ['sourcePort', a.sourcePort],
    ['destinationPort', a.destinationPort],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`${what} ${v} is not 0..65535`);
  }
  const src = addressBytes(a.sourceAddress);
  const dst = addressBytes(a.destinationAddress);
  if (src === undefined)
    throw new RangeError(`sourceAddress ${JSON.stringify(a.sourceAddress)} is not an IP address`);
  if (dst === undefined) {
    throw new RangeError(`destinationAddress ${JSON.stringify(a.destinationAddress)} is not an IP address`);
  }
  return canonicalPair(src, dst);
}

/**
 * `PROXY TCP4 src dst sport dport\r\n` or `PROXY UNKNOWN\r\n` (doc/proxy-protocol.txt 2.1;
 * IPv6 in hex groups only, as that section asks). Throws RangeError on bad addresses.
 */
export function encodeProxyV1(addr: ProxyAddresses): Buffer {
  if (addr.family === 'unknown') return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const a = normalise(addr);
  const fam = a.family === 'tcp4' ? 'TCP4' : 'TCP6';
  return Buffer.from(
    `PROXY ${fam} ${a.sourceAddress} ${a.destinationAddress} ${addr.sourcePort} ${addr.destinationPort}\r\n`,
    'latin1',
  );
}

/**
 * The v2 binary header (doc/proxy-protocol.txt 2.2): version 2 with command PROXY (0x21)
 * over STREAM (0x11 TCP4, 0x21 TCP6), or LOCAL (0x20) with AF_UNSPEC (0x00) for `unknown`;
 * then the big-endian length of what follows, the address block (src addr, dst addr,
 * src port, dst port) and the TLVs (type, 2-byte big-endian length, value).
 */
export function encodeProxyV2(addr: ProxyAddresses, tlvs: readonly ProxyTlv[] = []): Buffer {
  const tlvBytes = tlvs.map((t) => {
    if (!Number.isInteger(t.type) || t.type < 0 || t.type > 255) throw new RangeError(`TLV type ${t.type}`);
    if (t.value.length > 65535)
      throw new RangeError(`TLV 0x${t.type.toString(16)} value of ${t.value.length} bytes`);
    const head = Buffer.alloc(3);
    head.writeUInt8(t.type, 0);
    head.writeUInt16BE(t.value.length, 1);
    return Buffer.concat([head, t.value]);
  });
  let body: Buffer;
  let verCmd = 0x21;
  let famProto = 0x00;
  if (addr.family === 'unknown') {
    verCmd = 0x20;
    body = Buffer.alloc(0);
  } else {
    const a = normalise(addr);
    const ports = Buffer.alloc(4);
    ports.writeUInt16BE(addr.sourcePort, 0);
    ports.writeUInt16BE(addr.destinationPort, 2);
    famProto = a.family === 'tcp4' ? 0x11 : 0x21;
    body = Buffer.concat([a.sourceBytes, a.destinationBytes, ports]);
  }
  const rest = Buffer.concat([body, ...tlvBytes]);
  if (rest.length > 65535) throw new RangeError(`PROXY v2 header body of ${rest.length} bytes`);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt8(verCmd, 0);
  fixed.writeUInt8(famProto, 1);
  fixed.writeUInt16BE(rest.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, rest]);
}
