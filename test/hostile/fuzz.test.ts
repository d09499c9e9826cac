// Hostile input to every codec and parser that sees data from outside the process: znode
// payloads (backend, config, stats, the ACL owners note), HTTP requests (hash keys, request
// facts, x-forwarded-for) and the node configuration. The rule: nothing throws past the codec,
// every rejection carries a catalogued code, and nothing pollutes Object.prototype.
// (packages/core has the format-by-format codec properties; this file adds hostile shapes:
// depth bombs, prototype keys, numbers at the edges, broken UTF-8, huge and empty inputs.)
import {
  CORE_ERRORS,
  DEFAULT_CLUSTER_CONFIG,
  decodeBackend,
  decodeClusterConfig,
  encodeBackend,
  keyOf,
  parseHashSource,
  requestFacts,
  requestHash,
  validateBackend,
} from '@ringleader/core';
import { forwardedFor, parseTrustedProxies, validateNodeConfig } from '@ringleader/node';
import {
  applyConfigRead,
  buildMembershipSnapshot,
  DecodeMemo,
  decodeStats,
  mergePatch,
  parseOwnersNote,
  planBackendUpdate,
  planConfigUpdate,
  ZK_ERRORS,
} from '@ringleader/zk';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

const CODES = new Set([...Object.keys(CORE_ERRORS), ...Object.keys(ZK_ERRORS)]);
const PATH = '/ringleader/default/backends/b1';

/** No property of Object.prototype may appear or change under hostile input. */
const protoKeys = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
afterEach(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort().join(',')).toBe(protoKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

function expectCoded(e: { code: string; message: string }): void {
  expect(CODES.has(e.code), `uncatalogued code ${e.code}`).toBe(true);
  expect(e.message.length).toBeGreaterThan(0);
}

// ---- hostile JSON shapes ------------------------------------------------------------------

const depthBomb = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth);
const objectBomb = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const protoKeysPayload = fc.constantFrom(
  '{"__proto__":{"polluted":1},"host":"10.0.0.1","port":80}',
  '{"host":"10.0.0.1","port":80,"meta":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}}',
  '{"constructor":{"prototype":{"polluted":1}},"host":"h","port":1}',
  '{"host":"h","port":1,"labels":{"__proto__":"x"}}',
  '{"policy":"round-robin","__proto__":{"polluted":1}}',
  '{"policy":"hash","hash":{"source":"header","name":"__proto__"}}',
);
const edgeNumbers = fc.constantFrom(
  '1e309',
  '-0',
  '0.1',
  '65535.0000000001',
  '9007199254740993',
  '-1',
  '1e-400',
  '123456789012345678901234567890',
);
const brokenText = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.constantFrom(
    Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // BOM + {}
    Buffer.from([0xc3, 0x28]), // invalid UTF-8
    Buffer.from('{"host":"\ud800","port":80}'), // lone surrogate
    Buffer.from('{"host":"a\u0000b","port":80}'),
    Buffer.from('{"host":"10.0.0.1","port":80}\u0000garbage'),
    Buffer.alloc(0),
    Buffer.alloc(70 * 1024, 0x20), // over the 64 KiB limit
    Buffer.from(`{"host":"${'h'.repeat(66_000)}","port":80}`),
  ),
);
const hostilePayload = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.integer({ min: 1, max: 20_000 }).map((d) => Buffer.from(depthBomb(d))),
  fc.integer({ min: 1, max: 10_000 }).map((d) => Buffer.from(objectBomb(d))),
  protoKeysPayload.map((s) => Buffer.from(s)),
  edgeNumbers.map((n) => Buffer.from(`{"host":"10.0.0.1","port":${n},"weight":${n}}`)),
  brokenText,
);

describe('backend and config codecs under hostile payloads', () => {
  it('decodeBackendNeverThrowsAndEveryRejectionHasACode', () => {
    fc.assert(
      fc.property(hostilePayload, fc.string({ maxLength: 300 }), (data, id) => {
        const r = decodeBackend(id, data, PATH);
        if (r.ok) {
          expect(Number.isInteger(r.value.port)).toBe(true);
          expect(r.value.port).toBeGreaterThanOrEqual(1);
          expect(r.value.port).toBeLessThanOrEqual(65535);
          expect(Object.isFrozen(r.value)).toBe(true);
        } else expectCoded(r.error);
      }),
      { numRuns: 1500 },
    );
  });

  it('aDepthBombAtThePayloadLimitIsRejectedNotAStackOverflow', () => {
    // 32 Ki of '[' plus ']' is exactly 64 KiB: the largest depth that passes the size check.
    for (const data of [depthBomb(32 * 1024), objectBomb(12_000), depthBomb(32 * 1024, '{"a":', '}')]) {
      const b = decodeBackend('b1', data, PATH);
      expect(b.ok).toBe(false);
      if (!b.ok) expectCoded(b.error);
      const c = decodeClusterConfig(data, PATH);
      expect(c.ok).toBe(false);
      if (!c.ok) expectCoded(c.error);
    }
  });

  it('prototypeKeysInPayloadsNeverPolluteAndNeverLeakIntoTheBackend', () => {
    fc.assert(
      fc.property(protoKeysPayload, (text) => {
        const r = decodeBackend('b1', text, PATH);
        if (r.ok) {
          expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
          expect((r.value as unknown as Record<string, unknown>).polluted).toBeUndefined();
        }
        const c = decodeClusterConfig(text, PATH);
        if (!c.ok) expectCoded(c.error);
      }),
      { numRuns: 50 },
    );
  });

  it('decodeClusterConfigNeverThrowsAndEveryRejectionHasACode', () => {
    const nearConfig = fc.record(
      {
        policy: fc.oneof(fc.constantFrom('round-robin', 'hash', 'maglev', 'consistent-hash'), fc.jsonValue()),
        hash: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ source: fc.string(), name: fc.string() })),
        ring: fc.jsonValue({ maxDepth: 2 }),
        healthCheck: fc.jsonValue({ maxDepth: 2 }),
        retries: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          hostilePayload,
          nearConfig.map((o) => Buffer.from(JSON.stringify(o))),
        ),
        (data) => {
          const r = decodeClusterConfig(data, '/ringleader/default/config');
          if (!r.ok) expectCoded(r.error);
          else expect(Object.isFrozen(r.value)).toBe(true);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('encodeAndValidateBackendNeverThrowOnArbitraryObjects', () => {
    fc.assert(
      fc.property(fc.anything({ maxDepth: 3 }), (v) => {
        const e = encodeBackend(v as never);
        if (!e.ok) expectCoded(e.error);
        const b = validateBackend('b1', v, PATH);
        if (!b.ok) expectCoded(b.error);
      }),
      { numRuns: 800 },
    );
  });

  it('parseHashSourceNeverThrows', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const r = parseHashSource(text);
        if (!r.ok) expectCoded(r.error);
      }),
      { numRuns: 800 },
    );
  });
});

// ---- request side ------------------------------------------------------------------------

const headerValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(fc.string({ unit: 'binary', maxLength: 50 }), { maxLength: 5 }),
  fc.constant(undefined),
  fc.constant('a'.repeat(70_000)),
  fc.constant('%'.repeat(1000)),
  fc.constant('; ;=; ="\\"; a=%ZZ; a=%E0%A4%A'),
);
const hostileRequest = fc.record({
  remoteAddress: fc.oneof(fc.constant(undefined), fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 60 })),
  remotePort: fc.oneof(fc.constant(undefined), fc.integer({ min: -1, max: 70_000 })),
  method: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 20 })),
  url: fc.oneof(
    fc.constant(undefined),
    fc.string({ unit: 'binary', maxLength: 400 }),
    fc.constant(`/?${'a=1&'.repeat(5000)}`),
    fc.constant('/%ZZ?q=%E0%A4%A&q=%00'),
    fc.constant('http://evil.test:99999/x?y'),
    fc.constant('//\\\\..\\..'),
  ),
  headers: fc.dictionary(
    fc.oneof(
      fc.constantFrom('cookie', 'x-user', 'host', 'x-forwarded-for', '__proto__', 'constructor'),
      fc.string({ maxLength: 20 }),
    ),
    headerValue,
    { maxKeys: 8 },
  ),
});
const hashSource = fc.oneof(
  fc.constant({ kind: 'ip' as const }),
  fc.constant({ kind: 'ip' as const, withPort: true }),
  fc.constant({ kind: 'path' as const }),
  fc.record({ kind: fc.constant('header' as const), name: fc.string({ maxLength: 30 }) }),
  fc.record({ kind: fc.constant('cookie' as const), name: fc.string({ maxLength: 30 }) }),
  fc.record({ kind: fc.constant('query' as const), name: fc.string({ maxLength: 30 }) }),
);

describe('hash keys and request facts under hostile requests', () => {
  it('theHashKeyExtractorsNeverThrowAndAlwaysGiveA32BitPosition', () => {
    fc.assert(
      fc.property(hostileRequest, hashSource, (req, source) => {
        const facts = requestFacts(req as never);
        const key = keyOf(source as never, facts);
        expect(key === undefined || (typeof key === 'string' && key !== '')).toBe(true);
        const h = requestHash(source as never, facts, () => 0.5);
        expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
        void facts.method;
        void facts.host;
        void facts.clientPort;
      }),
      { numRuns: 1500 },
    );
  });

  it('spoofedXForwardedForFromAnUntrustedPeerNeverBecomesTheClientIp', () => {
    const trust = parseTrustedProxies(['10.0.0.0/8']);
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.oneof(
          headerValue,
          fc.array(fc.ipV4()).map((a) => a.join(', ')),
        ),
        (peer, xff) => {
          const fwd = forwardedFor(peer, xff as never, trust);
          if (!peer.startsWith('10.')) {
            expect(fwd.clientIp).toBe(peer);
            expect(fwd.header).toBe(peer);
            expect(fwd.peerTrusted).toBe(false);
          } else expect(typeof fwd.clientIp).toBe('string');
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('parseTrustedProxiesRejectsJunkWithACodeAndNeverTrustsIt', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 4 }), (list) => {
        try {
          parseTrustedProxies(list);
        } catch (err) {
          expect((err as { code?: string }).code).toBe('RL_BAD_CONFIG');
        }
      }),
      { numRuns: 800 },
    );
  });
});

// ---- ZooKeeper-side logic ------------------------------------------------------------------

describe('membership, config and stats logic under hostile znodes', () => {
  const child = fc.record({
    data: hostilePayload,
    mzxid: fc.bigInt({ min: 0n, max: 2n ** 63n }),
  });

  it('aMembershipSnapshotIsAlwaysBuiltAndEveryExcludedChildCarriesItsPathAndACode', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }), child, { maxKeys: 12 }),
        fc.bigInt({ min: 0n, max: 2n ** 63n }),
        (children, pzxid) => {
          const memo = new DecodeMemo((id, data, path) => decodeBackend(id, data, path));
          const view = { parent: { pzxid }, children: new Map(Object.entries(children)) };
          const snap = buildMembershipSnapshot(view, '/ringleader/default/backends', (id, path, e) =>
            memo.get(id, path, e),
          );
          expect(snap.backends.length + snap.rejected.length).toBe(Object.keys(children).length);
          for (const r of snap.rejected) {
            expectCoded(r);
            expect(r.path).toBe(`/ringleader/default/backends/${r.id}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('aConfigFlippingBetweenValidAndGarbageAlwaysKeepsTheLastGoodOne', () => {
    const good = Buffer.from('{"policy":"least-connections"}');
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(good), hostilePayload), { maxLength: 30 }), (reads) => {
        let prev: ReturnType<typeof applyConfigRead>['next'] | undefined;
        let lastGood = DEFAULT_CLUSTER_CONFIG.policy;
        for (const [i, data] of reads.entries()) {
          const step = applyConfigRead(
            prev,
            { kind: 'data', data, mzxid: BigInt(i + 1) },
            DEFAULT_CLUSTER_CONFIG,
            (d, p) => decodeClusterConfig(d, p),
            '/ringleader/default/config',
          );
          if (step.rejection) {
            expectCoded(step.rejection);
            expect(step.next.config.policy).toBe(lastGood);
          } else lastGood = step.next.config.policy;
          prev = step.next;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('peerStatsAndTheOwnersNoteNeverThrowNorChangeAnObjectsPrototype', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostilePayload,
          fc.constant(
            Buffer.from('{"at":1,"backends":{"__proto__":{"ewmaMs":1,"inFlight":1,"requests":1}}}'),
          ),
          fc.constant(Buffer.from('{"aclOwners":["a:b","__proto__","x"]}')),
        ),
        (data) => {
          const s = decodeStats('lb-2', data);
          if (s.ok) expect(Object.getPrototypeOf(s.value.summary.backends)).toBe(Object.prototype);
          else expect(typeof s.error).toBe('string');
          for (const id of parseOwnersNote(data)) expect(id).toMatch(/^[^:\s]+:.+$/);
        },
      ),
      { numRuns: 800 },
    );
  });

  it('adminPlansNeverThrowOnHostileStoredPayloadsOrPatches', () => {
    fc.assert(
      fc.property(hostilePayload, fc.jsonValue({ maxDepth: 3 }), (stored, patch) => {
        const b = planBackendUpdate('b1', stored, patch as never, PATH);
        if (!b.ok) expectCoded(b.error);
        const c = planConfigUpdate(stored, (patch ?? {}) as never, '/ringleader/default/config');
        if (!c.ok) expectCoded(c.error);
        void mergePatch(JSON.parse('{"__proto__":{"polluted":1}}'), patch);
      }),
      { numRuns: 800 },
    );
  });
});

// ---- node configuration ------------------------------------------------------------------

describe('node configuration under hostile files and environments', () => {
  it('validateNodeConfigNeverThrowsAndNamesTheKeyOfEveryProblem', () => {
    const rawValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 80 }));
    const raw = fc.dictionary(
      fc.oneof(
        fc.constantFrom(
          'nodeId',
          'zookeeper',
          'proxy',
          'admin',
          'limits',
          'timeouts',
          'routing',
          'trustedProxies',
          '__proto__',
        ),
        fc.string({ maxLength: 12 }),
      ),
      fc.oneof(rawValue, fc.dictionary(fc.string({ maxLength: 12 }), rawValue, { maxKeys: 4 })),
      { maxKeys: 8 },
    );
    fc.assert(
      fc.property(raw, (r) => {
        const res = validateNodeConfig(r as Record<string, unknown>, (k) => `test ${k}`);
        if (!res.ok) {
          expect(res.issues.length).toBeGreaterThan(0);
          for (const i of res.issues) {
            expect(i.key.length).toBeGreaterThan(0);
            expect(i.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
