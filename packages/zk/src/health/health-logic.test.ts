import { describe, expect, it } from 'vitest';
import { decodeHealth, encodeHealth, MAX_HEALTH_BYTES, type Verdict } from './health-logic.js';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('health/<nodeId> payload', () => {
  it('round-trips verdicts', () => {
    const json = encodeHealth('lb-1', 1234.6, (visit) => {
      visit('a', 'up');
      visit('b', 'down');
      visit('c', 'up');
    });
    expect(JSON.parse(json)).toEqual({ node: 'lb-1', at: 1235, up: ['a', 'c'], down: ['b'] });
    const r = decodeHealth('lb-1', Buffer.from(json));
    expect(r.ok && [...r.value.verdicts]).toEqual([
      ['a', 'up'],
      ['c', 'up'],
      ['b', 'down'],
    ]);
  });

  it('drops ids that cannot name a backend, and counts an id in both lists as down', () => {
    const r = decodeHealth('lb-1', buf({ at: 1, up: ['ok', 7, '../x', 'both'], down: ['both'] }));
    expect(r.ok && Object.fromEntries(r.value.verdicts)).toEqual({ ok: 'up', both: 'down' } as Record<
      string,
      Verdict
    >);
  });

  it.each([
    ['not JSON', '{', 'payload is not JSON'],
    ['an array', [], 'payload is not an object'],
    ['no at', { up: [], down: [] }, '`at` must be a time in ms'],
    ['up not an array', { at: 1, up: {}, down: [] }, '`up` must be an array of backend ids'],
    ['no down', { at: 1, up: [] }, '`down` must be an array of backend ids'],
  ])('rejects %s', (_name, payload, error) => {
    expect(decodeHealth('lb-1', buf(payload))).toEqual({ ok: false, error });
  });

  it('refuses a payload over the size limit', () => {
    const r = decodeHealth('lb-1', Buffer.alloc(MAX_HEALTH_BYTES + 1, 32));
    expect(r).toEqual({ ok: false, error: `payload is over ${MAX_HEALTH_BYTES} bytes` });
  });
});
