// Where a hash policy finds its key, and what happens without one.
//
// A missing or empty key (no such header, cookie or query parameter; unknown
// client address) does NOT fall back to another key: the request is spread at
// random (weighted, because a random ring point or table slot is drawn). That is
// what operators of the established balancers expect: Envoy picks a random host
// when no hash policy yields a hash, and HAProxy's `balance hdr(...)` /
// `url_param` fall back to round robin when the header or parameter is absent.
// Falling back to the client IP instead would silently pile every keyless client
// behind one NAT onto one backend. Use `{ kind: 'ip' }` for client stickiness.

import type { HashSource, RequestFacts } from '../types.js';
import { xxh32 } from './xxh32.js';

/** The string a request hashes on, or undefined when the request has none. */
export function keyOf(source: HashSource, facts: RequestFacts): string | undefined {
  let key: string | undefined;
  switch (source.kind) {
    case 'ip':
      // Layer 4: the client address; with the port, each connection (not each client) sticks.
      key = facts.clientIp;
      if (key !== '' && source.withPort === true) key = `${key}:${facts.clientPort}`;
      break;
    case 'header':
      key = facts.header(source.name);
      break;
    case 'cookie':
      key = facts.cookie(source.name);
      break;
    case 'path':
      key = facts.path;
      break;
    case 'query':
      key = facts.query(source.name);
      break;
  }
  return key === '' ? undefined : key;
}

/** Draws a uniform 32-bit value from the injected random source (the keyless fallback). */
export function randomHash(random: () => number): number {
  return Math.floor(random() * 0x1_0000_0000) >>> 0;
}

/**
 * The 32-bit position of a request: xxh32 of its key, or a random position when
 * it has no key (see the top of this file).
 */
export function requestHash(source: HashSource, facts: RequestFacts, random: () => number): number {
  const key = keyOf(source, facts);
  return key === undefined ? randomHash(random) : xxh32(key);
}
