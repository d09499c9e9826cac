import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forwardablePath, hostFieldCount, pathRulesHold } from './request-checks.js';

describe('hostFieldCount', () => {
  it('counts Host field lines whatever their case, and nothing else', () => {
    expect(hostFieldCount(['Host', 'a', 'X-Host', 'b', 'hosts', 'c'])).toBe(1);
    expect(hostFieldCount(['Host', 'a', 'HOST', 'b'])).toBe(2);
    expect(hostFieldCount([])).toBe(0);
  });
});

describe('forwardablePath', () => {
  it('forwards ordinary origin-form targets, queries untouched', () => {
    for (const ok of ['/', '/bench', '/a/b.json?x=1&y=../z', '/[...slug]', '/a/./b', '/%41', '/a..b'])
      expect(forwardablePath(ok), ok).toBe(true);
  });

  it('refuses dot-dot segments however they are spelled, absolute forms and bad escapes', () => {
    for (const bad of [
      '/..',
      '/a/../b',
      '/a/%2e%2e/b',
      '/a/%2E%2e',
      '/a\\..\\b',
      '//evil.example/x',
      '/\\evil.example',
      'http://evil.example/',
      '/%zz',
      '/%',
    ])
      expect(forwardablePath(bad), bad).toBe(false);
  });

  it('agrees with the rules without the fast path on any target', () => {
    const target = fc
      .array(fc.constantFrom('/', '.', '%', '2', 'e', 'E', 'a', '\\', ':', 'h', '?', '\t'), { maxLength: 12 })
      .map((cs) => cs.join(''));
    fc.assert(
      fc.property(target, (t) => {
        const q = t.indexOf('?');
        expect(forwardablePath(t)).toBe(pathRulesHold(q < 0 ? t : t.slice(0, q)));
      }),
      { numRuns: 2000 },
    );
  });

  it('never forwards a path whose decoded segments include ..', () => {
    const seg = fc.stringMatching(/^[a-z0-9._~-]{0,6}$/);
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 4 }), fc.array(seg, { maxLength: 4 }), (pre, post) => {
        const path = `/${[...pre, '%2e.', ...post].join('/')}`;
        expect(forwardablePath(path)).toBe(false);
      }),
    );
  });
});
