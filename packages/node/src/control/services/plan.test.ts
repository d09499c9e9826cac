import { type ServiceDefinition, unwrap, validateService } from '@ringleader/core';
import { describe, expect, it } from 'vitest';
import { planServices, portClashes } from './plan.js';

// Through the real codec, so the definitions are what a node would hold.
const def = (name: string, listen: number, extra: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  ...unwrap(validateService(name, { protocol: 'tcp', listen, policy: 'round-robin', drainTimeoutMs: 0 })),
  ...extra,
});
const same = (a: ServiceDefinition, b: ServiceDefinition) => JSON.stringify(a) === JSON.stringify(b);

describe('planServices', () => {
  it.each([
    {
      case: 'a new service opens',
      running: {},
      wanted: { pg: def('pg', 5433) },
      actions: [{ kind: 'open', name: 'pg' }],
    },
    {
      case: 'a deleted service closes',
      running: { pg: def('pg', 5433) },
      wanted: {},
      actions: [{ kind: 'close', name: 'pg' }],
    },
    {
      case: 'a service never valid opens nothing',
      running: {},
      wanted: { bad: undefined },
      actions: [],
    },
    {
      case: 'a changed port replaces the listener',
      running: { pg: def('pg', 5433) },
      wanted: { pg: def('pg', 5434) },
      actions: [{ kind: 'replace', name: 'pg' }],
    },
    {
      case: 'a changed protocol replaces the listener',
      running: { c: def('c', 6380) },
      wanted: { c: def('c', 6380, { protocol: 'http' }) },
      actions: [{ kind: 'replace', name: 'c' }],
    },
    {
      case: 'other changes apply in place',
      running: { pg: def('pg', 5433) },
      wanted: { pg: def('pg', 5433, { drainTimeoutMs: 5 }) },
      actions: [{ kind: 'update', name: 'pg' }],
    },
    {
      case: 'an http service reopens when its timeouts change (its plane takes them when built)',
      running: { web: def('web', 8081, { protocol: 'http' }) },
      wanted: {
        web: def('web', 8081, {
          protocol: 'http',
          timeouts: { connectMs: 1, idleMs: 600_000, queueMs: 1000, proxyHeaderMs: 3000, commandMs: 2000 },
        }),
      },
      actions: [{ kind: 'replace', name: 'web' }],
    },
    {
      case: 'an unchanged definition does nothing',
      running: { pg: def('pg', 5433) },
      wanted: { pg: def('pg', 5433) },
      actions: [],
    },
    {
      case: 'closes come first, then replacements, then the rest in name order',
      running: { a: def('a', 1), z: def('z', 2), m: def('m', 3) },
      wanted: { m: def('m', 4), b: def('b', 2), a: def('a', 1, { drainTimeoutMs: 1 }) },
      actions: [
        { kind: 'close', name: 'z' },
        { kind: 'replace', name: 'm' },
        { kind: 'update', name: 'a' },
        { kind: 'open', name: 'b' },
      ],
    },
  ])('$case', ({ running, wanted, actions }) => {
    const got = planServices(
      new Map(Object.entries(running)),
      new Map(Object.entries(wanted)) as Map<string, ServiceDefinition | undefined>,
      same,
    );
    expect(got.map((a) => ({ kind: a.kind, name: a.name }))).toEqual(actions);
  });
});

describe('portClashes', () => {
  it('the first service by name keeps a port; reserved ports win over all', () => {
    const wanted = new Map<string, ServiceDefinition | undefined>([
      ['b', def('b', 6380)],
      ['a', def('a', 6380)],
      ['c', def('c', 8080)],
      ['d', undefined],
    ]);
    expect(portClashes(wanted, new Map([[8080, 'default']]))).toEqual(
      new Map([
        ['b', 'a'],
        ['c', 'default'],
      ]),
    );
  });
});
