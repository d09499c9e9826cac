// The receiving side of the PROXY protocol (HAProxy doc/proxy-protocol.txt): an incremental
// parser fed whatever chunks the socket delivers, since TCP may split the header anywhere
// (section 2). Pure; no I/O. Every decision depends only on the bytes up to the position it
// inspects, checked in byte order, so one-byte chunks and one big chunk give the same result.

import { isIPv4, isIPv6 } from 'node:net';
import { PROXY_V2_SIGNATURE, type ProxyAddresses, type ProxyTlv } from './proxy-protocol.js';
import { addressBytes, canonicalPair } from './proxy-protocol-address.js';

export interface ProxyHeader {
  readonly version: 1 | 2;
  /** v1 is always 'proxy'; v2 LOCAL (health checks by the proxy itself) is 'local'. */
  readonly command: 'proxy' | 'local';
  readonly addresses: ProxyAddresses;
  /** v2 only; always empty for v1. */
  readonly tlvs: ProxyTlv[];
}

export type ProxyParse =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'done'; readonly header: ProxyHeader; readonly rest: Buffer }
  | { readonly kind: 'error'; readonly code: 'RL_BAD_PROXY_HEADER'; readonly message: string };

/** Longest v1 line including CRLF (doc/proxy-protocol.txt 2.1, "worst case"). */
export const PROXY_V1_MAX_LENGTH = 107;
export const DEFAULT_PROXY_MAX_BYTES = 4096;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const NEED_MORE: ProxyParse = { kind: 'need-more' };

type Step =
  | { kind: 'need-more' }
  | { kind: 'error'; message: string }
  | { kind: 'done'; header: ProxyHeader; length: number };

const fail = (message: string): Step => ({ kind: 'error', message });
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;

/** Index of the first byte of `buf` that disagrees with `want`, or -1 (a prefix so far). */
function mismatch(buf: Buffer, want: Buffer): number {
  const n = Math.min(buf.length, want.length);
  for (let i = 0; i < n; i++) if (buf[i] !== want[i]) return i;
  return -1;
}

const PORT = /^(0|[1-9][0-9]{0,4})$/;

function v1Port(what: string, text: string): number | string {
  if (!PORT.test(text) || Number(text) > 65535) {
    return `PROXY v1 header: ${what} ${JSON.stringify(text)} is not a port 0..65535 without leading zeros`;
  }
  return Number(text);
}

/** The line without its CRLF. */
function parseV1Line(line: string): Step {
  if (line === 'PROXY UNKNOWN' || line.startsWith('PROXY UNKNOWN ')) {
    // Section 2.1: for UNKNOWN "the receiver must ignore anything presented before the CRLF".
    return {
      kind: 'done',
      header: { version: 1, command: 'proxy', addresses: { family: 'unknown' }, tlvs: [] },
      length: 0,
    };
  }
  const dbl = line.indexOf('  ');
  if (dbl >= 0)
    return fail(`PROXY v1 header: two spaces at byte ${dbl}; fields are separated by exactly one`);
  const f = line.split(' ');
  const fam = f[1] ?? '';
  if (fam !== 'TCP4' && fam !== 'TCP6') {
    return fail(`PROXY v1 header: protocol ${JSON.stringify(fam)} is not TCP4, TCP6 or UNKNOWN`);
  }
  if (f.length !== 6 || f.includes('')) {
    return fail(
      `PROXY v1 header: expected "PROXY ${fam} <src> <dst> <sport> <dport>", got ${f.length} fields in ${JSON.stringify(line)}`,
    );
  }
  const [, , src = '', dst = '', sp = '', dp = ''] = f;
  const valid = fam === 'TCP4' ? isIPv4 : (a: string) => isIPv6(a) && !a.includes('%');
  for (const [what, a] of [
    ['source address', src],
    ['destination address', dst],
  ] as const) {
    if (!valid(a))
      return fail(
        `PROXY v1 header: ${what} ${JSON.stringify(a)} is not an ${fam === 'TCP4' ? 'IPv4' : 'IPv6'} address`,
      );
  }
  const sourcePort = v1Port('source port', sp);
  if (typeof sourcePort === 'string') return fail(sourcePort);
  const destinationPort = v1Port('destination port', dp);
  if (typeof destinationPort === 'string') return fail(destinationPort);
  // Both are valid literals, so addressBytes cannot miss.
  const pair = canonicalPair(addressBytes(src)!, addressBytes(dst)!);
  const addresses: ProxyAddresses = {
    family: pair.family,
    sourceAddress: pair.sourceAddress,
    destinationAddress: pair.destinationAddress,
    sourcePort,
    destinationPort,
  };
  return { kind: 'done', header: { version: 1, command: 'proxy', addresses, tlvs: [] }, length: 0 };
}

function stepV1(buf: Buffer): Step {
  const bad = mismatch(buf, V1_PREFIX);
  if (bad >= 0)
    return fail(`not a PROXY protocol header: byte ${bad} is ${hex(buf[bad]!)}, expected "PROXY "`);
  const lf = buf.subarray(0, PROXY_V1_MAX_LENGTH).indexOf(0x0a);
  if (lf < 0) {
    return buf.length >= PROXY_V1_MAX_LENGTH
      ? fail(`PROXY v1 header: no CRLF within the first ${PROXY_V1_MAX_LENGTH} bytes`)
      : { kind: 'need-more' };
  }
  // Section 2.1: "must not tolerate a single CR or LF character to end the line".
  if (buf[lf - 1] !== 0x0d)
    return fail(`PROXY v1 header: line ends at byte ${lf} with LF but no CR before it`);
  const r = parseV1Line(buf.toString('latin1', 0, lf - 1));
  return r.kind === 'done' ? { ...r, length: lf + 1 } : r;
}

/** Address block lengths by family/transport byte (doc/proxy-protocol.txt 2.2). */
const ADDRESS_LENGTH: ReadonlyMap<number, number> = new Map([
  [0x00, 0],
  [0x11, 12],
  [0x12, 12],
  [0x21, 36],
  [0x22, 36],
  [0x31, 216],
  [0x32, 216],
]);

const FAMILY_NAME: ReadonlyMap<number, string> = new Map([
  [0x12, 'UDP over IPv4'],
  [0x22, 'UDP over IPv6'],
  [0x31, 'UNIX stream'],
  [0x32, 'UNIX datagram'],
]);

function parseTlvs(buf: Buffer, from: number, to: number): ProxyTlv[] | string {
  const tlvs: ProxyTlv[] = [];
  let off = from;
  while (off < to) {
    if (to - off < 3)
      return `PROXY v2 header: truncated TLV at byte ${off}: ${to - off} bytes left, a TLV needs 3`;
    const type = buf[off]!;
    const len = buf.readUInt16BE(off + 1);
    if (off + 3 + len > to) {
      return `PROXY v2 header: TLV ${hex(type)} at byte ${off} declares ${len} bytes but only ${to - off - 3} remain`;
    }
    tlvs.push({ type, value: Buffer.from(buf.subarray(off + 3, off + 3 + len)) });
    off += 3 + len;
  }
  return tlvs;
}

function stepV2(buf: Buffer, maxBytes: number): Step {
  const bad = mismatch(buf, PROXY_V2_SIGNATURE);
  if (bad >= 0)
    return fail(`not a PROXY protocol header: byte ${bad} is ${hex(buf[bad]!)}, not the v2 signature`);
  if (buf.length < 13) return { kind: 'need-more' };
  const verCmd = buf[12]!;
  if (verCmd >> 4 !== 2)
    return fail(`PROXY v2 header: version ${verCmd >> 4} (byte 12 is ${hex(verCmd)}), expected 2`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return fail(`PROXY v2 header: command ${cmd} is neither LOCAL (0) nor PROXY (1)`);
  if (buf.length < 14) return { kind: 'need-more' };
  const fam = buf[13]!;
  if (cmd === 1 && fam !== 0x11 && fam !== 0x21 && fam !== 0x00) {
    const name = FAMILY_NAME.get(fam) ?? `unassigned family/transport ${hex(fam)}`;
    return fail(
      `PROXY v2 header: ${name} (byte 13 is ${hex(fam)}) is not supported; only TCP over IPv4 or IPv6`,
    );
  }
  if (buf.length < 16) return { kind: 'need-more' };
  const total = 16 + buf.readUInt16BE(14);
  if (total > maxBytes)
    return fail(`PROXY v2 header: ${total} bytes declared, over the limit of ${maxBytes}`);
  const addrLen = ADDRESS_LENGTH.get(fam);
  if (cmd === 1 && addrLen !== undefined && total - 16 < addrLen) {
    return fail(`PROXY v2 header: length ${total - 16} is shorter than the ${addrLen}-byte address block`);
  }
  if (buf.length < total) return { kind: 'need-more' };
  const done = (addresses: ProxyAddresses, command: 'proxy' | 'local', tlvs: ProxyTlv[]): Step => ({
    kind: 'done',
    header: { version: 2, command, addresses, tlvs },
    length: total,
  });
  // Section 2.2: LOCAL ignores the family and addresses; TLVs are read when the family byte
  // says where they start, and otherwise the body is skipped. PROXY with AF_UNSPEC is the
  // v2 spelling of v1's UNKNOWN and is accepted the same way, its body ignored.
  if (cmd === 1 && fam === 0x00) return done({ family: 'unknown' }, 'proxy', []);
  if (cmd === 0) {
    if (addrLen === undefined || total - 16 < addrLen) return done({ family: 'unknown' }, 'local', []);
    const tlvs = parseTlvs(buf, 16 + addrLen, total);
    return typeof tlvs === 'string' ? fail(tlvs) : done({ family: 'unknown' }, 'local', tlvs);
  }
  const n = fam === 0x11 ? 4 : 16;
  const pair = canonicalPair(buf.subarray(16, 16 + n), buf.subarray(16 + n, 16 + 2 * n));
  const tlvs = parseTlvs(buf, 16 + 2 * n + 4, total);
  if (typeof tlvs === 'string') return fail(tlvs);
  return done(
    {
      family: pair.family,
      sourceAddress: pair.sourceAddress,
      destinationAddress: pair.destinationAddress,
      sourcePort: buf.readUInt16BE(16 + 2 * n),
      destinationPort: buf.readUInt16BE(16 + 2 * n + 2),
    },
    'proxy',
    tlvs,
  );
}

function step(buf: Buffer, maxBytes: number): Step {
  if (buf.length === 0) return { kind: 'need-more' };
  if (buf[0] === V1_PREFIX[0]) return stepV1(buf);
  if (buf[0] === PROXY_V2_SIGNATURE[0]) return stepV2(buf, maxBytes);
  return fail(
    `not a PROXY protocol header: first byte ${hex(buf[0]!)} starts neither "PROXY " nor the v2 signature`,
  );
}

/**
 * Reads one PROXY protocol header, v1 or v2 (auto-detected as HAProxy's accept-proxy does),
 * from the start of a connection. Push each chunk as it arrives until the result is not
 * 'need-more'; 'done' carries the bytes after the header as `rest` (a view of the last
 * chunk). Once done or failed, push returns that same result and ignores its argument.
 * push never throws.
 */
export class ProxyHeaderParser {
  readonly #maxBytes: number;
  #buf: Buffer = Buffer.alloc(0);
  #len = 0;
  #result: ProxyParse | undefined;

  /** maxBytes caps a v2 header (default 4096); below 108 a v1 line might not fit: RangeError. */
  constructor(opts: { maxBytes?: number } = {}) {
    const max = opts.maxBytes ?? DEFAULT_PROXY_MAX_BYTES;
    if (!Number.isInteger(max) || max < PROXY_V1_MAX_LENGTH + 1) {
      throw new RangeError(`maxBytes ${max} is not an integer of at least ${PROXY_V1_MAX_LENGTH + 1}`);
    }
    this.#maxBytes = max;
  }

  push(chunk: Buffer): ProxyParse {
    if (this.#result !== undefined) return this.#result;
    try {
      return this.#push(chunk);
    } catch (e) {
      // A bug here must close one connection, not crash the listener.
      return this.#fail(`PROXY header parser failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  #push(chunk: Buffer): ProxyParse {
    const before = this.#len;
    // Nothing past maxBytes can belong to a valid header, so never buffer more than that.
    const take = Math.min(chunk.length, this.#maxBytes - before);
    this.#append(chunk.subarray(0, take));
    const r = step(this.#buf.subarray(0, this.#len), this.#maxBytes);
    if (r.kind === 'error') return this.#fail(r.message);
    if (r.kind === 'need-more') {
      // step decides v1 by byte 107 and v2 by its declared length <= maxBytes.
      return take < chunk.length
        ? this.#fail(`PROXY header undecided after ${this.#maxBytes} bytes`)
        : NEED_MORE;
    }
    this.#buf = Buffer.alloc(0);
    this.#result = { kind: 'done', header: r.header, rest: chunk.subarray(r.length - before) };
    return this.#result;
  }

  #fail(message: string): ProxyParse {
    this.#buf = Buffer.alloc(0);
    this.#result = { kind: 'error', code: 'RL_BAD_PROXY_HEADER', message };
    return this.#result;
  }

  /** Doubling growth keeps one-byte chunks linear rather than quadratic. */
  #append(bytes: Buffer): void {
    if (this.#len + bytes.length > this.#buf.length) {
      const grown = Buffer.alloc(Math.min(this.#maxBytes, Math.max(128, 2 * (this.#len + bytes.length))));
      this.#buf.copy(grown, 0, 0, this.#len);
      this.#buf = grown;
    }
    bytes.copy(this.#buf, this.#len);
    this.#len += bytes.length;
  }
}
