import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeProxyV1, encodeProxyV2, PROXY_V2_SIGNATURE, type ProxyAddresses } from './proxy-protocol.js';
import { ProxyHeaderParser, type ProxyParse } from './proxy-protocol-parse.js';

const SIG = [...PROXY_V2_SIGNATURE];
const latin1 = (s: string) => Buffer.from(s, 'latin1');

/** Feeds chunks; returns the first non-need-more result with `rest` plus all later chunks. */
function feed(chunks: Buffer[], opts?: { maxBytes?: number }) {
  const p = new ProxyHeaderParser(opts);
  for (let i = 0; i < chunks.length; i++) {
    const r = p.push(chunks[i]!);
    if (r.kind === 'need-more') continue;
    const rest = r.kind === 'done' ? Buffer.concat([r.rest, ...chunks.slice(i + 1)]) : undefined;
    return { result: r, rest, at: i };
  }
  return { result: { kind: 'need-more' } as ProxyParse, rest: undefined, at: chunks.length };
}
const whole = (b: Buffer, opts?: { maxBytes?: number }) => feed([b], opts).result;
const bytewise = (b: Buffer) => feed([...b].map((x) => Buffer.from([x])));
const message = (r: ProxyParse) => (r.kind === 'error' ? r.message : `no error: ${r.kind}`);

const v2 = (verCmd: number, fam: number, body: number[]) =>
  Buffer.from([...SIG, verCmd, fam, body.length >> 8, body.length & 0xff, ...body]);
const tcp4Body = [192, 168, 0, 1, 192, 168, 0, 11, 0xdc, 0x04, 0x01, 0xbb];

describe('ProxyHeaderParser v1', () => {
  it("reads the spec's example before an HTTP request", () => {
    const http = 'GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n';
    const r = whole(latin1(`PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n${http}`));
    expect(r.kind).toBe('done');
    if (r.kind !== 'done') return;
    expect(r.header).toEqual({
      version: 1,
      command: 'proxy',
      addresses: {
        family: 'tcp4',
        sourceAddress: '192.168.0.1',
        destinationAddress: '192.168.0.11',
        sourcePort: 56324,
        destinationPort: 443,
      },
      tlvs: [],
    });
    expect(r.rest.toString('latin1')).toBe(http);
  });
  it("accepts the spec's longest lines and UNKNOWN with anything before CRLF", () => {
    const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const six = whole(latin1(`PROXY TCP6 ${f} ${f} 65535 65535\r\n`));
    expect(six.kind === 'done' && six.header.addresses).toMatchObject({ family: 'tcp6', sourceAddress: f });
    expect(whole(latin1('PROXY UNKNOWN\r\n'))).toMatchObject({
      kind: 'done',
      header: { addresses: { family: 'unknown' } },
    });
    const worst = latin1(`PROXY UNKNOWN ${f} ${f} 65535 65535\r\n`);
    expect(worst.length).toBe(107);
    expect(whole(worst)).toMatchObject({ kind: 'done', rest: Buffer.alloc(0) });
    expect(whole(latin1('PROXY UNKNOWN \x01\xff junk\r\n')).kind).toBe('done');
  });
  it('spells IPv6 canonically and folds an IPv4-mapped pair into tcp4', () => {
    const r = whole(latin1('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:10.0.0.2 1 2\r\n'));
    expect(r.kind === 'done' && r.header.addresses).toMatchObject({
      family: 'tcp6',
      sourceAddress: '2001:db8::1',
      destinationAddress: '::ffff:a00:2',
    });
    const m = whole(latin1('PROXY TCP6 ::ffff:10.0.0.1 ::ffff:10.0.0.2 1 2\r\n'));
    expect(m.kind === 'done' && m.header.addresses).toMatchObject({
      family: 'tcp4',
      sourceAddress: '10.0.0.1',
    });
  });
  it('fails on a line longer than 107 bytes without CRLF, at byte 107', () => {
    const long = latin1(`PROXY UNKNOWN ${'a'.repeat(200)}\r\n`);
    const p = new ProxyHeaderParser();
    expect(p.push(long.subarray(0, 106)).kind).toBe('need-more');
    expect(message(p.push(long.subarray(106, 107)))).toMatch(/no CRLF within the first 107 bytes/);
    expect(message(whole(long))).toMatch(/107/);
  });
  it.each([
    ['port 65536', 'PROXY TCP4 1.1.1.1 2.2.2.2 65536 80\r\n', /source port "65536"/],
    ['leading zero port', 'PROXY TCP4 1.1.1.1 2.2.2.2 80 080\r\n', /destination port "080"/],
    [
      'address 300.1.1.1',
      'PROXY TCP4 300.1.1.1 2.2.2.2 1 2\r\n',
      /source address "300.1.1.1" is not an IPv4/,
    ],
    ['leading zero octet', 'PROXY TCP4 1.1.1.1 2.2.2.02 1 2\r\n', /destination address "2.2.2.02"/],
    ['IPv6 in TCP4', 'PROXY TCP4 ::1 2.2.2.2 1 2\r\n', /not an IPv4/],
    ['IPv4 in TCP6', 'PROXY TCP6 1.1.1.1 ::1 1 2\r\n', /not an IPv6/],
    ['zone id', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', /fe80::1%eth0/],
    ['double space', 'PROXY TCP4 1.1.1.1  2.2.2.2 1 2\r\n', /two spaces at byte 18/],
    ['trailing space', 'PROXY TCP4 1.1.1.1 2.2.2.2 1 2 \r\n', /7 fields/],
    ['missing port', 'PROXY TCP4 1.1.1.1 2.2.2.2 1\r\n', /5 fields/],
    ['LF only', 'PROXY TCP4 1.1.1.1 2.2.2.2 1 2\n', /LF but no CR/],
    ['lowercase protocol', 'PROXY tcp4 1.1.1.1 2.2.2.2 1 2\r\n', /protocol "tcp4"/],
    ['UDP4', 'PROXY UDP4 1.1.1.1 2.2.2.2 1 2\r\n', /protocol "UDP4"/],
    ['UNKNOWNX', 'PROXY UNKNOWNX\r\n', /protocol "UNKNOWNX"/],
    ['lone CR in a field', 'PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r3\r\n', /destination port/],
  ])('rejects %s', (_name, line, want) => {
    const r = whole(latin1(line));
    expect(r).toMatchObject({ kind: 'error', code: 'RL_BAD_PROXY_HEADER' });
    expect(message(r)).toMatch(want);
  });
});

describe('ProxyHeaderParser on headers captured from HAProxy 2.6.12', () => {
  // `server ... send-proxy` and `send-proxy-v2 proxy-v2-options unique-id`, each followed by "hi".
  it.each([
    [
      '50524f58592054435034203132372e302e302e31203132372e302e302e312033383434362031373030310d0a6869',
      {
        version: 1,
        family: 'tcp4',
        sourceAddress: '127.0.0.1',
        sourcePort: 38446,
        destinationPort: 17001,
        tlvs: [],
      },
    ],
    [
      '50524f58592054435036203a3a31203a3a312034333038382031373030330d0a6869',
      {
        version: 1,
        family: 'tcp6',
        sourceAddress: '::1',
        sourcePort: 43088,
        destinationPort: 17003,
        tlvs: [],
      },
    ],
    [
      '0d0a0d0a000d0a515549540a2111000f7f0000017f000001af36426a0500006869',
      {
        version: 2,
        family: 'tcp4',
        sourceAddress: '127.0.0.1',
        sourcePort: 44854,
        destinationPort: 17002,
        tlvs: [{ type: 5, value: Buffer.alloc(0) }],
      },
    ],
  ])('%s', (wire, want) => {
    const { version, tlvs, ...addr } = want;
    for (const r of [feed([Buffer.from(wire, 'hex')]), bytewise(Buffer.from(wire, 'hex'))]) {
      expect(r.result).toMatchObject({
        kind: 'done',
        header: { version, command: 'proxy', addresses: addr, tlvs },
      });
      expect(r.rest).toEqual(latin1('hi'));
    }
  });
});

describe('ProxyHeaderParser detection', () => {
  it('fails on a garbage first byte at once, without waiting for more', () => {
    for (const b of ['G', '\x16', '\0', 'p']) {
      expect(new ProxyHeaderParser().push(latin1(b))).toMatchObject({
        kind: 'error',
        code: 'RL_BAD_PROXY_HEADER',
      });
    }
    expect(message(whole(latin1('GET / HTTP/1.1\r\n')))).toMatch(/first byte 0x47/);
  });
  it('fails at the first byte that cannot continue "PROXY " or the v2 signature', () => {
    const p = new ProxyHeaderParser();
    expect(p.push(latin1('PROX')).kind).toBe('need-more');
    expect(message(p.push(latin1('I')))).toMatch(/byte 4 is 0x49/);
    const q = new ProxyHeaderParser();
    expect(q.push(Buffer.from(SIG.slice(0, 7))).kind).toBe('need-more');
    expect(message(q.push(Buffer.from([0x52])))).toMatch(/byte 7 is 0x52, not the v2 signature/);
    expect(new ProxyHeaderParser().push(Buffer.alloc(0)).kind).toBe('need-more');
  });
  it('keeps returning the same result after done or error', () => {
    const p = new ProxyHeaderParser();
    const done = p.push(latin1('PROXY UNKNOWN\r\nab'));
    expect(p.push(latin1('cd'))).toBe(done);
    const q = new ProxyHeaderParser();
    const bad = q.push(latin1('X'));
    expect(q.push(latin1('PROXY UNKNOWN\r\n'))).toBe(bad);
  });
  it('refuses a maxBytes too small for a v1 line', () => {
    expect(() => new ProxyHeaderParser({ maxBytes: 107 })).toThrow(RangeError);
    expect(() => new ProxyHeaderParser({ maxBytes: 108 })).not.toThrow();
  });
});

describe('ProxyHeaderParser v2', () => {
  it("reads the spec's TCP4 layout, LOCAL and TLVs", () => {
    const r = whole(Buffer.concat([v2(0x21, 0x11, tcp4Body), latin1('hello')]));
    expect(r).toMatchObject({
      kind: 'done',
      header: {
        version: 2,
        command: 'proxy',
        addresses: { family: 'tcp4', sourceAddress: '192.168.0.1', sourcePort: 56324, destinationPort: 443 },
        tlvs: [],
      },
      rest: latin1('hello'),
    });
    expect(whole(v2(0x20, 0x00, []))).toMatchObject({
      kind: 'done',
      header: { command: 'local', addresses: { family: 'unknown' } },
    });
    // LOCAL ignores the addresses but still skips them to reach the TLVs (section 2.2).
    const local = whole(v2(0x20, 0x11, [...tcp4Body, 0x04, 0x00, 0x01, 0xaa]));
    expect(local).toMatchObject({
      kind: 'done',
      header: { command: 'local', addresses: { family: 'unknown' } },
    });
    expect(local.kind === 'done' && local.header.tlvs).toEqual([{ type: 4, value: Buffer.from([0xaa]) }]);
    const authority = [0x02, 0x00, 0x0b, ...latin1('example.com')];
    const t = whole(v2(0x21, 0x11, [...tcp4Body, ...authority, 0x04, 0x00, 0x00]));
    expect(t.kind === 'done' && t.header.tlvs).toEqual([
      { type: 2, value: latin1('example.com') },
      { type: 4, value: Buffer.alloc(0) },
    ]);
    expect(whole(v2(0x21, 0x00, [1, 2, 3]))).toMatchObject({
      kind: 'done',
      header: { addresses: { family: 'unknown' } },
    });
  });
  it.each([
    ['version 1', v2(0x11, 0x11, tcp4Body), /version 1 \(byte 12 is 0x11\), expected 2/],
    ['command 2', v2(0x22, 0x11, tcp4Body), /command 2/],
    ['UDP over IPv4', v2(0x21, 0x12, tcp4Body), /UDP over IPv4 \(byte 13 is 0x12\) is not supported/],
    ['UDP over IPv6', v2(0x21, 0x22, new Array(36).fill(0)), /UDP over IPv6/],
    ['UNIX stream', v2(0x21, 0x31, new Array(216).fill(0)), /UNIX stream/],
    ['family 0x41', v2(0x21, 0x41, []), /unassigned family\/transport 0x41/],
    ['short address block', v2(0x21, 0x21, tcp4Body), /length 12 is shorter than the 36-byte address block/],
    ['truncated TLV header', v2(0x21, 0x11, [...tcp4Body, 0x04, 0x00]), /truncated TLV at byte 28/],
    [
      'truncated TLV value',
      v2(0x21, 0x11, [...tcp4Body, 0x04, 0x00, 0x05, 1, 2]),
      /declares 5 bytes but only 2/,
    ],
  ])('rejects %s', (_name, bytes, want) => {
    const r = whole(bytes);
    expect(r).toMatchObject({ kind: 'error', code: 'RL_BAD_PROXY_HEADER' });
    expect(message(r)).toMatch(want);
  });
  it('fails a length over maxBytes once the 16 fixed bytes are in, not after the body', () => {
    const big = v2(0x21, 0x11, [...tcp4Body, 0x04, 0x01, 0x00, ...new Array(256).fill(0)]);
    const p = new ProxyHeaderParser({ maxBytes: 200 });
    expect(p.push(big.subarray(0, 15)).kind).toBe('need-more');
    expect(message(p.push(big.subarray(15, 16)))).toMatch(/287 bytes declared, over the limit of 200/);
    expect(whole(big).kind).toBe('done');
    expect(message(whole(Buffer.from([...SIG, 0x21, 0x11, 0xff, 0xff])))).toMatch(
      /65551 bytes declared, over the limit of 4096/,
    );
  });
});

const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
const samples: Buffer[] = [
  latin1('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'),
  latin1(`PROXY TCP6 ${f} ::1 65535 0\r\n`),
  latin1(`PROXY UNKNOWN ${'x'.repeat(90)}\r\n`),
  latin1(`PROXY UNKNOWN ${'x'.repeat(95)}\r\n`),
  latin1('PROXY TCP4 1.1.1.1 2.2.2.2 1 2\n'),
  latin1('PROXY TCP4 1.1.1.1  2.2.2.2 1 2\r\n'),
  latin1('PROXYTCP4'),
  latin1('PROXY TCP4 300.1.1.1 2.2.2.2 1 65536\r\n'),
  v2(0x21, 0x11, tcp4Body),
  v2(0x20, 0x00, [0x04, 0x00, 0x00]),
  v2(0x21, 0x21, new Array(36).fill(7)),
  v2(0x11, 0x11, tcp4Body),
  v2(0x21, 0x12, tcp4Body),
  v2(0x21, 0x11, [...tcp4Body, 0x04, 0x00, 0x05, 1, 2]),
  Buffer.from([...SIG, 0x21, 0x11, 0xff, 0xff]),
  Buffer.from([...SIG.slice(0, 5), 0x0a]),
];

describe('ProxyHeaderParser chunking', () => {
  it.each(samples.map((s, i) => [i, s] as const))(
    'sample %i one byte at a time equals one chunk',
    (_i, s) => {
      const one = feed([s]);
      const bytes = bytewise(s);
      expect(bytes.result).toEqual(one.result);
      expect(bytes.rest).toEqual(one.rest);
    },
  );
});

const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const addresses: fc.Arbitrary<ProxyAddresses> = fc.oneof(
  fc.record({
    family: fc.constant('tcp4' as const),
    sourceAddress: ipv4,
    destinationAddress: ipv4,
    sourcePort: fc.nat(65535),
    destinationPort: fc.nat(65535),
  }),
  fc.record({
    family: fc.constant('tcp6' as const),
    sourceAddress: ipv6,
    destinationAddress: ipv6,
    sourcePort: fc.nat(65535),
    destinationPort: fc.nat(65535),
  }),
);
const tlvs = fc.array(
  fc.record({ type: fc.nat(255), value: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)) }),
  { maxLength: 6 },
);

/** Independent oracle for the spelling: WHATWG URL serialises IPv6 hex-only, RFC 5952-compressed. */
function expected(a: ProxyAddresses): ProxyAddresses {
  if (a.family !== 'tcp6') return a;
  const c = (x: string) => new URL(`http://[${x}]`).hostname.slice(1, -1);
  const mapped = (x: string) => {
    const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(x);
    if (m === null) return undefined;
    const n = (Number.parseInt(m[1]!, 16) << 16) | Number.parseInt(m[2]!, 16);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  };
  const s = c(a.sourceAddress);
  const d = c(a.destinationAddress);
  const s4 = mapped(s);
  const d4 = mapped(d);
  if (s4 !== undefined && d4 !== undefined)
    return { ...a, family: 'tcp4', sourceAddress: s4, destinationAddress: d4 };
  return { ...a, sourceAddress: s, destinationAddress: d };
}

function split(b: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, b.length]) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  return out;
}

describe('ProxyHeaderParser round trip', () => {
  it('parse(encodeProxyV1/V2(x)) is x, in any chunking, with trailing bytes as rest', () => {
    fc.assert(
      fc.property(
        addresses,
        tlvs,
        fc.boolean(),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (addr, ts, useV2, trailing, cuts) => {
          const header = useV2 ? encodeProxyV2(addr, ts) : encodeProxyV1(addr);
          const wire = Buffer.concat([header, trailing]);
          const { result, rest } = feed(split(wire, cuts));
          expect(result).toMatchObject({ kind: 'done' });
          if (result.kind !== 'done') return;
          expect(result.header).toEqual({
            version: useV2 ? 2 : 1,
            command: 'proxy',
            addresses: expected(addr),
            tlvs: useV2 ? ts : [],
          });
          expect(rest).toEqual(Buffer.from(trailing));
        },
      ),
      { numRuns: 500 },
    );
  });
  it('LOCAL with TLVs round-trips through encodeProxyV2', () => {
    fc.assert(
      fc.property(tlvs, (ts) => {
        const r = whole(encodeProxyV2({ family: 'unknown' }, ts));
        expect(r).toEqual({
          kind: 'done',
          header: { version: 2, command: 'local', addresses: { family: 'unknown' }, tlvs: ts },
          rest: Buffer.alloc(0),
        });
      }),
    );
  });
});
