import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_ERRORS, catalogueError, coreError, RingleaderError } from './errors.js';

describe('error catalogue', () => {
  it('documents every core code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const missing = Object.keys(CORE_ERRORS).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('carries code, field, path and status', () => {
    const err = coreError('RL_BAD_BACKEND_PAYLOAD', 'port must be 1..65535', {
      field: 'port',
      path: '/ringleader/default/backends/a',
    });
    expect(err).toBeInstanceOf(RingleaderError);
    expect(err.code).toBe('RL_BAD_BACKEND_PAYLOAD');
    expect(err.field).toBe('port');
    expect(err.path).toBe('/ringleader/default/backends/a');
    expect(err.status).toBe(400);
    expect(err.message).toContain('port must be 1..65535');
  });

  it("builds any catalogue's errors: its status, its message before the detail", () => {
    const make = catalogueError({ RL_X: { status: 418, message: 'teapot' } } as const);
    const cause = new Error('under');
    const err = make('RL_X', 'short and stout', { path: '/p', cause });
    expect(err).toBeInstanceOf(RingleaderError);
    expect(err.toJSON()).toEqual({
      code: 'RL_X',
      message: 'teapot: short and stout',
      field: undefined,
      path: '/p',
    });
    expect(err.status).toBe(418);
    expect(err.cause).toBe(cause);
  });
});
