import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../types.js';
import { checkBackendId, decodeBackend, encodeBackend, MAX_PAYLOAD_BYTES } from './backend.js';

const PATH = '/ringleader/default/backends/b1';
const json = (v: unknown) => JSON.stringify(v);

function decoded(data: Parameters<typeof decodeBackend>[1], id = 'b1'): Backend {
  const r = decodeBackend(id, data, PATH);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { x: v };
  return v;
}

describe('decodeBackend: the four formats', () => {
  it('native, with defaults filled in', () => {
    expect(decoded(json({ host: '10.0.0.1', port: 8080 }))).toEqual({
      id: 'b1',
      host: '10.0.0.1',
      port: 8080,
      weight: 1,
      state: 'active',
      format: 'native',
    });
    expect(
      decoded(
        json({
          host: 'api-1.internal',
          port: 80,
          weight: 0,
          state: 'draining',
          zone: 'eu-1a',
          meta: { v: 2 },
        }),
      ),
    ).toEqual({
      id: 'b1',
      host: 'api-1.internal',
      port: 80,
      weight: 0,
      state: 'draining',
      zone: 'eu-1a',
      meta: { v: 2 },
      format: 'native',
    });
  });

  it('Twitter ServerSet member: only ALIVE routes, status and shard kept in meta', () => {
    const member = {
      serviceEndpoint: { host: '10.0.0.2', port: 31000 },
      additionalEndpoints: { admin: { host: '10.0.0.2', port: 31001 } },
      status: 'ALIVE',
      shard: 3,
    };
    expect(decoded(json(member))).toEqual({
      id: 'b1',
      host: '10.0.0.2',
      port: 31000,
      weight: 1,
      state: 'active',
      meta: { status: 'ALIVE', shard: 3, additionalEndpoints: { admin: { host: '10.0.0.2', port: 31001 } } },
      format: 'serverset',
    });
    for (const status of ['STARTING', 'STOPPING', 'STOPPED', 'WARNING', 'DEAD']) {
      expect(decoded(json({ ...member, status })).state).toBe('draining');
    }
  });

  it('Airbnb Nerve entry', () => {
    const b = decoded(json({ host: '10.0.0.3', port: 8000, name: 'i-abc', weight: 5, labels: { az: 'b' } }));
    expect(b).toEqual({
      id: 'b1',
      host: '10.0.0.3',
      port: 8000,
      weight: 5,
      state: 'active',
      meta: { name: 'i-abc', labels: { az: 'b' } },
      format: 'nerve',
    });
    // Nerve writes extra keys we do not model; they are ignored.
    expect(decoded(json({ host: 'h', port: 1, name: 'n', haproxy_server_options: 'backup' })).format).toBe(
      'nerve',
    );
  });

  it('Curator x-discovery instance: enabled false drains, sslPort alone means TLS', () => {
    const instance = {
      name: 'api',
      id: '8d3c-4b1f',
      address: '10.0.0.4',
      port: 9000,
      sslPort: null,
      payload: { version: '1.2' },
      registrationTimeUTC: 1700000000000,
      serviceType: 'DYNAMIC',
      uriSpec: null,
      enabled: true,
    };
    expect(decoded(json(instance))).toEqual({
      id: 'b1',
      host: '10.0.0.4',
      port: 9000,
      weight: 1,
      state: 'active',
      meta: { instanceId: '8d3c-4b1f', service: 'api', payload: { version: '1.2' } },
      format: 'curator',
    });
    expect(decoded(json({ ...instance, enabled: false })).state).toBe('draining');
    const tls = decoded(json({ ...instance, port: null, sslPort: 9443 }));
    expect([tls.port, tls.meta?.tls]).toEqual([9443, true]);
    expect(decoded(json({ address: 'h', port: 1 })).state).toBe('active'); // old instances lack `enabled`
  });

  it('accepts Buffer, Uint8Array and string; strips brackets from IPv6', () => {
    const text = json({ host: '[::1]', port: 80 });
    for (const data of [text, Buffer.from(text), new TextEncoder().encode(text)]) {
      expect(decoded(data).host).toBe('::1');
    }
    expect(decoded(json({ host: 'fe80::1:2', port: 80 })).host).toBe('fe80::1:2');
    expect(decoded(json({ host: 'svc_a.local.', port: 80 })).host).toBe('svc_a.local.');
  });

  it('freezes the backend and its meta, deeply', () => {
    const b = decoded(json({ host: 'h', port: 1, meta: { a: { b: [1, { c: 2 }] } } }));
    expect(Object.isFrozen(b)).toBe(true);
    expect(Object.isFrozen(b.meta)).toBe(true);
    const a = b.meta?.a as { b: [number, { c: number }] };
    expect(Object.isFrozen(a) && Object.isFrozen(a.b) && Object.isFrozen(a.b[1])).toBe(true);
  });
});

describe('decodeBackend: every malformed payload class', () => {
  const big = json({ host: 'h', port: 1, meta: { pad: 'x'.repeat(MAX_PAYLOAD_BYTES) } });
  const cases: [name: string, data: Parameters<typeof decodeBackend>[1], code: string, field?: string][] = [
    ['no data', null, 'RL_BAD_JSON'],
    ['undefined data', undefined, 'RL_BAD_JSON'],
    ['empty', '', 'RL_BAD_JSON'],
    ['whitespace only', ' \n\t', 'RL_BAD_JSON'],
    ['not JSON', '{host: "a"', 'RL_BAD_JSON'],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'RL_BAD_JSON'],
    ['over 64 KiB (string)', big, 'RL_PAYLOAD_TOO_LARGE'],
    ['over 64 KiB (bytes)', Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20), 'RL_PAYLOAD_TOO_LARGE'],
    ['array', '[1,2]', 'RL_BAD_BACKEND_PAYLOAD', '$'],
    ['number', '42', 'RL_BAD_BACKEND_PAYLOAD', '$'],
    ['JSON null', 'null', 'RL_BAD_BACKEND_PAYLOAD', '$'],
    ['string', '"10.0.0.1:80"', 'RL_BAD_BACKEND_PAYLOAD', '$'],
    ['unknown shape', json({ endpoint: 'x' }), 'RL_BAD_BACKEND_PAYLOAD', '$'],
    ['missing host', json({ port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['empty host', json({ host: '', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['blank host', json({ host: '   ', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['host with a space', json({ host: 'a b', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['host with illegal chars', json({ host: 'a$b', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['host with a scheme', json({ host: 'http://a', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    [
      'overlong host',
      json({ host: `${'a'.repeat(60)}.`.repeat(5), port: 80 }),
      'RL_BAD_BACKEND_PAYLOAD',
      'host',
    ],
    ['overlong label', json({ host: 'a'.repeat(64), port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['bad IPv4', json({ host: '300.1.1.1', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['short IPv4', json({ host: '10.1.1', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['bad IPv6', json({ host: '[::g]', port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['host not a string', json({ host: 5, port: 80 }), 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    ['port missing', json({ host: 'h' }), 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    ['port 0', json({ host: 'h', port: 0 }), 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    ['port 65536', json({ host: 'h', port: 65536 }), 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    ['port fractional', json({ host: 'h', port: 80.5 }), 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    ['port as a string', json({ host: 'h', port: '8080' }), 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    ['weight negative', json({ host: 'h', port: 1, weight: -1 }), 'RL_BAD_BACKEND_PAYLOAD', 'weight'],
    ['weight over 1000', json({ host: 'h', port: 1, weight: 1001 }), 'RL_BAD_BACKEND_PAYLOAD', 'weight'],
    ['weight fractional', json({ host: 'h', port: 1, weight: 1.5 }), 'RL_BAD_BACKEND_PAYLOAD', 'weight'],
    ['weight as a string', json({ host: 'h', port: 1, weight: '2' }), 'RL_BAD_BACKEND_PAYLOAD', 'weight'],
    ['unknown state', json({ host: 'h', port: 1, state: 'up' }), 'RL_BAD_BACKEND_PAYLOAD', 'state'],
    ['empty zone', json({ host: 'h', port: 1, zone: '' }), 'RL_BAD_BACKEND_PAYLOAD', 'zone'],
    ['meta not an object', json({ host: 'h', port: 1, meta: [1] }), 'RL_BAD_BACKEND_PAYLOAD', 'meta'],
    ['meta too deep', json({ host: 'h', port: 1, meta: nested(40) }), 'RL_BAD_BACKEND_PAYLOAD', 'meta'],
    ['native typo', json({ host: 'h', port: 1, wieght: 2 }), 'RL_BAD_BACKEND_PAYLOAD', 'wieght'],
    [
      'ServerSet without status',
      json({ serviceEndpoint: { host: 'h', port: 1 } }),
      'RL_BAD_BACKEND_PAYLOAD',
      'status',
    ],
    [
      'ServerSet unknown status',
      json({ serviceEndpoint: { host: 'h', port: 1 }, status: 'alive' }),
      'RL_BAD_BACKEND_PAYLOAD',
      'status',
    ],
    [
      'ServerSet endpoint not an object',
      json({ serviceEndpoint: 'h:1', status: 'ALIVE' }),
      'RL_BAD_BACKEND_PAYLOAD',
      'serviceEndpoint',
    ],
    [
      'ServerSet bad host',
      json({ serviceEndpoint: { host: '', port: 1 }, status: 'ALIVE' }),
      'RL_BAD_BACKEND_PAYLOAD',
      'serviceEndpoint.host',
    ],
    [
      'ServerSet bad port',
      json({ serviceEndpoint: { host: 'h', port: 0 }, status: 'ALIVE' }),
      'RL_BAD_BACKEND_PAYLOAD',
      'serviceEndpoint.port',
    ],
    [
      'ServerSet bad shard',
      json({ serviceEndpoint: { host: 'h', port: 1 }, status: 'ALIVE', shard: -1 }),
      'RL_BAD_BACKEND_PAYLOAD',
      'shard',
    ],
    [
      'ServerSet bad additionalEndpoints',
      json({ serviceEndpoint: { host: 'h', port: 1 }, status: 'ALIVE', additionalEndpoints: [] }),
      'RL_BAD_BACKEND_PAYLOAD',
      'additionalEndpoints',
    ],
    ['Nerve empty name', json({ host: 'h', port: 1, name: '' }), 'RL_BAD_BACKEND_PAYLOAD', 'name'],
    [
      'Nerve bad weight',
      json({ host: 'h', port: 1, name: 'n', weight: 2000 }),
      'RL_BAD_BACKEND_PAYLOAD',
      'weight',
    ],
    [
      'Nerve bad labels',
      json({ host: 'h', port: 1, name: 'n', labels: 'x' }),
      'RL_BAD_BACKEND_PAYLOAD',
      'labels',
    ],
    ['Curator empty address', json({ address: '', port: 1 }), 'RL_BAD_BACKEND_PAYLOAD', 'address'],
    ['Curator no port', json({ address: 'h', port: null, sslPort: null }), 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    ['Curator bad sslPort', json({ address: 'h', sslPort: 70000 }), 'RL_BAD_BACKEND_PAYLOAD', 'sslPort'],
    [
      'Curator bad enabled',
      json({ address: 'h', port: 1, enabled: 'yes' }),
      'RL_BAD_BACKEND_PAYLOAD',
      'enabled',
    ],
    ['Curator bad id', json({ address: 'h', port: 1, id: 5 }), 'RL_BAD_BACKEND_PAYLOAD', 'id'],
  ];

  it.each(cases)('%s → %s (field %s)', (_name, data, code, field) => {
    const r = decodeBackend('b1', data, PATH);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.field).toBe(field);
    expect(r.error.path).toBe(PATH);
    if (field !== undefined && field !== '$') expect(r.error.message).toContain(field);
  });

  it.each([
    ['http://127.0.0.1', /is a URL: give the host alone/],
    ['127.0.0.1:80', /has a port in it: give the host \("127\.0\.0\.1"\) and the port \(80\) apart/],
    ['web-1.internal:8080', /has a port in it/],
    ['fe80::zz', /is not a valid IPv6 address/],
  ])('host %s names the actual mistake', (host, message) => {
    const r = decodeBackend('b1', json({ host, port: 80 }), PATH);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toMatch(message);
  });

  it('still takes IPv6 literals with and without brackets', () => {
    expect(decodeBackend('b1', json({ host: '::1', port: 80 }), PATH).ok).toBe(true);
    expect(decodeBackend('b1', json({ host: '[2001:db8::1]', port: 80 }), PATH).ok).toBe(true);
  });

  const badIds: [string, unknown][] = [
    ['empty', ''],
    ['dot', '.'],
    ['dot dot', '..'],
    ['slash', 'a/b'],
    ['space', 'a b'],
    ['tab', 'a\tb'],
    ['control char', 'a\u0001'],
    ['C1 control', 'a\u0085'],
    ['zero-width space', 'a\u200bb'],
    ['surrogate pair (ZooKeeper forbids)', 'a\u{1f600}'],
    ['too long', 'x'.repeat(256)],
    ['not a string', 42],
  ];
  it.each(badIds)('backend id: %s → RL_BAD_BACKEND_ID', (_name, id) => {
    const r = decodeBackend(id as string, json({ host: 'h', port: 1 }), PATH);
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.error.field]).toEqual(['RL_BAD_BACKEND_ID', 'id']);
  });

  it('accepts the ids registration tools produce', () => {
    for (const id of [
      'member_0000000007',
      'api_0000000012',
      '8d3c4b1f-0c2e-4c1a-9a54-07d1b2c0ffee',
      'x'.repeat(255),
      'é-ß',
    ]) {
      expect(checkBackendId(id).ok).toBe(true);
    }
  });
});

describe('decodeBackend never throws', () => {
  const CODES = new Set([
    'RL_BAD_JSON',
    'RL_PAYLOAD_TOO_LARGE',
    'RL_BAD_BACKEND_PAYLOAD',
    'RL_BAD_BACKEND_ID',
  ]);
  const settles = (id: string, data: Parameters<typeof decodeBackend>[1]) => {
    const r = decodeBackend(id, data, PATH);
    if (r.ok) {
      expect(Object.isFrozen(r.value)).toBe(true);
      expect(r.value.port >= 1 && r.value.port <= 65535).toBe(true);
    } else {
      expect(CODES.has(r.error.code)).toBe(true);
      if (r.error.code === 'RL_BAD_BACKEND_PAYLOAD') expect(typeof r.error.field).toBe('string');
    }
  };

  it('on random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => settles('b1', JSON.stringify(v))),
      { numRuns: 500 },
    );
  });

  it('on random objects close to the known shapes', () => {
    const keys = fc.constantFrom(
      'host',
      'port',
      'weight',
      'state',
      'zone',
      'meta',
      'name',
      'labels',
      'serviceEndpoint',
      'status',
      'shard',
      'additionalEndpoints',
      'address',
      'sslPort',
      'enabled',
      'payload',
      'id',
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('10.0.0.1', 'ALIVE', 'draining', 80, 1, 0, 65535, true, false, null),
      fc.record({ host: fc.jsonValue({ maxDepth: 1 }), port: fc.jsonValue({ maxDepth: 1 }) }),
    );
    fc.assert(
      fc.property(fc.dictionary(keys, value), (o) => settles('b1', JSON.stringify(o))),
      { numRuns: 2000 },
    );
  });

  it('on random bytes and random ids', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.uint8Array({ maxLength: 300 }),
        (id, bytes) => settles(id, bytes),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('encodeBackend', () => {
  it('writes canonical native JSON with weight and state explicit', () => {
    const r = encodeBackend({ port: 80, host: '[::1]', meta: { a: 1 }, zone: 'z1' });
    expect(r).toEqual({
      ok: true,
      value: '{"host":"::1","port":80,"weight":1,"state":"active","zone":"z1","meta":{"a":1}}',
    });
  });

  it('validates first, with the same codes and fields', () => {
    const bad = encodeBackend({ host: 'h', port: 70000 });
    expect(bad.ok ? undefined : [bad.error.code, bad.error.field]).toEqual([
      'RL_BAD_BACKEND_PAYLOAD',
      'port',
    ]);
    const typo = encodeBackend({ host: 'h', port: 1, wieght: 3 } as never);
    expect(typo.ok ? undefined : typo.error.field).toBe('wieght');
    const nan = encodeBackend({ host: 'h', port: 1, meta: { x: Number.NaN } });
    expect(nan.ok ? undefined : nan.error.field).toBe('meta');
    const fn = encodeBackend({ host: 'h', port: 1, meta: { f: () => 1 } });
    expect(fn.ok ? undefined : fn.error.field).toBe('meta');
    const big = encodeBackend({ host: 'h', port: 1, meta: { pad: 'x'.repeat(MAX_PAYLOAD_BYTES) } });
    expect(big.ok ? undefined : big.error.code).toBe('RL_PAYLOAD_TOO_LARGE');
  });

  it('re-encodes a decoded backend of any format as native, and round-trips', () => {
    const b = decoded(json({ serviceEndpoint: { host: 'h', port: 9 }, status: 'STOPPING', shard: 1 }));
    const text = encodeBackend(b);
    expect(text.ok).toBe(true);
    if (!text.ok) return;
    expect({ ...decoded(text.value) }).toEqual({ ...b, format: 'native' });
  });

  it('round-trips random valid native backends', () => {
    const input = fc.record(
      {
        host: fc.constantFrom('10.0.0.1', 'a.b-c.d', '::1', 'svc_x'),
        port: fc.integer({ min: 1, max: 65535 }),
        weight: fc.integer({ min: 0, max: 1000 }),
        state: fc.constantFrom('active' as const, 'draining' as const),
        zone: fc.constantFrom('eu-1a', 'us-east-2b'),
        meta: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })),
      },
      { requiredKeys: ['host', 'port'] },
    );
    fc.assert(
      fc.property(input, (x) => {
        const text = encodeBackend(x);
        expect(text.ok).toBe(true);
        if (!text.ok) return;
        const b = decoded(text.value);
        expect(encodeBackend(b)).toEqual(text);
        expect([b.host, b.port, b.weight ?? 1]).toEqual([x.host, x.port, x.weight ?? 1]);
      }),
      { numRuns: 300 },
    );
  });
});
