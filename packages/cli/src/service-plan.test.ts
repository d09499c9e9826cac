import { describe, expect, it } from 'vitest';
import { formatServiceList, planService, serviceBase } from './service-plan.js';

describe('planService', () => {
  it.each([
    {
      case: 'flags become fields',
      flags: {
        protocol: 'tcp',
        listen: '5433',
        policy: 'maglev',
        hash: 'ip',
        check: 'postgres',
        drainTimeout: '5000',
      },
      base: {},
      want: {
        protocol: 'tcp',
        listen: 5433,
        policy: 'maglev',
        hash: 'ip',
        healthCheck: { kind: 'postgres' },
        drainTimeoutMs: 5000,
      },
    },
    {
      case: 'set merges over the stored definition',
      flags: { connectTimeout: '250', maxConns: '10' },
      base: { protocol: 'tcp', listen: 1, policy: 'round-robin', timeouts: { idleMs: 60000 } },
      want: {
        protocol: 'tcp',
        listen: 1,
        policy: 'round-robin',
        timeouts: { idleMs: 60000, connectMs: 250 },
        maxConnectionsPerBackend: 10,
      },
    },
    {
      case: 'a new check kind drops the old kind’s fields',
      flags: { check: 'redis', checkRole: 'master' },
      base: { healthCheck: { kind: 'http', path: '/primary', port: 8008, intervalMs: 500 } },
      want: { healthCheck: { kind: 'redis', role: 'master', intervalMs: 500 } },
    },
    {
      case: 'the same check kind keeps them',
      flags: { check: 'http', checkInterval: '1000' },
      base: { healthCheck: { kind: 'http', path: '/primary', port: 8008 } },
      want: { healthCheck: { kind: 'http', path: '/primary', port: 8008, intervalMs: 1000 } },
    },
    {
      case: '--definition first, flags over it',
      flags: {
        definition: '{"protocol":"tcp","listen":9,"policy":"hash","hash":"ip"}',
        listen: '10',
        acceptProxyProtocol: true,
      },
      base: {},
      want: { protocol: 'tcp', listen: 10, policy: 'hash', hash: 'ip', acceptProxyProtocol: true },
    },
  ])('$case', ({ flags, base, want }) => {
    expect(planService(flags, base)).toEqual(want);
  });

  it('does not change the base it was given', () => {
    const base = { healthCheck: { kind: 'http', path: '/x' } };
    planService({ check: 'tcp' }, base);
    expect(base).toEqual({ healthCheck: { kind: 'http', path: '/x' } });
  });

  it.each([
    [{ definition: '{"protocol":' }, /--definition: not JSON/],
    [{ definition: '[1]' }, /must be a JSON object/],
    [{ listen: 'eighty' }, /invalid --listen/],
  ])('refuses %j', (flags, message) => {
    expect(() => planService(flags)).toThrow(message);
  });
});

describe('serviceBase and the list', () => {
  it('set starts from the stored JSON as written', () => {
    expect(serviceBase({ raw: { protocol: 'tcp', listen: 1 } })).toEqual({ protocol: 'tcp', listen: 1 });
    expect(serviceBase({ raw: 'garbage' })).toEqual({});
  });

  it('lists valid and rejected services', () => {
    const text = formatServiceList(
      [
        {
          name: 'broken',
          version: 3,
          backends: 0,
          error: { code: 'RL_BAD_SERVICE', message: 'listen is required' },
        },
      ],
      'default',
    );
    expect(text).toMatch(/\nbroken\s+-\s+-\s+-\s+-\s+0\s+INVALID RL_BAD_SERVICE: listen is required\n$/);
    expect(formatServiceList([], 'shop')).toMatch(/^no services in cluster shop/);
  });
});
