import { DEFAULT_CLUSTER_CONFIG } from '@ringleader/core';
import type { StoredConfig } from '@ringleader/zk';
import { describe, expect, it } from 'vitest';
import { configPatchFromFlags, formatConfig, prevalidateConfigPatch } from './config-plan.js';
import { thrown } from './testing/thrown.js';

describe('configPatchFromFlags', () => {
  it('is undefined with no flags', () => {
    expect(configPatchFromFlags({})).toBeUndefined();
  });

  it('maps flags to nested fields', () => {
    expect(
      configPatchFromFlags({
        policy: 'consistent-hash',
        hash: 'header:X-User-Id',
        vnodes: '200',
        loadFactor: '1.25',
        retries: '1',
        healthPath: '/ready',
        healthInterval: '1000',
        healthExpect: '200-299',
        outlierFailures: '0',
      }),
    ).toEqual({
      policy: 'consistent-hash',
      hash: { source: 'header', name: 'x-user-id', withPort: null },
      ring: { vnodes: 200, loadFactor: 1.25 },
      retries: 1,
      healthCheck: { path: '/ready', intervalMs: 1000, expectStatus: [200, 299] },
      outlier: { consecutiveFailures: 0 },
    });
  });

  it('a hash source replaces the stored one whole (unused keys are deleted)', () => {
    expect(configPatchFromFlags({ hash: 'path' })).toEqual({
      hash: { source: 'path', name: null, withPort: null },
    });
    expect(configPatchFromFlags({ hash: 'ip:port' })).toEqual({
      hash: { source: 'ip', name: null, withPort: true },
    });
  });

  it('--unset takes a flag name or a field', () => {
    expect(configPatchFromFlags({ unset: ['load-factor', 'hash', 'healthCheck.path'] })).toEqual({
      ring: { loadFactor: null },
      hash: null,
      healthCheck: { path: null },
    });
    expect(thrown(() => configPatchFromFlags({ unset: ['policy'] })).code).toBe('RL_CLI_USAGE');
  });

  it('malformed flag text is a usage error; a bad hash source is the codec’s error', () => {
    expect(thrown(() => configPatchFromFlags({ vnodes: 'many' })).message).toBe(
      'invalid --vnodes: "many" is not a number',
    );
    expect(thrown(() => configPatchFromFlags({ healthExpect: '2xx' })).code).toBe('RL_CLI_USAGE');
    expect(thrown(() => configPatchFromFlags({ hash: 'body' })).code).toBe('RL_BAD_HASH_SOURCE');
  });
});

describe('prevalidateConfigPatch (no ZooKeeper needed)', () => {
  it('rejects an unknown policy, naming it', () => {
    const e = thrown(() => prevalidateConfigPatch({ policy: 'fastest' }));
    expect(e.code).toBe('RL_UNKNOWN_POLICY');
    expect(e.message).toContain('"fastest"');
  });
  it('rejects out-of-range fields', () => {
    expect(thrown(() => prevalidateConfigPatch({ ring: { vnodes: 0 } })).field).toBe('ring.vnodes');
    expect(thrown(() => prevalidateConfigPatch({ ring: { loadFactor: 1 } })).field).toBe('ring.loadFactor');
    expect(thrown(() => prevalidateConfigPatch({ maglev: { tableSize: 1000 } })).field).toBe(
      'maglev.tableSize',
    );
  });
  it('passes what only the stored config can decide (hash of a hash policy, cross-field rules)', () => {
    expect(() => prevalidateConfigPatch({ policy: 'maglev' })).not.toThrow();
    expect(() => prevalidateConfigPatch({ healthCheck: { timeoutMs: 5000 } })).not.toThrow();
    expect(() => prevalidateConfigPatch({ outlier: { baseEjectionMs: 400_000 } })).not.toThrow();
  });
  it('still checks a cross-field rule when both sides are given', () => {
    expect(
      thrown(() => prevalidateConfigPatch({ healthCheck: { intervalMs: 1000, timeoutMs: 2000 } })).field,
    ).toBe('healthCheck.timeoutMs');
  });
});

describe('formatConfig', () => {
  const path = '/ringleader/default/config';
  it('says what happens without a config znode', () => {
    expect(formatConfig({ exists: false, version: -1 }, 'default', path)).toMatch(
      /^no cluster config in default /,
    );
  });
  it('shows which fields are set and which are defaults, with their flags', () => {
    const stored: StoredConfig = {
      exists: true,
      version: 3,
      raw: { policy: 'round-robin', hash: { source: 'path' }, retries: 1 },
      config: {
        ...DEFAULT_CLUSTER_CONFIG,
        policy: 'round-robin',
        hash: { kind: 'path' },
        retries: 1,
      },
    };
    const lines = formatConfig(stored, 'default', path).split('\n');
    expect(lines[0]).toBe('/ringleader/default/config (version 3)');
    expect(lines[1]).toMatch(/^FIELD\s+VALUE\s+SOURCE\s+FLAG$/);
    expect(lines).toContainEqual(expect.stringMatching(/^policy\s+round-robin\s+set\s+--policy$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^hash\s+path \(unused by round-robin\)\s+set\s+--hash$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ring\.vnodes\s+160\s+default\s+--vnodes$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^healthCheck\.expectStatus\s+200-399\s+default\s+--health-expect$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^retries\s+1\s+set\s+--retries$/));
  });
  it('reports an invalid stored payload instead of a table', () => {
    const out = formatConfig(
      {
        exists: true,
        version: 1,
        raw: { policy: 'x' },
        error: { code: 'RL_UNKNOWN_POLICY', message: 'bad policy' },
      },
      'default',
      path,
    );
    expect(out).toContain('INVALID: bad policy [RL_UNKNOWN_POLICY]');
    expect(out).toContain('nodes keep their last good config');
  });
});
