import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_ERRORS } from '@ringleader/core';
import { ZK_ERRORS } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import { errorBody, NODE_ERRORS, nodeError } from './errors.js';

describe('node error catalogue', () => {
  it('documents every node code in the Node section of docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Node'));
    expect(doc.includes('## Node')).toBe(true);
    const missing = Object.keys(NODE_ERRORS).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('gives each code the status the docs name', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    for (const [code, { status }] of Object.entries(NODE_ERRORS)) {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
    }
  });

  it('builds errors and JSON bodies with the stable code', () => {
    const err = nodeError('RL_NO_BACKEND', 'all 3 backends are down');
    expect(err.code).toBe('RL_NO_BACKEND');
    expect(err.status).toBe(503);
    expect(JSON.parse(errorBody('RL_BODY_TOO_LARGE', 'limit 10 bytes'))).toEqual({
      code: 'RL_BODY_TOO_LARGE',
      message: 'request body is larger than the limit: limit 10 bytes',
    });
  });

  it("has every code the node's sources use in a catalogue (node, or core/zk for codes they own)", () => {
    const known = new Set([
      ...Object.keys(NODE_ERRORS),
      ...Object.keys(CORE_ERRORS),
      ...Object.keys(ZK_ERRORS),
    ]);
    const src = fileURLToPath(new URL('.', import.meta.url));
    const unknown: string[] = [];
    for (const f of readdirSync(src, { recursive: true }) as string[]) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
      for (const m of readFileSync(join(src, f), 'utf8').matchAll(/['"`](RL_[A-Z0-9_]+)['"`]/g))
        if (!known.has(m[1] as string)) unknown.push(`${f}: ${m[1]}`);
    }
    expect(unknown).toEqual([]);
  });
});
