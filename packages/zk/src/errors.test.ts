import { readdirSync, readFileSync } from 'node:fs';
import { CORE_ERRORS, RingleaderError } from '@ringleader/core';
import { describe, expect, it } from 'vitest';
import { codeForZkException, fromZkException, hasCode, ZK_ERRORS, zkError } from './errors.js';

describe('zk error catalogue', () => {
  it('documents every zk code in docs/errors.md under ZooKeeper', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## ZooKeeper'));
    expect(doc.includes('## ZooKeeper')).toBe(true);
    const missing = Object.keys(ZK_ERRORS).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('catalogues and documents every RL_* code the zk sources use', () => {
    // A code zk raises or logs is its own (ZK_ERRORS) or a core one it passes on (CORE_ERRORS);
    // either way docs/errors.md must explain it.
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const dir = new URL('./', import.meta.url);
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const used = new Set<string>();
    for (const f of files) {
      for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/['"`](RL_[A-Z0-9_]+)['"`]/g))
        used.add(m[1] as string);
    }
    expect(used.size).toBeGreaterThan(10);
    const known = new Set([...Object.keys(ZK_ERRORS), ...Object.keys(CORE_ERRORS)]);
    expect([...used].filter((code) => !known.has(code))).toEqual([]);
    expect([...used].filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });

  it.each([
    [-101, 'RL_ZK_NO_NODE'],
    [-110, 'RL_ZK_NODE_EXISTS'],
    [-103, 'RL_ZK_BAD_VERSION'],
    [-102, 'RL_ZK_NOT_AUTHORISED'],
    [-112, 'RL_ZK_SESSION_EXPIRED'],
    [-4, 'RL_ZK_CONNECTION_LOSS'],
    [-111, 'RL_ZK_NOT_EMPTY'],
    [-115, 'RL_ZK_AUTH_FAILED'],
    [-1, 'RL_ZK_ERROR'],
  ])('maps ZooKeeper exception %i to %s', (zkCode, code) => {
    expect(codeForZkException(zkCode)).toBe(code);
  });

  it('wraps a client exception with the operation and path', () => {
    const err = fromZkException({ code: -101, name: 'NO_NODE' }, 'getData', '/ringleader/x');
    expect(err).toBeInstanceOf(RingleaderError);
    expect(err.code).toBe('RL_ZK_NO_NODE');
    expect(err.path).toBe('/ringleader/x');
    expect(err.status).toBe(404);
    expect(err.message).toContain('getData /ringleader/x');
    expect(hasCode(err, 'RL_ZK_NO_NODE', 'RL_ZK_TIMEOUT')).toBe(true);
    expect(hasCode(zkError('RL_ZK_TIMEOUT', 'x'), 'RL_ZK_NO_NODE')).toBe(false);
    expect(fromZkException(new Error('boom'), 'create', '/a').code).toBe('RL_ZK_ERROR');
  });
});
