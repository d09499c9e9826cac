import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeService, encodeService, SERVICE_DEFAULTS, serviceToJson, validateService } from './service.js';

const base = { protocol: 'tcp', listen: 5433, policy: 'round-robin' };

function bad(value: unknown, name = 'pg') {
  const r = validateService(name, value, `/ringleader/default/services/${name}`);
  if (r.ok) throw new Error(`expected a rejection of ${JSON.stringify(value)}`);
  return r.error;
}

describe('service codec: defaults', () => {
  it('fills in every default of a minimal tcp service', () => {
    const r = validateService('pg', base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.value;
    expect(d).toMatchObject({
      name: 'pg',
      protocol: 'tcp',
      listen: 5433,
      acceptProxyProtocol: false,
      drainTimeoutMs: SERVICE_DEFAULTS.drainTimeoutMs,
      timeouts: SERVICE_DEFAULTS.timeouts,
    });
    expect(d.routing.policy).toBe('round-robin');
    expect(d.routing.retries).toBe(2);
    expect(d.healthCheck).toMatchObject({ kind: 'tcp', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 });
    expect(Object.isFrozen(d) && Object.isFrozen(d.healthCheck) && Object.isFrozen(d.routing.ring)).toBe(
      true,
    );
  });

  it.each([
    ['http', 'http'],
    ['tcp', 'tcp'],
    ['redis', 'redis'],
  ])('a %s service is checked by kind %s unless told otherwise', (protocol, kind) => {
    const policy = protocol === 'redis' ? 'consistent-hash' : 'round-robin';
    const r = validateService('s', { protocol, listen: 7000, policy });
    expect(r.ok && r.value.healthCheck.kind).toBe(kind);
  });

  it('takes every field', () => {
    const r = validateService('pg', {
      ...base,
      policy: 'maglev',
      hash: 'ip:port',
      maglev: { tableSize: 65537 },
      retries: 0,
      healthCheck: {
        kind: 'http',
        path: '/primary',
        port: 8008,
        intervalMs: 500,
        timeoutMs: 200,
        rise: 1,
        fall: 1,
      },
      timeouts: { connectMs: 100, idleMs: 60_000, maxDurationMs: 3_600_000, queueMs: 0, proxyHeaderMs: 500 },
      maxConnectionsPerBackend: 50,
      proxyProtocol: 'v2',
      acceptProxyProtocol: true,
      drainTimeoutMs: 0,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.routing.hash).toEqual({ kind: 'ip', withPort: true });
    expect(r.value.healthCheck).toMatchObject({
      kind: 'http',
      path: '/primary',
      port: 8008,
      intervalMs: 500,
    });
    expect(r.value.timeouts.maxDurationMs).toBe(3_600_000);
    expect(r.value).toMatchObject({
      maxConnectionsPerBackend: 50,
      proxyProtocol: 'v2',
      acceptProxyProtocol: true,
    });
  });

  it('a redis check may require a primary', () => {
    const r = validateService('cache', {
      protocol: 'redis',
      listen: 6380,
      policy: 'consistent-hash',
      healthCheck: { role: 'master' },
    });
    expect(r.ok && r.value.healthCheck).toMatchObject({ kind: 'redis', role: 'master' });
  });
});

describe('service codec: rejections name the field and the code', () => {
  it.each([
    { case: 'not an object', value: [1], field: '$', code: 'RL_BAD_SERVICE' },
    {
      case: 'unknown top-level key',
      value: { ...base, colour: 'blue' },
      field: 'colour',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'no protocol',
      value: { listen: 1, policy: 'round-robin' },
      field: 'protocol',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'unknown protocol',
      value: { ...base, protocol: 'udp' },
      field: 'protocol',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'no listen',
      value: { protocol: 'tcp', policy: 'round-robin' },
      field: 'listen',
      code: 'RL_BAD_SERVICE',
    },
    { case: 'listen a string', value: { ...base, listen: '5433' }, field: 'listen', code: 'RL_BAD_SERVICE' },
    { case: 'listen 0', value: { ...base, listen: 0 }, field: 'listen', code: 'RL_BAD_SERVICE' },
    { case: 'listen 65536', value: { ...base, listen: 65536 }, field: 'listen', code: 'RL_BAD_SERVICE' },
    { case: 'no policy', value: { protocol: 'tcp', listen: 1 }, field: 'policy', code: 'RL_BAD_SERVICE' },
    {
      case: 'unknown policy',
      value: { ...base, policy: 'fastest' },
      field: 'policy',
      code: 'RL_UNKNOWN_POLICY',
    },
    {
      case: 'hash policy without hash',
      value: { ...base, policy: 'maglev' },
      field: 'hash',
      code: 'RL_BAD_HASH_SOURCE',
    },
    {
      case: 'layer-7 hash on tcp',
      value: { ...base, policy: 'hash', hash: 'header:x-user' },
      field: 'hash',
      code: 'RL_BAD_HASH_SOURCE',
    },
    {
      case: 'ring vnodes out of bounds',
      value: { ...base, ring: { vnodes: 0 } },
      field: 'ring.vnodes',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'unknown ring key',
      value: { ...base, ring: { vnode: 40 } },
      field: 'ring.vnode',
      code: 'RL_BAD_SERVICE',
    },
    { case: 'retries 11', value: { ...base, retries: 11 }, field: 'retries', code: 'RL_BAD_SERVICE' },
    {
      case: 'unknown check key',
      value: { ...base, healthCheck: { kinds: 'tcp' } },
      field: 'healthCheck.kinds',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'unknown check kind',
      value: { ...base, healthCheck: { kind: 'mysql' } },
      field: 'healthCheck.kind',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'path on a tcp check',
      value: { ...base, healthCheck: { path: '/x' } },
      field: 'healthCheck.path',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'port on a redis check',
      value: { ...base, healthCheck: { kind: 'redis', port: 1 } },
      field: 'healthCheck.port',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'role on a tcp check',
      value: { ...base, healthCheck: { role: 'master' } },
      field: 'healthCheck.role',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'role other than master',
      value: { ...base, healthCheck: { kind: 'redis', role: 'replica' } },
      field: 'healthCheck.role',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'check timeout over interval',
      value: { ...base, healthCheck: { intervalMs: 100, timeoutMs: 200 } },
      field: 'healthCheck.timeoutMs',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'timeouts not an object',
      value: { ...base, timeouts: 5 },
      field: 'timeouts',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'unknown timeout',
      value: { ...base, timeouts: { readMs: 5 } },
      field: 'timeouts.readMs',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'connectMs 0',
      value: { ...base, timeouts: { connectMs: 0 } },
      field: 'timeouts.connectMs',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'idleMs too small',
      value: { ...base, timeouts: { idleMs: 10 } },
      field: 'timeouts.idleMs',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'cap 0',
      value: { ...base, maxConnectionsPerBackend: 0 },
      field: 'maxConnectionsPerBackend',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'proxyProtocol v3',
      value: { ...base, proxyProtocol: 'v3' },
      field: 'proxyProtocol',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'acceptProxyProtocol a string',
      value: { ...base, acceptProxyProtocol: 'yes' },
      field: 'acceptProxyProtocol',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'PROXY on http',
      value: { ...base, protocol: 'http', proxyProtocol: 'v1' },
      field: 'proxyProtocol',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'drain negative',
      value: { ...base, drainTimeoutMs: -1 },
      field: 'drainTimeoutMs',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'redis with round robin',
      value: { protocol: 'redis', listen: 6380, policy: 'round-robin' },
      field: 'policy',
      code: 'RL_BAD_SERVICE',
    },
    {
      case: 'redis with a hash',
      value: { protocol: 'redis', listen: 6380, policy: 'maglev', hash: 'ip' },
      field: 'hash',
      code: 'RL_BAD_HASH_SOURCE',
    },
  ])('$case → $code at $field', ({ value, field, code }) => {
    const e = bad(value);
    expect(e.code).toBe(code);
    expect(e.field).toBe(field);
    expect(e.path).toBe('/ringleader/default/services/pg');
    expect(e.message).toContain(`: ${field} `);
  });

  it('checks the name, and keeps "default" for the top-level service', () => {
    expect(bad(base, 'default').message).toMatch(/top-level backends/);
    expect(bad(base, 'has space').field).toBe('name');
    expect(bad(base, '').field).toBe('name');
  });

  it('decodes payloads: bad JSON and oversized payloads keep their codes', () => {
    expect(decodeService('pg', Buffer.from('{"protocol":')).ok).toBe(false);
    const r = decodeService('pg', Buffer.from('{"protocol":'));
    expect(!r.ok && r.error.code).toBe('RL_BAD_JSON');
    const big = decodeService('pg', Buffer.alloc(70_000, 32));
    expect(!big.ok && big.error.code).toBe('RL_PAYLOAD_TOO_LARGE');
    const good = decodeService('pg', Buffer.from(JSON.stringify(base)));
    expect(good.ok).toBe(true);
  });
});

describe('service codec: round trip', () => {
  const tcpHash = fc.constantFrom(undefined, 'ip', 'ip:port');
  const arbService = fc.oneof(
    fc.record({
      protocol: fc.constantFrom('tcp', 'http'),
      listen: fc.integer({ min: 1, max: 65535 }),
      policy: fc.constantFrom(
        'round-robin',
        'least-connections',
        'consistent-hash',
        'maglev',
        'least-response-time',
      ),
      hash: tcpHash,
      retries: fc.integer({ min: 0, max: 10 }),
      ring: fc.record({ vnodes: fc.integer({ min: 1, max: 1000 }) }),
      healthCheck: fc.record({
        kind: fc.constantFrom('tcp', 'postgres', 'http', 'redis'),
        intervalMs: fc.integer({ min: 1000, max: 5000 }),
        timeoutMs: fc.integer({ min: 10, max: 1000 }),
        rise: fc.integer({ min: 1, max: 100 }),
        fall: fc.integer({ min: 1, max: 100 }),
      }),
      timeouts: fc.record(
        {
          connectMs: fc.integer({ min: 1, max: 600_000 }),
          idleMs: fc.integer({ min: 1000, max: 86_400_000 }),
          maxDurationMs: fc.integer({ min: 1000, max: 604_800_000 }),
          queueMs: fc.integer({ min: 0, max: 600_000 }),
        },
        { requiredKeys: [] },
      ),
      maxConnectionsPerBackend: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
      drainTimeoutMs: fc.integer({ min: 0, max: 3_600_000 }),
    }),
    fc.record({
      protocol: fc.constant('redis'),
      listen: fc.integer({ min: 1, max: 65535 }),
      policy: fc.constantFrom('consistent-hash', 'maglev'),
      healthCheck: fc.record({ role: fc.constant('master') }, { requiredKeys: [] }),
      proxyProtocol: fc.constantFrom(undefined, 'v1', 'v2'),
      acceptProxyProtocol: fc.boolean(),
    }),
  );

  it('decode(encode(d)) equals d for every valid definition', () => {
    fc.assert(
      fc.property(arbService, (raw) => {
        const input = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
        const needsHash =
          input.protocol !== 'redis' && ['consistent-hash', 'maglev'].includes(input.policy as string);
        if (needsHash && input.hash === undefined) input.hash = 'ip';
        const r = validateService('svc-1', input);
        if (!r.ok) return; // combinations the rules refuse (e.g. an http check on tcp is fine; redis check kinds too)
        const enc = encodeService(r.value);
        expect(enc.ok).toBe(true);
        if (!enc.ok) return;
        const back = decodeService('svc-1', Buffer.from(enc.value));
        expect(back.ok && back.value).toEqual(r.value);
        expect(serviceToJson(r.value)).toEqual(JSON.parse(enc.value));
      }),
      { numRuns: 300 },
    );
  });

  it('the generated definitions are mostly valid (the property is not vacuous)', () => {
    let valid = 0;
    fc.assert(
      fc.property(arbService, (raw) => {
        const input = JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
        if (input.protocol !== 'redis' && ['consistent-hash', 'maglev'].includes(input.policy as string))
          input.hash ??= 'ip';
        if (validateService('svc-1', input).ok) valid++;
      }),
      { numRuns: 200 },
    );
    expect(valid).toBeGreaterThan(150);
  });
});
