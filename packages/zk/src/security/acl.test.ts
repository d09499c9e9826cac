import { RingleaderError } from '@ringleader/core';
import { describe, expect, it } from 'vitest';
import { fromZkException, zkError } from '../errors.js';
import {
  aclText,
  backendAclPolicy,
  backendChildAcl,
  childNeedsRepair,
  clusterAclPolicy,
  digestId,
  isDigestCredential,
  ownersNote,
  PERMS,
  parseOwnersNote,
  ReportThrottle,
  sameAcl,
} from './acl.js';
import { NotAuthorisedLog } from './noauth.js';
import type { ZkAcl } from './types.js';

const ROOT = '/ringleader/shop';
const world = (perms: number): ZkAcl => ({ perms, scheme: 'world', id: 'anyone' });

describe('digestId', () => {
  it("matches ZooKeeper's DigestAuthenticationProvider (the documented super:admin digest)", () => {
    expect(digestId('super:admin')).toBe('super:xQJmxLMiHGwaqBvst5y6rkB6HQs=');
  });

  it('hashes the whole user:password, so a password containing colons still works', () => {
    expect(digestId('a:b:c')).not.toBe(digestId('a:b'));
    expect(digestId('a:b:c').startsWith('a:')).toBe(true);
  });

  it('refuses text that is not user:password, with a code', () => {
    for (const bad of ['', 'nocolon', ':pw', 'user:', 'us er:pw']) {
      expect(isDigestCredential(bad)).toBe(false);
      expect(() => digestId(bad)).toThrow(RingleaderError);
    }
  });
});

describe('clusterAclPolicy', () => {
  const owner = { perms: PERMS.all, scheme: 'digest', id: digestId('lb:secret') };
  const backendId = digestId('reg:other');

  it('open reads: the credential owns everything, anyone reads', () => {
    const p = clusterAclPolicy({ cluster: 'shop', credential: 'lb:secret' });
    for (const path of [ROOT, `${ROOT}/config`, `${ROOT}/election`, `${ROOT}/leader`, `${ROOT}/nodes/lb-1`]) {
      expect(p.aclFor(path)).toEqual([owner, world(PERMS.read)]);
    }
    expect(p.aclFor(`${ROOT}/backends/web-1`)).toEqual([owner, world(PERMS.read)]);
  });

  it('restricted reads: nobody but the credential', () => {
    const p = clusterAclPolicy({ cluster: 'shop', credential: 'lb:secret', readAcl: 'restricted' });
    expect(p.aclFor(`${ROOT}/config`)).toEqual([owner]);
    expect(p.aclFor('/ringleader')).toEqual([owner, world(PERMS.create)]);
  });

  it('backends/ grants the backend credential create+delete (and read when restricted)', () => {
    const open = clusterAclPolicy({
      cluster: 'shop',
      credential: 'lb:secret',
      backendCredential: 'reg:other',
    });
    expect(open.aclFor(`${ROOT}/backends`)).toEqual([
      owner,
      { perms: PERMS.create | PERMS.delete, scheme: 'digest', id: backendId },
      world(PERMS.read),
    ]);
    const restricted = clusterAclPolicy({
      cluster: 'shop',
      credential: 'lb:secret',
      backendCredential: 'reg:other',
      readAcl: 'restricted',
    });
    expect(restricted.aclFor(`${ROOT}/backends`)?.[1]?.perms).toBe(PERMS.create | PERMS.delete | PERMS.read);
    // Nowhere else.
    expect(JSON.stringify(open.aclFor(`${ROOT}/config`))).not.toContain(backendId);
  });

  it('leaves other clusters and other trees to the library default', () => {
    const p = clusterAclPolicy({ cluster: 'shop', credential: 'lb:secret' });
    expect(p.aclFor('/ringleader/shop2')).toBeUndefined();
    expect(p.aclFor('/other')).toBeUndefined();
    expect(p.aclFor('/ringleader')).toEqual([owner, world(PERMS.create | PERMS.read)]);
    expect(p.folders).toEqual([
      ROOT,
      `${ROOT}/nodes`,
      `${ROOT}/election`,
      `${ROOT}/backends`,
      `${ROOT}/stats`,
    ]);
  });
});

describe('backendChildAcl', () => {
  const own = backendAclPolicy('reg:other').ownId;

  it('open reads: the creator owns it, anyone reads it, no owner id is published', () => {
    const policy = clusterAclPolicy({
      cluster: 'shop',
      credential: 'lb:secret',
      backendCredential: 'reg:other',
    });
    expect(ownersNote(policy)).toBeUndefined();
    // getACL as the backend credential (no ADMIN): ZooKeeper redacts digest ids to `user:x`.
    const redacted = (policy.aclFor(`${ROOT}/backends`) ?? []).map((e) =>
      e.scheme === 'digest' ? { ...e, id: e.id.replace(/:.*/, ':x') } : e,
    );
    expect(aclText(backendChildAcl(redacted, own))).toBe(`digest:${own}:cdrwa, world:anyone:r`);
  });

  it('restricted reads: the owners named in the folder note get all rights, anyone nothing', () => {
    const policy = clusterAclPolicy({
      cluster: 'shop',
      credential: 'lb:secret',
      backendCredential: 'reg:other',
      readAcl: 'restricted',
    });
    const note = JSON.stringify(ownersNote(policy));
    const owners = parseOwnersNote(Buffer.from(note));
    expect(owners).toEqual([digestId('lb:secret')]);
    expect(aclText(backendChildAcl(policy.aclFor(`${ROOT}/backends`) ?? [], own, owners))).toBe(
      `digest:${own}:cdrwa, digest:${digestId('lb:secret')}:cdrwa`,
    );
  });

  it('never widens world rights, and ignores notes that are not lists of digest ids', () => {
    expect(backendChildAcl([world(PERMS.all)], 'x:y')).toEqual([
      { perms: PERMS.all, scheme: 'digest', id: 'x:y' },
      world(PERMS.read),
    ]);
    for (const junk of ['', 'null', '{"aclOwners":"a:b"}', '{"aclOwners":[1,"nocolon"]}', '\u0000\xff'])
      expect(parseOwnersNote(Buffer.from(junk))).toEqual([]);
  });
});

describe('repair decisions', () => {
  it('sameAcl ignores order only', () => {
    const a = [world(1), { perms: 31, scheme: 'digest', id: 'u:h' }];
    expect(sameAcl(a, [...a].reverse())).toBe(true);
    expect(sameAcl(a, [world(3), { perms: 31, scheme: 'digest', id: 'u:h' }])).toBe(false);
    expect(sameAcl(a, a.slice(1))).toBe(false);
  });

  it('a child is repaired when anyone may write it, or read it under restricted reads', () => {
    expect(childNeedsRepair([world(PERMS.all)], 'open')).toBe(true);
    expect(childNeedsRepair([world(PERMS.read | PERMS.write)], 'open')).toBe(true);
    expect(childNeedsRepair([world(PERMS.read)], 'open')).toBe(false);
    expect(childNeedsRepair([world(PERMS.read)], 'restricted')).toBe(true);
    expect(childNeedsRepair([{ perms: 31, scheme: 'digest', id: 'u:h' }], 'restricted')).toBe(false);
  });
});

describe('NOAUTH reports', () => {
  it('says which operation on which path needs the cluster credential', () => {
    const e = fromZkException({ code: -102, name: 'NO_AUTH' }, 'create', `${ROOT}/backends/x`);
    expect(e.code).toBe('RL_ZK_NOT_AUTHORISED');
    expect(e.message).toBe(
      `not authorised: create ${ROOT}/backends/x needs the cluster credential (RINGLEADER_ZK_AUTH or RINGLEADER_ZK_AUTH_FILE)`,
    );
    expect(e.path).toBe(`${ROOT}/backends/x`);
  });

  it('logs a refusal at most once a minute per operation and path, whatever the election guid', () => {
    let now = 0;
    const lines: string[] = [];
    const log = {
      error: (_o: unknown, msg?: string) => lines.push(msg ?? ''),
      warn: () => {},
      info: () => {},
      debug: () => {},
      child: () => log,
    };
    const r = new NotAuthorisedLog(log, { now: () => now });
    const election = () =>
      fromZkException({ code: -102 }, 'create', `${ROOT}/election/_c_${crypto.randomUUID()}-n_`);
    for (let i = 0; i < 100; i++) {
      expect(r.report(election())).toBe(true);
      now += 100;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('not authorised: create /ringleader/shop/election/_c_');
    r.report(fromZkException({ code: -102 }, 'create', `${ROOT}/nodes/lb-1`));
    expect(lines).toHaveLength(2);
    now += 60_000;
    r.report(election());
    expect(lines).toHaveLength(3);
    expect(r.report(zkError('RL_ZK_TIMEOUT', 'x'))).toBe(false);
    expect(r.count).toBe(102);
  });

  it('ReportThrottle: once per interval per key', () => {
    const t = new ReportThrottle(1000);
    expect(t.due('a', 0)).toBe(true);
    expect(t.due('a', 999)).toBe(false);
    expect(t.due('b', 999)).toBe(true);
    expect(t.due('a', 1000)).toBe(true);
  });
});
