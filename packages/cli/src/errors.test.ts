import { readFileSync } from 'node:fs';
import { encodeBackend, RingleaderError, unwrap, validateClusterConfig } from '@ringleader/core';
import { zkError } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import { CONFIG_FIELD_FLAGS } from './config-plan.js';
import { CLI_ERRORS, CliError, describeCodecError, renderError } from './errors.js';

function codecError(f: () => unknown): RingleaderError {
  try {
    f();
  } catch (e) {
    if (e instanceof RingleaderError) return e;
  }
  throw new Error('expected a RingleaderError');
}

describe('cli error catalogue', () => {
  it('documents every CLI code in docs/errors.md under CLI', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    expect(doc.includes('\n## CLI\n')).toBe(true);
    const section = doc.slice(doc.indexOf('\n## CLI\n'));
    const missing = Object.keys(CLI_ERRORS).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('usage problems exit 2, runtime problems exit 1', () => {
    expect(new CliError('RL_CLI_USAGE', 'x').exitCode).toBe(2);
    expect(new CliError('RL_CLI_SECRET_FILE', 'x').exitCode).toBe(2);
    expect(new CliError('RL_CLI_NO_LEADER', 'x').exitCode).toBe(1);
    expect(new CliError('RL_CLI_ADMIN_REQUEST', 'x').exitCode).toBe(1);
  });
});

describe('renderError', () => {
  it('a codec error names the field in the user’s words and exits 2', () => {
    const e = codecError(() => unwrap(encodeBackend({ host: 'h', port: 70000 })));
    expect(renderError(e)).toEqual({
      text: 'invalid port: must be an integer 1..65535 (got 70000) [RL_BAD_BACKEND_PAYLOAD]',
      exitCode: 2,
    });
  });

  it('config fields are shown with the flag that sets them', () => {
    const e = codecError(() => unwrap(validateClusterConfig({ policy: 'round-robin', ring: { vnodes: 0 } })));
    expect(describeCodecError(e, CONFIG_FIELD_FLAGS)).toBe(
      'invalid --vnodes (ring.vnodes): must be an integer 1..1000 (got 0)',
    );
    const p = codecError(() => unwrap(validateClusterConfig({ policy: 'fastest' })));
    expect(renderError(p, CONFIG_FIELD_FLAGS).text).toMatch(
      /^invalid --policy: "fastest" is not one of round-robin, /,
    );
    expect(renderError(p).exitCode).toBe(2);
  });

  it('an existing backend: "backend ID exists", exit 1', () => {
    const e = zkError('RL_ZK_NODE_EXISTS', 'backend "web-1" exists', {
      path: '/ringleader/shop/backends/web-1',
    });
    const r = renderError(e);
    expect(r.exitCode).toBe(1);
    expect(r.text).toMatch(/^backend web-1 exists /);
  });

  it('a missing backend: "no backend ID in cluster C"', () => {
    const e = zkError('RL_ZK_NO_NODE', 'x', { path: '/ringleader/shop/backends/web-9' });
    expect(renderError(e)).toEqual({ text: 'no backend web-9 in cluster shop [RL_ZK_NO_NODE]', exitCode: 1 });
  });

  it('a lost versioned write: "version conflict — retry"', () => {
    const e = zkError('RL_ZK_BAD_VERSION', 'x', { path: '/ringleader/default/config' });
    expect(renderError(e).text).toBe(
      'version conflict — retry: /ringleader/default/config was changed by another writer [RL_ZK_BAD_VERSION]',
    );
  });

  it('NOAUTH points at the environment credential', () => {
    const e = zkError('RL_ZK_NOT_AUTHORISED', 'x', { path: '/ringleader/default/backends/a' });
    expect(renderError(e).text).toContain('RINGLEADER_ZK_AUTH');
  });

  it('a foreign-format backend is refused as invalid input (exit 2)', () => {
    expect(renderError(zkError('RL_ZK_FOREIGN_PAYLOAD', 'x')).exitCode).toBe(2);
  });

  it('anything else is a runtime failure with its message', () => {
    expect(renderError(new Error('boom'))).toEqual({ text: 'unexpected error: boom', exitCode: 1 });
    expect(renderError(zkError('RL_ZK_TIMEOUT', 'getData /x')).exitCode).toBe(1);
  });
});
