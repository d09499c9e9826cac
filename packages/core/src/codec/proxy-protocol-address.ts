// Address spelling shared by the PROXY protocol encoder and parser, so that a header we
// write and a header we read agree on one spelling per client.

import { isIPv4, isIPv6 } from 'node:net';

export interface CanonicalPair {
  readonly family: 'tcp4' | 'tcp6';
  readonly sourceAddress: string;
  readonly destinationAddress: string;
  /** 4 bytes each for tcp4, 16 for tcp6: the v2 address block. */
  readonly sourceBytes: Buffer;
  readonly destinationBytes: Buffer;
}

function ip4Bytes(a: string): Buffer {
  return Buffer.from(a.split('.').map(Number));
}

/** Assumes `isIPv6(a)` and no zone id. */
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

/**
 * 4 or 16 bytes for an IP literal, undefined for anything else. Zone ids (`fe80::1%eth0`)
 * are refused: neither header format can carry one (doc/proxy-protocol.txt 2.1, 2.2).
 */
export function addressBytes(a: string): Buffer | undefined {
  if (isIPv4(a)) return ip4Bytes(a);
  if (isIPv6(a) && !a.includes('%')) return ip6Bytes(a);
  return undefined;
}

export function formatIPv4(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * RFC 5952 section 4 without the mixed dotted form: lowercase, no leading zeros, the
 * longest (first on a tie) run of two or more zero groups as `::`. Hex groups only,
 * because doc/proxy-protocol.txt 2.1 asks for "sets of 4 hexadecimal digits" in v1.
 */
export function formatIPv6(b: Buffer): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

const MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

function asV4(b: Buffer): Buffer | undefined {
  if (b.length === 4) return b;
  return b.subarray(0, 12).equals(MAPPED_PREFIX) ? b.subarray(12) : undefined;
}

function asV6(b: Buffer): Buffer {
  return b.length === 16 ? b : Buffer.concat([MAPPED_PREFIX, b]);
}

/** Two IPv4 (or IPv4-mapped) addresses make tcp4; otherwise both are spelled as IPv6. */
export function canonicalPair(src: Buffer, dst: Buffer): CanonicalPair {
  const s4 = asV4(src);
  const d4 = asV4(dst);
  if (s4 !== undefined && d4 !== undefined) {
    return {
      family: 'tcp4',
      sourceAddress: formatIPv4(s4),
      destinationAddress: formatIPv4(d4),
      sourceBytes: Buffer.from(s4),
      destinationBytes: Buffer.from(d4),
    };
  }
  const s6 = asV6(src);
  const d6 = asV6(dst);
  return {
    family: 'tcp6',
    sourceAddress: formatIPv6(s6),
    destinationAddress: formatIPv6(d6),
    sourceBytes: Buffer.from(s6),
    destinationBytes: Buffer.from(d6),
  };
}
