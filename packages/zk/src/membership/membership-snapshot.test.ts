import { type Backend, stableStringify } from '@ringleader/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildMembershipSnapshot,
  type ChildEntry,
  type ChildrenView,
  type DecodeBackend,
  DecodeMemo,
  sameSnapshot,
  viewVersion,
} from './membership-snapshot.js';

const FOLDER = '/ringleader/t/backends';

/** A small stand-in for the core codec: host string and port 1..65535. */
const decode: DecodeBackend = (id, data, path) => {
  let v: { host?: unknown; port?: unknown; weight?: unknown };
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, error: { code: 'RL_BAD_JSON', message: `${path}: not JSON` } };
  }
  if (typeof v.port !== 'number' || v.port < 1 || v.port > 65535) {
    return { ok: false, error: { code: 'RL_BAD_BACKEND_PAYLOAD', message: 'bad port', field: 'port' } };
  }
  const b: Backend = {
    id,
    host: String(v.host),
    port: v.port,
    weight: typeof v.weight === 'number' ? v.weight : 1,
    state: 'active',
    format: 'native',
  };
  return { ok: true, value: b };
};

const entry = (payload: unknown, mzxid: bigint): ChildEntry => ({
  data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  mzxid,
});

const view = (pzxid: bigint, children: Array<[string, ChildEntry]>): ChildrenView => ({
  parent: { pzxid },
  children: new Map(children),
});

const build = (v: ChildrenView) =>
  buildMembershipSnapshot(v, FOLDER, (id, path, e) => decode(id, e.data, path));

describe('buildMembershipSnapshot', () => {
  it('sorts backends by id and lists rejected payloads with path, code and field, sorted too', () => {
    const s = build(
      view(10n, [
        ['web-3', entry({ host: 'h3', port: 3 }, 5n)],
        ['zz-bad', entry('{not json', 6n)],
        ['web-1', entry({ host: 'h1', port: 1 }, 7n)],
        ['aa-bad', entry({ host: 'h', port: 70000 }, 8n)],
        ['web-2', entry({ host: 'h2', port: 2, weight: 5 }, 4n)],
      ]),
    );
    expect(s.backends.map((b) => b.id)).toEqual(['web-1', 'web-2', 'web-3']);
    expect(s.backends[1]?.weight).toBe(5);
    expect(s.rejected).toEqual([
      {
        id: 'aa-bad',
        path: `${FOLDER}/aa-bad`,
        code: 'RL_BAD_BACKEND_PAYLOAD',
        message: 'bad port',
        field: 'port',
      },
      { id: 'zz-bad', path: `${FOLDER}/zz-bad`, code: 'RL_BAD_JSON', message: `${FOLDER}/zz-bad: not JSON` },
    ]);
    expect(s.folder).toBe('present');
  });

  it('stamps the zxid of the newest change: max(pzxid, every child mzxid, rejected ones included)', () => {
    expect(build(view(10n, [['a', entry({ host: 'h', port: 1 }, 7n)]])).version).toBe(10);
    expect(build(view(10n, [['a', entry({ host: 'h', port: 1 }, 12n)]])).version).toBe(12);
    expect(build(view(10n, [['a', entry('bad', 0x100000003n)]])).version).toBe(0x100000003);
    expect(build(view(10n, [])).version).toBe(10);
  });

  it('reports a missing folder as an empty membership with version 0', () => {
    const s = build({ parent: 'missing', children: new Map() });
    expect(s).toEqual({ version: 0, folder: 'missing', backends: [], rejected: [] });
  });

  it('reports children the server refused to read, unless an older good payload is known', () => {
    const s = build({
      parent: { pzxid: 3n },
      children: new Map([['ok', entry({ host: 'h', port: 1 }, 2n)]]),
      unreadable: new Map([
        ['secret', { code: 'RL_ZK_NOT_AUTHORISED', message: 'no auth' }],
        ['ok', { code: 'RL_ZK_NOT_AUTHORISED', message: 'no auth' }],
      ]),
    });
    expect(s.backends.map((b) => b.id)).toEqual(['ok']);
    expect(s.rejected).toEqual([
      { id: 'secret', path: `${FOLDER}/secret`, code: 'RL_ZK_NOT_AUTHORISED', message: 'no auth' },
    ]);
  });

  it('is deeply immutable', () => {
    const s = build(view(1n, [['a', entry({ host: 'h', port: 1 }, 1n)]]));
    expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(s.backends)).toBe(true);
    expect(Object.isFrozen(s.backends[0])).toBe(true);
    expect(Object.isFrozen(s.rejected)).toBe(true);
  });

  it('gives the same snapshot for the same ZooKeeper state whatever order the reads arrived in', () => {
    const child = fc.tuple(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
      fc.oneof(
        fc.record({ host: fc.constant('h'), port: fc.integer({ min: -5, max: 70000 }) }),
        fc.constant('x'),
      ),
      fc.bigInt({ min: 1n, max: 1n << 40n }),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(child, { selector: (c) => c[0], maxLength: 30 }),
        fc.bigInt({ min: 1n, max: 1n << 40n }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (children, pzxid, randoms) => {
          const entries = children.map(([id, p, z]): [string, ChildEntry] => [id, entry(p, z)]);
          const shuffled = entries
            .map((e) => ({ e, r: randoms.next().value as number }))
            .sort((a, b) => a.r - b.r)
            .map((x) => x.e);
          const a = build(view(pzxid, entries));
          const b = build(view(pzxid, shuffled));
          expect(stableStringify(a)).toBe(stableStringify(b));
          expect(sameSnapshot(a, b)).toBe(true);
          let max = pzxid;
          for (const [, e] of entries) if (e.mzxid > max) max = e.mzxid;
          expect(a.version).toBe(Number(max));
          expect(a.backends.length + a.rejected.length).toBe(entries.length);
        },
      ),
    );
  });
});

describe('sameSnapshot', () => {
  const base = build(view(5n, [['a', entry({ host: 'h', port: 1, weight: 1 }, 5n)]]));

  it('is true for equal version and content, false when either differs', () => {
    expect(sameSnapshot(base, build(view(5n, [['a', entry({ host: 'h', port: 1, weight: 1 }, 5n)]])))).toBe(
      true,
    );
    expect(sameSnapshot(base, build(view(5n, [['a', entry({ host: 'h', port: 1, weight: 2 }, 5n)]])))).toBe(
      false,
    );
    expect(sameSnapshot(base, build(view(6n, [['a', entry({ host: 'h', port: 1, weight: 1 }, 5n)]])))).toBe(
      false,
    );
    expect(sameSnapshot(undefined, base)).toBe(false);
  });
});

describe('DecodeMemo', () => {
  it('decodes a payload once per mzxid and forgets children that are gone', () => {
    let calls = 0;
    const memo = new DecodeMemo((id, data, path) => {
      calls += 1;
      return decode(id, data, path);
    });
    const e1 = entry({ host: 'h', port: 1 }, 1n);
    memo.get('a', `${FOLDER}/a`, e1);
    memo.get('a', `${FOLDER}/a`, e1);
    expect(calls).toBe(1);
    memo.get('a', `${FOLDER}/a`, entry({ host: 'h', port: 2 }, 2n));
    expect(calls).toBe(2);
    memo.retain(new Set(['b']));
    memo.get('a', `${FOLDER}/a`, entry({ host: 'h', port: 2 }, 2n));
    expect(calls).toBe(3);
  });

  it('turns a decoder that throws into a rejection instead of an exception', () => {
    const memo = new DecodeMemo(() => {
      throw new Error('codec bug');
    });
    const r = memo.get('a', `${FOLDER}/a`, entry({}, 1n));
    expect(r.ok).toBe(false);
    expect(viewVersion({ parent: 'missing', children: new Map([['a', entry({}, 9n)]]) })).toBe(0n);
  });
});
