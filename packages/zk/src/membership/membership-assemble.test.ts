import { type Backend, stableStringify } from '@ringleader/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MembershipAssembler } from './membership-assemble.js';
import {
  buildMembershipSnapshot,
  type ChildEntry,
  type ChildrenView,
  type DecodedBackend,
} from './membership-snapshot.js';

const FOLDER = '/ringleader/t/backends';

/** A small stand-in for the core codec: a port 1..65535 and an optional weight. */
function decode(id: string, path: string, e: ChildEntry): DecodedBackend {
  let v: { port?: unknown; weight?: unknown };
  try {
    v = JSON.parse(e.data.toString('utf8'));
  } catch {
    return { ok: false, error: { code: 'RL_BAD_JSON', message: `${path}: not JSON` } };
  }
  if (typeof v.port !== 'number' || v.port < 1 || v.port > 65535)
    return { ok: false, error: { code: 'RL_BAD_BACKEND_PAYLOAD', message: 'bad port', field: 'port' } };
  const b: Backend = {
    id,
    host: 'h',
    port: v.port,
    weight: typeof v.weight === 'number' ? v.weight : 1,
    state: 'active',
    format: 'native',
  };
  return { ok: true, value: b };
}

/** A mutable folder as the children cache keeps it, and the names changed since the last flush. */
class Folder {
  pzxid = 1n;
  zxid = 1n;
  readonly children = new Map<string, ChildEntry>();
  readonly unreadable = new Map<string, { code: string; message: string }>();
  changed = new Set<string>();
  view(): ChildrenView {
    return { parent: { pzxid: this.pzxid }, children: this.children, unreadable: this.unreadable };
  }
  flush(): Set<string> {
    const c = this.changed;
    this.changed = new Set();
    return c;
  }
  set(id: string, payload: string): void {
    this.zxid++;
    if (!this.children.has(id)) this.pzxid = this.zxid;
    this.children.set(id, { data: Buffer.from(payload), mzxid: this.zxid });
    this.unreadable.delete(id);
    this.changed.add(id);
  }
  remove(id: string): void {
    this.zxid++;
    this.pzxid = this.zxid;
    this.children.delete(id);
    this.unreadable.delete(id);
    this.changed.add(id);
  }
  /** Gone as the child's data watch tells it: before the children list (and pzxid) moved. */
  vanish(id: string): void {
    this.children.delete(id);
    this.changed.add(id);
  }
  refuse(id: string): void {
    this.unreadable.set(id, { code: 'RL_ZK_NOT_AUTHORISED', message: 'no auth' });
    this.changed.add(id);
  }
}

const full = (f: Folder) => buildMembershipSnapshot(f.view(), FOLDER, decode);

describe('MembershipAssembler', () => {
  it('adds, re-weights and removes one backend without a full build, in id order', () => {
    const f = new Folder();
    for (const id of ['b', 'd', 'f']) f.set(id, '{"port":1}');
    const a = new MembershipAssembler(FOLDER, decode);
    const first = a.apply(f.view(), undefined);
    f.flush();
    f.set('c', '{"port":2}');
    const added = a.apply(f.view(), f.flush());
    expect(added.backends.map((b) => b.id)).toEqual(['b', 'c', 'd', 'f']);
    expect(first.backends.map((b) => b.id)).toEqual(['b', 'd', 'f']); // the old one is untouched
    expect(Object.isFrozen(added.backends)).toBe(true);
    f.set('d', '{"port":1,"weight":4}');
    expect(a.apply(f.view(), f.flush()).backends.find((b) => b.id === 'd')?.weight).toBe(4);
    f.remove('b');
    const removed = a.apply(f.view(), f.flush());
    expect(removed.backends.map((b) => b.id)).toEqual(['c', 'd', 'f']);
    expect(stableStringify(removed)).toBe(stableStringify(full(f)));
  });

  it('hands back the same object when a flush changed nothing', () => {
    const f = new Folder();
    f.set('a', '{"port":1}');
    const a = new MembershipAssembler(FOLDER, decode);
    const s = a.apply(f.view(), undefined);
    expect(a.apply(f.view(), new Set())).toBe(s);
    expect(a.apply(f.view(), new Set(['a']))).toBe(s);
    expect(a.apply(f.view(), undefined)).toBe(s);
  });

  it('moves the version back down when the child holding the newest mzxid goes', () => {
    const f = new Folder();
    f.set('a', '{"port":1}');
    f.set('b', '{"port":1}');
    const a = new MembershipAssembler(FOLDER, decode, Number.POSITIVE_INFINITY);
    a.apply(f.view(), undefined);
    f.flush();
    f.set('b', '{"port":2}'); // b's mzxid is the newest, above pzxid
    a.apply(f.view(), f.flush());
    // The cache learnt of b's deletion from its data watch before the children list moved.
    f.vanish('b');
    const s = a.apply(f.view(), f.flush());
    expect(s.version).toBe(full(f).version);
  });

  it('equals a fresh full build after any sequence of changes (fast-check)', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
    const payload = fc.constantFrom('{"port":1}', '{"port":2,"weight":3}', '{"port":0}', 'x', '{"port":9}');
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), id, payload }),
      fc.record({ kind: fc.constant('remove' as const), id }),
      fc.record({ kind: fc.constant('refuse' as const), id }),
      fc.record({ kind: fc.constant('vanish' as const), id }),
      fc.record({ kind: fc.constant('flush' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const f = new Folder();
        const a = new MembershipAssembler(FOLDER, decode, Number.POSITIVE_INFINITY);
        a.apply(f.view(), undefined);
        f.flush();
        for (const o of ops) {
          if (o.kind === 'set') f.set(o.id, o.payload);
          else if (o.kind === 'remove') f.remove(o.id);
          else if (o.kind === 'refuse') f.refuse(o.id);
          else if (o.kind === 'vanish') f.vanish(o.id);
          else expect(stableStringify(a.apply(f.view(), f.flush()))).toBe(stableStringify(full(f)));
        }
        expect(stableStringify(a.apply(f.view(), f.flush()))).toBe(stableStringify(full(f)));
      }),
    );
  });

  it('starts over from a missing folder', () => {
    const f = new Folder();
    f.set('a', '{"port":1}');
    const a = new MembershipAssembler(FOLDER, decode);
    a.apply(f.view(), undefined);
    const gone = a.apply({ parent: 'missing', children: new Map() }, undefined);
    expect(gone).toEqual({ version: 0, folder: 'missing', backends: [], rejected: [] });
    f.flush();
    f.set('b', '{"port":1}');
    expect(a.apply(f.view(), f.flush()).backends.map((b) => b.id)).toEqual(['a', 'b']);
  });
});
