import { describe, expect, it } from 'vitest';
import { fakeFacts, seededRandom } from '../testing/fakes.js';
import type { HashSource } from '../types.js';
import { keyOf, randomHash, requestHash } from './key.js';
import { xxh32 } from './xxh32.js';

const facts = fakeFacts({
  clientIp: '203.0.113.7',
  clientPort: 51234,
  path: '/img/cat.png',
  headers: { 'X-User': 'alice', 'X-Empty': '' },
  cookies: { session: 's-42', blank: '' },
  query: { id: '99', none: '' },
});

describe('keyOf', () => {
  it.each<[string, HashSource, string | undefined]>([
    ['client ip', { kind: 'ip' }, '203.0.113.7'],
    ['client ip and port', { kind: 'ip', withPort: true }, '203.0.113.7:51234'],
    ['header, any case', { kind: 'header', name: 'x-user' }, 'alice'],
    ['missing header', { kind: 'header', name: 'x-missing' }, undefined],
    ['empty header', { kind: 'header', name: 'x-empty' }, undefined],
    ['cookie', { kind: 'cookie', name: 'session' }, 's-42'],
    ['missing cookie', { kind: 'cookie', name: 'nope' }, undefined],
    ['empty cookie', { kind: 'cookie', name: 'blank' }, undefined],
    ['path', { kind: 'path' }, '/img/cat.png'],
    ['query parameter', { kind: 'query', name: 'id' }, '99'],
    ['missing query parameter', { kind: 'query', name: 'nope' }, undefined],
    ['empty query parameter', { kind: 'query', name: 'none' }, undefined],
  ])('%s', (_name, source, expected) => {
    expect(keyOf(source, facts)).toBe(expected);
  });

  it('treats an unknown client address as no key, with or without port', () => {
    const anon = fakeFacts({ clientIp: '' });
    expect(keyOf({ kind: 'ip' }, anon)).toBeUndefined();
    expect(keyOf({ kind: 'ip', withPort: true }, anon)).toBeUndefined();
  });
});

describe('requestHash', () => {
  it('hashes the key when there is one', () => {
    expect(requestHash({ kind: 'path' }, facts, () => 0.5)).toBe(xxh32('/img/cat.png'));
  });

  it('draws from the injected random source when the key is missing', () => {
    const source: HashSource = { kind: 'header', name: 'x-missing' };
    const a = seededRandom(7);
    const b = seededRandom(7);
    const drawn = Array.from({ length: 5 }, () => requestHash(source, facts, a));
    expect(drawn).toEqual(Array.from({ length: 5 }, () => randomHash(b)));
    expect(new Set(drawn).size).toBe(5);
  });

  it('maps [0, 1) onto the whole 32-bit range', () => {
    expect(randomHash(() => 0)).toBe(0);
    expect(randomHash(() => 0.5)).toBe(0x80000000);
    expect(randomHash(() => 1 - 2 ** -53)).toBe(0xffffffff);
  });
});
