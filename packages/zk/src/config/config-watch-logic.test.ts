import { type ClusterConfig, DEFAULT_CLUSTER_CONFIG } from '@ringleader/core';
import { describe, expect, it } from 'vitest';
import {
  applyConfigRead,
  type ConfigRead,
  type DecodeConfig,
  decodeLastGood,
  encodeLastGood,
  shouldPublishLastGood,
} from './config-watch-logic.js';

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

  it('uses the fallback when the znode is missing; a first payload that is invalid leaves the config unknown', () => {
    const missing = applyConfigRead(undefined, { kind: 'missing' }, FALLBACK, decode, PATH);
    expect(missing).toEqual({ next: { config: FALLBACK, source: 'fallback', version: 0 }, changed: true });

    // The restarted-node fault: falling back here routed keys unlike the nodes that kept the
    // cluster's last good config. Without a published copy the node must not serve at all.
    const bad = applyConfigRead(undefined, data('{oops', 3n), FALLBACK, decode, PATH);
    expect(bad.next.source).toBe('unknown');
    expect(bad.changed).toBe(true);
    expect(bad.rejection?.code).toBe('RL_BAD_JSON');

    // A fallback already in force (the znode was missing) stays when an invalid one appears.
    const after = applyConfigRead(missing.next, data('{oops', 4n), FALLBACK, decode, PATH);
    expect(after.next.source).toBe('fallback');
    expect(after.changed).toBe(false);
  });

  it('takes the published last good config when the znode is invalid, the newest of it and its own', () => {
    const published = { config: { ...base, policy: 'maglev' as const, retries: 1 }, version: 5 };
    const start = applyConfigRead(undefined, data({ policy: 'nope' }, 6n), FALLBACK, decode, PATH, published);
    expect(start.next).toEqual({ config: published.config, source: 'last-good', version: 5 });

    const own = applyConfigRead(undefined, data({ policy: 'round-robin' }, 4n), FALLBACK, decode, PATH);
    const newer = applyConfigRead(own.next, data({ policy: 'nope' }, 6n), FALLBACK, decode, PATH, published);
    expect(newer.next.source).toBe('last-good');
    expect(newer.changed).toBe(true);

    const older = { ...published, version: 3 };
    const kept = applyConfigRead(own.next, data({ policy: 'nope' }, 6n), FALLBACK, decode, PATH, older);
    expect(kept.next).toBe(own.next);
  });

  it('publishes only a newer valid znode payload, and reads its own payload back', () => {
    const s1 = applyConfigRead(undefined, data({ policy: 'maglev' }, 5n), FALLBACK, decode, PATH);
    expect(shouldPublishLastGood(s1.next, undefined)).toBe(true);
    expect(shouldPublishLastGood(s1.next, { config: base, version: 5 })).toBe(false);
    expect(shouldPublishLastGood(s1.next, { config: base, version: 4 })).toBe(true);
    const lg = applyConfigRead(undefined, data('x', 6n), FALLBACK, decode, PATH, {
      config: base,
      version: 5,
    });
    expect(shouldPublishLastGood(lg.next, undefined)).toBe(false);

    const bytes = encodeLastGood(Buffer.from('{"policy":"maglev"}'), 5, 'lb-1', new Date(0));
    expect(decodeLastGood(bytes, '/lg', decode)).toEqual({
      config: { ...base, policy: 'maglev', retries: 1 },
      version: 5,
    });
    expect(
      decodeLastGood(Buffer.from('{"config":{"policy":"nope"},"configMzxid":"5"}'), '/lg', decode),
    ).toMatch(/RL_UNKNOWN_POLICY/);
    expect(decodeLastGood(Buffer.from('{"config":{},"configMzxid":5}'), '/lg', decode)).toMatch(
      /configMzxid/,
    );
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
