import { type ClusterConfig, DEFAULT_CLUSTER_CONFIG } from '@ringleader/core';
import { describe, expect, it } from 'vitest';
import { applyConfigRead, type ConfigRead, type DecodeConfig } from './config-watch-logic.js';

const PATH = '/ringleader/t/config';

// Any valid config serves: the logic under test never looks inside one.
const base = DEFAULT_CLUSTER_CONFIG;

const FALLBACK: ClusterConfig = { ...base, policy: 'least-connections' };

/** Stand-in codec: a JSON object with a known policy, merged over `base`. */
const decode: DecodeConfig = (data) => {
  let v: { policy?: unknown; retries?: unknown };
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, error: { code: 'RL_BAD_JSON', message: 'not JSON' } };
  }
  if (v.policy !== 'round-robin' && v.policy !== 'maglev') {
    return { ok: false, error: { code: 'RL_UNKNOWN_POLICY', message: 'unknown policy', field: 'policy' } };
  }
  return {
    ok: true,
    value: { ...base, policy: v.policy, retries: typeof v.retries === 'number' ? v.retries : 1 },
  };
};

const data = (v: unknown, mzxid: bigint): ConfigRead => ({
  kind: 'data',
  data: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
  mzxid,
});

describe('applyConfigRead', () => {
  it('valid → invalid → valid: keeps the last good config and reports path, code and field', () => {
    const s1 = applyConfigRead(undefined, data({ policy: 'maglev' }, 5n), FALLBACK, decode, PATH);
    expect(s1.changed).toBe(true);
    expect(s1.next).toMatchObject({ source: 'znode', version: 5, config: { policy: 'maglev' } });

    const s2 = applyConfigRead(s1.next, data({ policy: 'nope' }, 6n), FALLBACK, decode, PATH);
    expect(s2.changed).toBe(false);
    expect(s2.next).toBe(s1.next);
    expect(s2.rejection).toEqual({
      path: PATH,
      code: 'RL_UNKNOWN_POLICY',
      message: 'unknown policy',
      field: 'policy',
      version: 6,
    });

    const s3 = applyConfigRead(s2.next, data({ policy: 'round-robin' }, 7n), FALLBACK, decode, PATH);
    expect(s3.changed).toBe(true);
    expect(s3.next).toMatchObject({ source: 'znode', version: 7, config: { policy: 'round-robin' } });
    expect(s3.rejection).toBeUndefined();
  });

  it('uses the fallback when the znode is missing, and when the very first payload is invalid', () => {
    const missing = applyConfigRead(undefined, { kind: 'missing' }, FALLBACK, decode, PATH);
    expect(missing).toEqual({ next: { config: FALLBACK, source: 'fallback', version: 0 }, changed: true });

    const bad = applyConfigRead(undefined, data('{oops', 3n), FALLBACK, decode, PATH);
    expect(bad.next.source).toBe('fallback');
    expect(bad.changed).toBe(true);
    expect(bad.rejection?.code).toBe('RL_BAD_JSON');
  });

  it('reports no change when the znode is rewritten with the same content', () => {
    const s1 = applyConfigRead(undefined, data({ policy: 'maglev', retries: 2 }, 5n), FALLBACK, decode, PATH);
    const s2 = applyConfigRead(s1.next, data({ retries: 2, policy: 'maglev' }, 9n), FALLBACK, decode, PATH);
    expect(s2.changed).toBe(false);
    expect(s2.next.version).toBe(9);
  });

  it('falls back when the znode is deleted, and a codec that throws counts as an invalid payload', () => {
    const s1 = applyConfigRead(undefined, data({ policy: 'maglev' }, 5n), FALLBACK, decode, PATH);
    const s2 = applyConfigRead(s1.next, { kind: 'missing' }, FALLBACK, decode, PATH);
    expect(s2.changed).toBe(true);
    expect(s2.next.config.policy).toBe('least-connections');
    const thrown = applyConfigRead(
      s1.next,
      data({}, 6n),
      FALLBACK,
      () => {
        throw new Error('bug');
      },
      PATH,
    );
    expect(thrown.next).toBe(s1.next);
    expect(thrown.rejection?.code).toBe('RL_BAD_CONFIG');
  });
});
