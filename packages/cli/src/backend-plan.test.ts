import type { Backend } from '@ringleader/core';
import type { MembershipSnapshot } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import {
  backendListJson,
  formatBackendList,
  planBackendAdd,
  planBackendPatch,
  weightHint,
} from './backend-plan.js';
import { thrown } from './testing/thrown.js';

const b = (id: string, over: Partial<Backend> = {}): Backend => ({
  id,
  host: '10.0.0.5',
  port: 8080,
  weight: 1,
  state: 'active',
  format: 'native',
  ...over,
});

describe('planBackendAdd (validated by the core codec before ZooKeeper)', () => {
  it('builds the native payload from flags', () => {
    expect(
      planBackendAdd('web-1', {
        host: '10.0.0.5',
        port: '8080',
        weight: '2',
        zone: 'eu-1',
        meta: ['role=canary'],
      }),
    ).toEqual({ host: '10.0.0.5', port: 8080, weight: 2, zone: 'eu-1', meta: { role: 'canary' } });
    expect(planBackendAdd('web-1', { host: 'h', port: '1', draining: true })).toMatchObject({
      state: 'draining',
    });
  });

  it.each([
    [{ host: 'h', port: '70000' }, 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    [{ host: 'h', port: '0' }, 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    [{ host: 'h', port: '80.5' }, 'RL_BAD_BACKEND_PAYLOAD', 'port'],
    [{ host: 'h', port: 'http' }, 'RL_CLI_USAGE', 'port'],
    [{ host: 'not a host', port: '80' }, 'RL_BAD_BACKEND_PAYLOAD', 'host'],
    [{ host: 'h', port: '80', weight: '1001' }, 'RL_BAD_BACKEND_PAYLOAD', 'weight'],
    [{ host: 'h', port: '80', zone: 'has space' }, 'RL_BAD_BACKEND_PAYLOAD', 'zone'],
  ])('%j → %s on %s', (flags, code, field) => {
    const e = thrown(() => planBackendAdd('web-1', flags));
    expect(e.code).toBe(code);
    expect(e.field).toBe(field);
  });

  it.each([
    ['a/b', 'RL_BAD_BACKEND_ID'],
    ['..', 'RL_BAD_BACKEND_ID'],
    ['has space', 'RL_BAD_BACKEND_ID'],
  ])('refuses the id %j (%s)', (id, code) => {
    expect(thrown(() => planBackendAdd(id, { host: 'h', port: '80' })).code).toBe(code);
  });

  it.each(['has:colon', '10.0.0.5:8080', 'member_0000000007'])(
    'accepts the id %j: one backend-id rule (core BACKEND_ID) for the codec, the zk paths and the CLI',
    (id) => {
      expect(planBackendAdd(id, { host: 'h', port: '80' })).toMatchObject({ host: 'h', port: 80 });
    },
  );
});

describe('planBackendPatch', () => {
  it('is undefined when no field was given', () => {
    expect(planBackendPatch('web-1', {})).toBeUndefined();
  });
  it('names only the given fields; zone "" and meta key= delete', () => {
    expect(planBackendPatch('web-1', { weight: '5' })).toEqual({ weight: 5 });
    expect(planBackendPatch('web-1', { zone: '', meta: ['old=', 'new=1'] })).toEqual({
      zone: null,
      meta: { old: null, new: '1' },
    });
    expect(planBackendPatch('web-1', { host: '10.0.0.6', port: '81' })).toEqual({
      host: '10.0.0.6',
      port: 81,
    });
  });
  it('validates each given field with the codec', () => {
    expect(thrown(() => planBackendPatch('web-1', { weight: '-1' })).field).toBe('weight');
    expect(thrown(() => planBackendPatch('web-1', { port: '65536' })).field).toBe('port');
  });
});

describe('backend list output', () => {
  const snap: MembershipSnapshot = {
    version: 42,
    folder: 'present',
    backends: [b('web-1', { zone: 'eu-1', weight: 2 }), b('web-2', { state: 'draining', format: 'nerve' })],
    rejected: [
      {
        id: 'junk',
        path: '/ringleader/default/backends/junk',
        code: 'RL_BAD_JSON',
        message: 'payload is not valid JSON: backend payload does not parse',
      },
    ],
  };

  it('a table of routed backends, then the rejected znodes with path and code', () => {
    expect(formatBackendList(snap, 'default')).toBe(
      [
        'ID     ADDRESS        WEIGHT  STATE     ZONE  FORMAT',
        'web-1  10.0.0.5:8080  2       active    eu-1  native',
        'web-2  10.0.0.5:8080  1       draining  -     nerve',
        '',
        'REJECTED (not routed: fix or remove these znodes)',
        'PATH                               CODE         PROBLEM',
        '/ringleader/default/backends/junk  RL_BAD_JSON  payload is not valid JSON: backend payload does not parse',
        '',
      ].join('\n'),
    );
  });

  it('says so when there are none', () => {
    expect(formatBackendList({ version: 0, folder: 'missing', backends: [], rejected: [] }, 'shop')).toBe(
      'no backends in cluster shop (no backends/ folder yet)\n',
    );
  });

  it('JSON keeps every field, nulls for absent ones', () => {
    const j = backendListJson(snap, 'default') as {
      backends: Record<string, unknown>[];
      rejected: unknown[];
    };
    expect(j.backends[1]).toEqual({
      id: 'web-2',
      host: '10.0.0.5',
      port: 8080,
      weight: 1,
      state: 'draining',
      zone: null,
      format: 'nerve',
      meta: null,
    });
    expect(j.rejected).toHaveLength(1);
  });
});

describe('weightHint', () => {
  it('says a weight has no effect under round-robin, naming where', () => {
    const hint = weightHint(2, 'round-robin', 'cluster prod');
    expect(hint).toMatch(/^hint: cluster prod routes with policy round-robin, which ignores weights/);
    expect(hint).toContain('weight 2 has no effect');
  });

  it('says nothing where the weight counts, for weight 0 (it still takes a backend out), or when the policy is unknown', () => {
    for (const p of [
      'weighted-round-robin',
      'least-connections',
      'least-response-time',
      'hash',
      'consistent-hash',
      'maglev',
    ])
      expect(weightHint(2, p, 'cluster prod'), p).toBeUndefined();
    expect(weightHint(0, 'round-robin', 'cluster prod')).toBeUndefined();
    expect(weightHint(undefined, 'round-robin', 'cluster prod')).toBeUndefined();
    expect(weightHint(2, undefined, 'cluster prod')).toBeUndefined();
  });
});
