import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterConfig, HashSource } from '../types.js';
import {
  DEFAULT_CLUSTER_CONFIG,
  decodeClusterConfig,
  encodeClusterConfig,
  formatHashSource,
  parseHashSource,
  validateClusterConfig,
} from './config.js';

const PATH = '/ringleader/default/config';

function decoded(v: unknown): ClusterConfig {
  const r = decodeClusterConfig(JSON.stringify(v), PATH);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code} ${r.error.field}: ${r.error.message}`);
  return r.value;
}

function failure(v: unknown): [string, string | undefined] {
  const r = decodeClusterConfig(typeof v === 'string' ? v : JSON.stringify(v), PATH);
  if (r.ok) throw new Error(`expected a failure for ${JSON.stringify(v)}`);
  expect(r.error.path).toBe(PATH);
  return [r.error.code, r.error.field];
}

describe('decodeClusterConfig', () => {
  it('fills in every default', () => {
    expect(decoded({ policy: 'round-robin' })).toEqual(DEFAULT_CLUSTER_CONFIG);
    expect(DEFAULT_CLUSTER_CONFIG).toEqual({
      policy: 'round-robin',
      ring: { vnodes: 160 },
      maglev: {},
      lrt: { decayMs: 10_000 },
      healthCheck: {
        path: '/healthz',
        intervalMs: 2000,
        timeoutMs: 1000,
        rise: 2,
        fall: 3,
        expectStatus: [200, 399],
      },
      outlier: { consecutiveFailures: 5, baseEjectionMs: 10_000, maxEjectionMs: 300_000 },
      retries: 2,
    });
    const c = decoded({ policy: 'least-response-time', lrt: { decayMs: 5000 }, healthCheck: { rise: 1 } });
    expect([c.lrt.decayMs, c.healthCheck.rise, c.healthCheck.fall, c.healthCheck.path]).toEqual([
      5000,
      1,
      3,
      '/healthz',
    ]);
  });

  it('returns deeply frozen values', () => {
    const c = decoded({ policy: 'consistent-hash', hash: { source: 'ip' }, ring: { loadFactor: 1.25 } });
    expect(Object.isFrozen(c) && Object.isFrozen(c.ring) && Object.isFrozen(c.hash)).toBe(true);
    expect(Object.isFrozen(c.healthCheck.expectStatus)).toBe(true);
    expect(Object.isFrozen(DEFAULT_CLUSTER_CONFIG.outlier)).toBe(true);
  });

  it('accepts every policy; hash policies need a hash', () => {
    for (const policy of [
      'round-robin',
      'weighted-round-robin',
      'least-response-time',
      'least-connections',
    ]) {
      expect(decoded({ policy }).policy).toBe(policy);
    }
    for (const policy of ['hash', 'consistent-hash', 'maglev']) {
      expect(failure({ policy })).toEqual(['RL_BAD_HASH_SOURCE', 'hash']);
      expect(decoded({ policy, hash: { source: 'header', name: 'X-User' } }).hash).toEqual({
        kind: 'header',
        name: 'x-user',
      });
      expect(decoded({ policy, hash: 'cookie:sid' }).hash).toEqual({ kind: 'cookie', name: 'sid' });
    }
  });

  it('maps every hash source', () => {
    const cases: [unknown, HashSource][] = [
      [{ source: 'ip' }, { kind: 'ip' }],
      [
        { source: 'ip', withPort: true },
        { kind: 'ip', withPort: true },
      ],
      [{ source: 'ip', withPort: false }, { kind: 'ip' }],
      [
        { source: 'header', name: 'x-tenant' },
        { kind: 'header', name: 'x-tenant' },
      ],
      [
        { source: 'cookie', name: 'SESSION' },
        { kind: 'cookie', name: 'SESSION' },
      ],
      [{ source: 'path' }, { kind: 'path' }],
      [
        { source: 'query', name: 'uid' },
        { kind: 'query', name: 'uid' },
      ],
    ];
    for (const [hash, want] of cases) expect(decoded({ policy: 'maglev', hash }).hash).toEqual(want);
  });

  const bad: [name: string, config: unknown, code: string, field: string][] = [
    ['not an object', [1], 'RL_BAD_CONFIG', '$'],
    ['no policy', {}, 'RL_BAD_CONFIG', 'policy'],
    ['unknown policy', { policy: 'random' }, 'RL_UNKNOWN_POLICY', 'policy'],
    ['policy not a string', { policy: 3 }, 'RL_UNKNOWN_POLICY', 'policy'],
    ['unknown top-level key', { policy: 'hash', hash: 'ip', retry: 3 }, 'RL_BAD_CONFIG', 'retry'],
    ['unknown ring key', { policy: 'round-robin', ring: { vnode: 40 } }, 'RL_BAD_CONFIG', 'ring.vnode'],
    [
      'unknown healthCheck key',
      { policy: 'round-robin', healthCheck: { interval: 1 } },
      'RL_BAD_CONFIG',
      'healthCheck.interval',
    ],
    ['unknown outlier key', { policy: 'round-robin', outlier: { max: 1 } }, 'RL_BAD_CONFIG', 'outlier.max'],
    ['section not an object', { policy: 'round-robin', ring: 160 }, 'RL_BAD_CONFIG', 'ring'],
    [
      'hash source unknown',
      { policy: 'hash', hash: { source: 'body' } },
      'RL_BAD_HASH_SOURCE',
      'hash.source',
    ],
    ['hash source missing', { policy: 'hash', hash: { name: 'x' } }, 'RL_BAD_HASH_SOURCE', 'hash.source'],
    [
      'hash header without name',
      { policy: 'hash', hash: { source: 'header' } },
      'RL_BAD_HASH_SOURCE',
      'hash.name',
    ],
    [
      'hash cookie empty name',
      { policy: 'hash', hash: { source: 'cookie', name: '' } },
      'RL_BAD_HASH_SOURCE',
      'hash.name',
    ],
    [
      'hash query without name',
      { policy: 'hash', hash: { source: 'query' } },
      'RL_BAD_HASH_SOURCE',
      'hash.name',
    ],
    [
      'hash header bad name',
      { policy: 'hash', hash: { source: 'header', name: 'a b' } },
      'RL_BAD_HASH_SOURCE',
      'hash.name',
    ],
    [
      'hash ip with name',
      { policy: 'hash', hash: { source: 'ip', name: 'x' } },
      'RL_BAD_HASH_SOURCE',
      'hash.name',
    ],
    [
      'hash withPort off ip',
      { policy: 'hash', hash: { source: 'path', withPort: true } },
      'RL_BAD_HASH_SOURCE',
      'hash.withPort',
    ],
    [
      'hash withPort not boolean',
      { policy: 'hash', hash: { source: 'ip', withPort: 1 } },
      'RL_BAD_HASH_SOURCE',
      'hash.withPort',
    ],
    [
      'hash unknown key',
      { policy: 'hash', hash: { source: 'ip', port: true } },
      'RL_BAD_HASH_SOURCE',
      'hash.port',
    ],
    ['hash bad short form', { policy: 'hash', hash: 'header' }, 'RL_BAD_HASH_SOURCE', 'hash.name'],
    ['hash not an object', { policy: 'hash', hash: 5 }, 'RL_BAD_HASH_SOURCE', 'hash'],
    [
      'bad hash under a non-hash policy',
      { policy: 'round-robin', hash: { source: 'x' } },
      'RL_BAD_HASH_SOURCE',
      'hash.source',
    ],
    ['vnodes 0', { policy: 'round-robin', ring: { vnodes: 0 } }, 'RL_BAD_CONFIG', 'ring.vnodes'],
    ['vnodes 1001', { policy: 'round-robin', ring: { vnodes: 1001 } }, 'RL_BAD_CONFIG', 'ring.vnodes'],
    ['vnodes fractional', { policy: 'round-robin', ring: { vnodes: 1.5 } }, 'RL_BAD_CONFIG', 'ring.vnodes'],
    ['loadFactor 1', { policy: 'round-robin', ring: { loadFactor: 1 } }, 'RL_BAD_CONFIG', 'ring.loadFactor'],
    [
      'loadFactor 10.5',
      { policy: 'round-robin', ring: { loadFactor: 10.5 } },
      'RL_BAD_CONFIG',
      'ring.loadFactor',
    ],
    [
      'loadFactor string',
      { policy: 'round-robin', ring: { loadFactor: '1.25' } },
      'RL_BAD_CONFIG',
      'ring.loadFactor',
    ],
    [
      'tableSize not prime',
      { policy: 'round-robin', maglev: { tableSize: 65536 } },
      'RL_BAD_CONFIG',
      'maglev.tableSize',
    ],
    [
      'tableSize below 100',
      { policy: 'round-robin', maglev: { tableSize: 97 } },
      'RL_BAD_CONFIG',
      'maglev.tableSize',
    ],
    [
      'tableSize too big',
      { policy: 'round-robin', maglev: { tableSize: 10_000_019 } },
      'RL_BAD_CONFIG',
      'maglev.tableSize',
    ],
    ['decayMs 99', { policy: 'round-robin', lrt: { decayMs: 99 } }, 'RL_BAD_CONFIG', 'lrt.decayMs'],
    ['decayMs 600001', { policy: 'round-robin', lrt: { decayMs: 600_001 } }, 'RL_BAD_CONFIG', 'lrt.decayMs'],
    [
      'check path relative',
      { policy: 'round-robin', healthCheck: { path: 'healthz' } },
      'RL_BAD_CONFIG',
      'healthCheck.path',
    ],
    [
      'check path with space',
      { policy: 'round-robin', healthCheck: { path: '/a b' } },
      'RL_BAD_CONFIG',
      'healthCheck.path',
    ],
    [
      'interval 99',
      { policy: 'round-robin', healthCheck: { intervalMs: 99 } },
      'RL_BAD_CONFIG',
      'healthCheck.intervalMs',
    ],
    [
      'timeout 9',
      { policy: 'round-robin', healthCheck: { timeoutMs: 9 } },
      'RL_BAD_CONFIG',
      'healthCheck.timeoutMs',
    ],
    [
      'timeout > interval',
      { policy: 'round-robin', healthCheck: { timeoutMs: 3000 } },
      'RL_BAD_CONFIG',
      'healthCheck.timeoutMs',
    ],
    ['rise 0', { policy: 'round-robin', healthCheck: { rise: 0 } }, 'RL_BAD_CONFIG', 'healthCheck.rise'],
    ['fall 101', { policy: 'round-robin', healthCheck: { fall: 101 } }, 'RL_BAD_CONFIG', 'healthCheck.fall'],
    [
      'expectStatus one value',
      { policy: 'round-robin', healthCheck: { expectStatus: [200] } },
      'RL_BAD_CONFIG',
      'healthCheck.expectStatus',
    ],
    [
      'expectStatus reversed',
      { policy: 'round-robin', healthCheck: { expectStatus: [300, 200] } },
      'RL_BAD_CONFIG',
      'healthCheck.expectStatus',
    ],
    [
      'expectStatus 600',
      { policy: 'round-robin', healthCheck: { expectStatus: [200, 600] } },
      'RL_BAD_CONFIG',
      'healthCheck.expectStatus',
    ],
    [
      'failures -1',
      { policy: 'round-robin', outlier: { consecutiveFailures: -1 } },
      'RL_BAD_CONFIG',
      'outlier.consecutiveFailures',
    ],
    [
      'base 99',
      { policy: 'round-robin', outlier: { baseEjectionMs: 99 } },
      'RL_BAD_CONFIG',
      'outlier.baseEjectionMs',
    ],
    [
      'max < base',
      { policy: 'round-robin', outlier: { baseEjectionMs: 5000, maxEjectionMs: 4000 } },
      'RL_BAD_CONFIG',
      'outlier.maxEjectionMs',
    ],
    ['retries 11', { policy: 'round-robin', retries: 11 }, 'RL_BAD_CONFIG', 'retries'],
    ['retries -1', { policy: 'round-robin', retries: -1 }, 'RL_BAD_CONFIG', 'retries'],
    ['retries string', { policy: 'round-robin', retries: '2' }, 'RL_BAD_CONFIG', 'retries'],
  ];
  it.each(bad)('%s → %s (field %s)', (_name, config, code, field) => {
    expect(failure(config)).toEqual([code, field]);
  });

  it('accepts every bound itself', () => {
    const c = decoded({
      policy: 'consistent-hash',
      hash: { source: 'ip', withPort: true },
      ring: { vnodes: 1000, loadFactor: 10 },
      maglev: { tableSize: 101 },
      lrt: { decayMs: 600_000 },
      healthCheck: {
        path: '/',
        intervalMs: 100,
        timeoutMs: 100,
        rise: 100,
        fall: 1,
        expectStatus: [100, 599],
      },
      outlier: { consecutiveFailures: 0, baseEjectionMs: 100, maxEjectionMs: 100 },
      retries: 0,
    });
    expect([c.ring, c.maglev, c.retries, c.outlier.consecutiveFailures]).toEqual([
      { vnodes: 1000, loadFactor: 10 },
      { tableSize: 101 },
      0,
      0,
    ]);
    expect(
      decoded({ policy: 'maglev', hash: 'ip', ring: { vnodes: 1, loadFactor: 1.0001 }, retries: 10 }).ring
        .vnodes,
    ).toBe(1);
    expect(decoded({ policy: 'maglev', hash: 'ip', maglev: { tableSize: 65537 } }).maglev.tableSize).toBe(
      65537,
    );
  });

  it('reports payload problems with the payload codes', () => {
    expect(failure('{"policy":')[0]).toBe('RL_BAD_JSON');
    expect(decodeClusterConfig(null).ok).toBe(false);
    expect(failure(`{"policy":"round-robin","x":"${'y'.repeat(70_000)}"}`)[0]).toBe('RL_PAYLOAD_TOO_LARGE');
  });

  it('never throws on random JSON, and every failure has a code', () => {
    const CODES = new Set(['RL_BAD_JSON', 'RL_BAD_CONFIG', 'RL_UNKNOWN_POLICY', 'RL_BAD_HASH_SOURCE']);
    const near = fc.record(
      {
        policy: fc.oneof(
          fc.constantFrom('hash', 'maglev', 'round-robin', 'least-connections'),
          fc.jsonValue(),
        ),
        hash: fc.oneof(fc.constantFrom('ip', 'header:x', 'path'), fc.jsonValue({ maxDepth: 2 })),
        ring: fc.oneof(fc.record({ vnodes: fc.jsonValue({ maxDepth: 1 }) }), fc.jsonValue({ maxDepth: 2 })),
        healthCheck: fc.dictionary(
          fc.constantFrom('path', 'rise', 'fall', 'expectStatus', 'timeoutMs'),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        retries: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), near), (v) => {
        const r = decodeClusterConfig(JSON.stringify(v));
        if (!r.ok) {
          expect(CODES.has(r.error.code)).toBe(true);
          expect(typeof r.error.field === 'string' || r.error.code === 'RL_BAD_JSON').toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('encodeClusterConfig', () => {
  it('writes every field out and round-trips', () => {
    const c = decoded({
      policy: 'consistent-hash',
      hash: 'header:X-User',
      ring: { vnodes: 40, loadFactor: 1.25 },
    });
    const text = encodeClusterConfig(c);
    expect(text.ok).toBe(true);
    if (!text.ok) return;
    expect(JSON.parse(text.value)).toMatchObject({
      policy: 'consistent-hash',
      hash: { source: 'header', name: 'x-user' },
      ring: { vnodes: 40, loadFactor: 1.25 },
      retries: 2,
    });
    expect(decoded(JSON.parse(text.value))).toEqual(c);
  });

  it('validates first', () => {
    const r = encodeClusterConfig({ ...DEFAULT_CLUSTER_CONFIG, retries: 99 });
    expect(r.ok ? undefined : [r.error.code, r.error.field]).toEqual(['RL_BAD_CONFIG', 'retries']);
    const h = encodeClusterConfig({ ...DEFAULT_CLUSTER_CONFIG, policy: 'maglev' });
    expect(h.ok ? undefined : h.error.code).toBe('RL_BAD_HASH_SOURCE');
  });

  it('validateClusterConfig takes parsed values', () => {
    expect(validateClusterConfig({ policy: 'least-connections' }).ok).toBe(true);
  });
});

describe('parseHashSource / formatHashSource', () => {
  const good: [string, HashSource][] = [
    ['ip', { kind: 'ip' }],
    ['ip:port', { kind: 'ip', withPort: true }],
    [' IP:Port ', { kind: 'ip', withPort: true }],
    ['header:X-Tenant', { kind: 'header', name: 'x-tenant' }],
    ['cookie:SID', { kind: 'cookie', name: 'SID' }],
    ['path', { kind: 'path' }],
    ['query:user', { kind: 'query', name: 'user' }],
  ];
  it.each(good)('%s', (text, want) => {
    expect(parseHashSource(text)).toEqual({ ok: true, value: want });
  });

  it.each([
    '',
    'body',
    'ip:host',
    'header',
    'header:',
    'header:a b',
    'cookie:a;b',
    'query:',
    'path:x',
    'query:a&b',
  ])('rejects %j with RL_BAD_HASH_SOURCE', (text) => {
    const r = parseHashSource(text);
    expect(r.ok ? undefined : r.error.code).toBe('RL_BAD_HASH_SOURCE');
  });

  it('format is the inverse of parse', () => {
    const source = fc.oneof(
      fc.constant<HashSource>({ kind: 'ip' }),
      fc.constant<HashSource>({ kind: 'ip', withPort: true }),
      fc.constant<HashSource>({ kind: 'path' }),
      fc.stringMatching(/^[a-z0-9-]{1,20}$/).map((name): HashSource => ({ kind: 'header', name })),
      fc.stringMatching(/^[A-Za-z0-9_]{1,20}$/).map((name): HashSource => ({ kind: 'cookie', name })),
      fc.stringMatching(/^[A-Za-z0-9_.~-]{1,20}$/).map((name): HashSource => ({ kind: 'query', name })),
    );
    fc.assert(
      fc.property(source, (h) => {
        expect(parseHashSource(formatHashSource(h))).toEqual({ ok: true, value: h });
      }),
    );
  });
});
