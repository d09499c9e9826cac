import { describe, expect, it } from 'vitest';
import { BACKEND_ID, CLUSTER_NAME, NODE_ID, ZK_CONNECT } from './names.js';

describe('BACKEND_ID: every id a registration tool or the CLI writes stays valid', () => {
  it.each([
    'web-1',
    'member_0000000007', // ServerSet
    'api_0000000012',
    '10.0.0.5:8080', // hosts named by address and port (Nerve-style)
    'i-0abc_10.0.0.5_8080',
    '8d3c4b1f-0c2e-4c1a-9a54-07d1b2c0ffee', // Curator instance ids
    'x'.repeat(255),
    'é-ß',
    '-leading-dash',
  ])('accepts %j', (id) => {
    expect(BACKEND_ID.problem(id)).toBeUndefined();
  });

  it.each([
    ['', /is empty/],
    ['.', /not allowed/],
    ['..', /not allowed/],
    ['a/b', /contains '\/'/],
    ['a b', /whitespace \(U\+0020\)/],
    ['a\tb', /control character \(U\+0009\)/],
    ['a\u0085', /control character/],
    ['a\u200bb', /zero-width/],
    ['a\u{1f600}', /ZooKeeper forbids/],
    ['x'.repeat(256), /256 characters long/],
    [42, /is not a string/],
  ] as const)('rejects %j naming the value and the form', (id, why) => {
    const p = BACKEND_ID.problem(id);
    expect(p).toMatch(why);
    expect(p).toContain(`(expected ${BACKEND_ID.form})`);
    if (typeof id === 'string' && id.length < 50) expect(p).toContain(JSON.stringify(id));
  });
});

describe('CLUSTER_NAME and NODE_ID: one znode name, safe in URLs, shells and JSON', () => {
  it.each(['a', 'lb-1', 'node.example.com', 'A_9', 'x'.repeat(128)])('accepts %j', (name) => {
    expect(CLUSTER_NAME.problem(name)).toBeUndefined();
    expect(NODE_ID.problem(name)).toBeUndefined();
  });
  it.each(['', '.', '..', 'a/b', '-x', '_x', 'has space', 'x'.repeat(129), 'ünï', 'a:b'])(
    'rejects %j',
    (bad) => {
      expect(CLUSTER_NAME.problem(bad)).toContain(CLUSTER_NAME.form);
      expect(NODE_ID.problem(bad)).toContain(NODE_ID.form);
    },
  );
  it('a 65..128-character cluster name is valid (the CLI created such clusters; the node now joins them)', () => {
    expect(CLUSTER_NAME.problem('c'.repeat(100))).toBeUndefined();
  });
});

describe('ZK_CONNECT: host[:port] entries, optional chroot, port defaulting to 2181', () => {
  it.each(['127.0.0.1:2181', 'zk1', 'zk1,zk2:2182', 'zk1:2181,zk2:2181/prod', 'h:1', 'zk1/', 'a:65535/x/y'])(
    'accepts %j',
    (text) => {
      expect(ZK_CONNECT.problem(text)).toBeUndefined();
    },
  );
  it.each([
    ['', /is empty/],
    ['zk1:2181 zk2:2181', /whitespace/],
    ['zk1:abc', /port is not 1\.\.65535/],
    ['zk1:0', /port is not 1\.\.65535/],
    ['zk1:65536', /port is not 1\.\.65535/],
    [':2181', /without a host/],
    ['zk1:2181,,zk2', /empty server entry/],
    ['::1:2181', /holds no ':'/],
    ['zk1/a//b', /empty path segments/],
  ] as const)('rejects %j', (text, why) => {
    const p = ZK_CONNECT.problem(text);
    expect(p).toMatch(why);
    expect(p).toContain(ZK_CONNECT.form);
  });
});
