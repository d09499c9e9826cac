// PROXY protocol headers (HAProxy doc/proxy-protocol.txt), the sending side: v1 text and
// v2 binary, telling a backend the client's address. Pure; no I/O. (The parser is to come.)

import { isIP } from 'node:net';

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

/** The 12-byte v2 signature. */
export const PROXY_V2_SIGNATURE: Buffer = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

const unmap = (a: string) => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? a.slice(7) : a);

/** tcp6 with two IPv4-mapped addresses becomes tcp4: a backend sees one spelling per client. */
function normalise(a: ProxyAddresses): ProxyAddresses {
  if (a.family === 'unknown') return a;
  const src = unmap(a.sourceAddress);
  const dst = unmap(a.destinationAddress);
  const family = isIP(src) === 4 && isIP(dst) === 4 ? 'tcp4' : 'tcp6';
  for (const [what, v] of [
    ['sourcePort', a.sourcePort],
    ['destinationPort', a.destinationPort],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 65535) throw new RangeError(`${what} ${v} is not 0..65535`);
  }
  const want = family === 'tcp4' ? 4 : 6;
  const ip6 = (x: string) => (isIP(x) === 4 ? `::ffff:${x}` : x);
  const s = family === 'tcp6' ? ip6(src) : src;
  const d = family === 'tcp6' ? ip6(dst) : dst;
  if (isIP(s) !== want || isIP(d) !== want) throw new RangeError(`not ${family} addresses: ${s} ${d}`);
  return { ...a, family, sourceAddress: s, destinationAddress: d };
}

/** `PROXY TCP4 src dst sport dport\r\n` or `PROXY UNKNOWN\r\n`. Throws RangeError on bad addresses. */
export function encodeProxyV1(addr: ProxyAddresses): Buffer {
  const a = normalise(addr);
  if (a.family === 'unknown') return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
  const fam = a.family === 'tcp4' ? 'TCP4' : 'TCP6';
  return Buffer.from(
    `PROXY ${fam} ${a.sourceAddress} ${a.destinationAddress} ${a.sourcePort} ${a.destinationPort}\r\n`,
    'latin1',
  );
}

function ip4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

function ip6Bytes(a: string): Buffer {
  let text = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const b = ip4Bytes(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

/** The v2 binary header: PROXY command over STREAM, or LOCAL / AF_UNSPEC for `unknown`. */
export function encodeProxyV2(addr: ProxyAddresses, tlvs: readonly ProxyTlv[] = []): Buffer {
  const a = normalise(addr);
  const tlvBytes = tlvs.map((t) => {
    if (!Number.isInteger(t.type) || t.type < 0 || t.type > 255) throw new RangeError(`TLV type ${t.type}`);
    const head = Buffer.alloc(3);
    head.writeUInt8(t.type, 0);
    head.writeUInt16BE(t.value.length, 1);
    return Buffer.concat([head, t.value]);
  });
  let body: Buffer;
  let verCmd = 0x21;
  let famProto = 0x00;
  if (a.family === 'unknown') {
    verCmd = 0x20;
    body = Buffer.alloc(0);
  } else {
    const ports = Buffer.alloc(4);
    ports.writeUInt16BE(a.sourcePort, 0);
    ports.writeUInt16BE(a.destinationPort, 2);
    const enc = a.family === 'tcp4' ? ip4Bytes : ip6Bytes;
    famProto = a.family === 'tcp4' ? 0x11 : 0x21;
    body = Buffer.concat([enc(a.sourceAddress), enc(a.destinationAddress), ports]);
  }
  const rest = Buffer.concat([body, ...tlvBytes]);
  if (rest.length > 65535) throw new RangeError(`PROXY v2 header body of ${rest.length} bytes`);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt8(verCmd, 0);
  fixed.writeUInt8(famProto, 1);
  fixed.writeUInt16BE(rest.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, rest]);
}
