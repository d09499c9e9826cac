import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IncomingLike, LazyRequestFacts, requestFacts } from './facts.js';

function req(over: Partial<IncomingLike> = {}): IncomingLike {
  return { remoteAddress: '10.1.2.3', remotePort: 51000, method: 'POST', url: '/', headers: {}, ...over };
}

describe('request facts', () => {
  it('reads layer-4 facts; IPv4-mapped IPv6 becomes IPv4', () => {
    const f = requestFacts(req());
    expect([f.clientIp, f.clientPort, f.method]).toEqual(['10.1.2.3', 51000, 'POST']);
    expect(requestFacts(req({ remoteAddress: '::ffff:192.0.2.7' })).clientIp).toBe('192.0.2.7');
    expect(requestFacts(req({ remoteAddress: '2001:db8::1' })).clientIp).toBe('2001:db8::1');
    expect(requestFacts(req({ remoteAddress: '::ffff:abcd' })).clientIp).toBe('::ffff:abcd');
    const bare = requestFacts({ headers: {} });
    expect([bare.clientIp, bare.clientPort, bare.method, bare.path, bare.host]).toEqual([
      '',
      0,
      'GET',
      '/',
      '',
    ]);
  });

  it.each([
    ['/a/b?x=1&y=2', '/a/b', 'x=1&y=2'],
    ['/a/b', '/a/b', ''],
    ['/?', '/', ''],
    ['/p%2Fq?z', '/p%2Fq', 'z'],
    ['http://example.test/a?q=1', '/a', 'q=1'],
    ['http://example.test?q=1', '/', 'q=1'],
    ['http://example.test', '/', ''],
    ['*', '*', ''],
  ])('splits %s into path %s and query %s', (url, path, query) => {
    const f = new LazyRequestFacts(req({ url }));
    expect(f.path).toBe(path);
    expect(f.rawQuery).toBe(query);
  });

  it('query(name): first value, decoded, malformed escapes returned raw', () => {
    const f = requestFacts(req({ url: '/s?a=1&b=x%20y&a=2&c&d=&e=p+q&bad=%E0%A4%A&k%65y=v&=z&&f=1=2' }));
    expect(f.query('a')).toBe('1');
    expect(f.query('b')).toBe('x y');
    expect(f.query('c')).toBe('');
    expect(f.query('d')).toBe('');
    expect(f.query('e')).toBe('p q');
    expect(f.query('bad')).toBe('%E0%A4%A');
    expect(f.query('key')).toBe('v');
    expect(f.query('f')).toBe('1=2');
    expect(f.query('missing')).toBeUndefined();
    expect(f.query('')).toBe('z');
    expect(requestFacts(req({ url: '/' })).query('a')).toBeUndefined();
  });

  it('header(name) is case-insensitive and joins repeated values', () => {
    const f = requestFacts(req({ headers: { 'x-user': 'u1', 'x-multi': ['a', 'b'], host: 'api.test' } }));
    expect(f.header('X-User')).toBe('u1');
    expect(f.header('x-user')).toBe('u1');
    expect(f.header('x-multi')).toBe('a, b');
    expect(f.header('x-none')).toBeUndefined();
    expect(f.host).toBe('api.test');
  });

  it('cookie(name): parsed once, first occurrence wins, quotes and escapes handled', () => {
    let reads = 0;
    const headers = {
      get cookie() {
        reads++;
        return 'sid=abc; theme="dark"; sid=zzz; enc=a%20b; bad=%E0%A4%A; flag; empty=; spaced = v ';
      },
    };
    const f = requestFacts(req({ headers }));
    expect(reads).toBe(0);
    expect(f.cookie('sid')).toBe('abc');
    expect(f.cookie('theme')).toBe('dark');
    expect(f.cookie('enc')).toBe('a b');
    expect(f.cookie('bad')).toBe('%E0%A4%A');
    expect(f.cookie('flag')).toBeUndefined();
    expect(f.cookie('empty')).toBe('');
    expect(f.cookie('spaced')).toBe('v');
    expect(f.cookie('none')).toBeUndefined();
    expect(reads).toBe(1);
    expect(requestFacts(req({ headers: { cookie: ['a=1', 'b=2'] } })).cookie('b')).toBe('2');
    expect(requestFacts(req()).cookie('a')).toBeUndefined();
  });

  it('is lazy: building reads nothing, and a fact reads only what it needs', () => {
    const touched: string[] = [];
    const spy = new Proxy(req({ url: '/x?y=1', headers: { cookie: 'a=1' } }), {
      get(target, key, receiver) {
        touched.push(String(key));
        return Reflect.get(target, key, receiver);
      },
    });
    const f = requestFacts(spy);
    expect(touched).toEqual([]);
    void f.clientIp;
    expect(touched).toEqual(['remoteAddress']);
    void f.path;
    void f.path;
    void f.query('y');
    expect(touched).toEqual(['remoteAddress', 'url']);
  });

  it('never throws on arbitrary urls, names and cookie headers', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string(),
        fc.string({ unit: 'binary' }),
        (url, name, cookie) => {
          const f = requestFacts(req({ url, headers: { cookie } }));
          void f.path;
          const q = f.query(name);
          expect(q === undefined || typeof q === 'string').toBe(true);
          const c = f.cookie(name);
          expect(c === undefined || typeof c === 'string').toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
