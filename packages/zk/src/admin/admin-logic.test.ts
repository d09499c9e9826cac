import { describe, expect, it } from 'vitest';
import { mergePatch, planBackendUpdate, planConfigUpdate } from './admin-logic.js';

const PATH = '/ringleader/t/backends/web-1';
const CONFIG = '/ringleader/t/config';
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('mergePatch (RFC 7386)', () => {
  it.each([
    [{ a: 1 }, { a: 2 }, { a: 2 }],
    [{ a: 1, b: 2 }, { b: null }, { a: 1 }],
    [{ a: { x: 1, y: 2 } }, { a: { y: null, z: 3 } }, { a: { x: 1, z: 3 } }],
    [{ a: [1, 2] }, { a: [3] }, { a: [3] }],
    ['text', { a: 1 }, { a: 1 }],
    [{ a: 1 }, 'replaced', 'replaced'],
  ])('%j + %j = %j', (target, patch, expected) => {
    expect(mergePatch(target, patch)).toEqual(expected);
  });

  it('modifies neither input', () => {
    const target = { a: { b: 1 } };
    const patch = { a: { c: 2 } };
    mergePatch(target, patch);
    expect(target).toEqual({ a: { b: 1 } });
    expect(patch).toEqual({ a: { c: 2 } });
  });
});

describe('planBackendUpdate', () => {
  it('merges the patch into a native payload and re-encodes it canonically', () => {
    const plan = planBackendUpdate(
      'web-1',
      json({ host: '10.0.0.1', port: 80, zone: 'a' }),
      { weight: 5 },
      PATH,
    );
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(JSON.parse(plan.text)).toEqual({
      host: '10.0.0.1',
      port: 80,
      weight: 5,
      state: 'active',
      zone: 'a',
    });
    expect(plan.before.weight).toBe(1);
    expect(plan.after.weight).toBe(5);
  });

  it('drains, and removes optional fields with null', () => {
    const plan = planBackendUpdate(
      'web-1',
      json({ host: 'h', port: 80, zone: 'a' }),
      { state: 'draining', zone: null },
      PATH,
    );
    expect(plan.ok && JSON.parse(plan.text)).toEqual({ host: 'h', port: 80, weight: 1, state: 'draining' });
  });

  it('refuses an invalid result with the field and the path, before anything is written', () => {
    const plan = planBackendUpdate('web-1', json({ host: 'h', port: 80 }), { port: 70000 }, PATH);
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.error.code).toBe('RL_BAD_BACKEND_PAYLOAD');
    expect(plan.error.field).toBe('port');
    expect(plan.error.path).toBe(PATH);
  });

  it('refuses payloads registered by other tools (ServerSet, Nerve) and payloads that do not decode', () => {
    const serverset = { serviceEndpoint: { host: 'h', port: 80 }, additionalEndpoints: {}, status: 'ALIVE' };
    const ss = planBackendUpdate('web-1', json(serverset), { state: 'draining' }, PATH);
    expect(!ss.ok && ss.error.code).toBe('RL_ZK_FOREIGN_PAYLOAD');
    const nerve = planBackendUpdate(
      'web_0000000001',
      json({ host: 'h', port: 80, name: 'web' }),
      { weight: 2 },
      PATH,
    );
    expect(!nerve.ok && nerve.error.code).toBe('RL_ZK_FOREIGN_PAYLOAD');
    const garbage = planBackendUpdate('web-1', Buffer.from('{nope'), { weight: 2 }, PATH);
    expect(!garbage.ok && garbage.error.code).toBe('RL_BAD_JSON');
  });
});

describe('planConfigUpdate', () => {
  it('creates a sparse config from nothing and merges later patches into it', () => {
    const first = planConfigUpdate(undefined, { policy: 'least-connections' }, CONFIG);
    expect(first.ok && JSON.parse(first.text)).toEqual({ policy: 'least-connections' });
    expect(first.ok && first.config.retries).toBeTypeOf('number');
    const second = planConfigUpdate(Buffer.from(first.ok ? first.text : ''), { retries: 1 }, CONFIG);
    expect(second.ok && JSON.parse(second.text)).toEqual({ policy: 'least-connections', retries: 1 });
  });

  it('refuses a result that does not validate, naming the field', () => {
    const bad = planConfigUpdate(json({ policy: 'round-robin' }), { retries: 'many' }, CONFIG);
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error.field).toBe('retries');
    expect(bad.error.path).toBe(CONFIG);
    const unknown = planConfigUpdate(undefined, { policy: 'fastest' }, CONFIG);
    expect(!unknown.ok && unknown.error.code).toBe('RL_UNKNOWN_POLICY');
  });

  it('cannot patch a stored payload that is not JSON (a replace can)', () => {
    const r = planConfigUpdate(Buffer.from('{oops'), { retries: 1 }, CONFIG);
    expect(!r.ok && r.error.code).toBe('RL_BAD_JSON');
  });
});
