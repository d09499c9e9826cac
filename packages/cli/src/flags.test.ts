import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { parseInteger, parseMeta, parseNumber, readZkAuth, resolveZkTarget } from './flags.js';
import { thrown } from './testing/thrown.js';

const noFile = (p: string): string => {
  throw new Error(`ENOENT: no such file or directory, open '${p}'`);
};

describe('numbers', () => {
  it.each([
    ['8080', 8080],
    [' 42 ', 42],
    ['1.25', 1.25],
    ['-3', -3],
    ['1e3', 1000],
  ])('parseNumber(%j) = %d (range is the codec’s job)', (text, n) => {
    expect(parseNumber('port', text)).toBe(n);
  });

  it.each(['abc', '', '8080x', '0x10', '1,5', 'NaN', 'Infinity'])(
    'parseNumber(%j) is a usage error naming the flag',
    (text) => {
      const e = thrown(() => parseNumber('port', text));
      expect(e).toBeInstanceOf(CliError);
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(`invalid port: ${JSON.stringify(text)} is not a number`);
    },
  );

  it('parseInteger checks its own range', () => {
    expect(parseInteger('--timeout', '250', 100, 1000)).toBe(250);
    expect(thrown(() => parseInteger('--timeout', '50', 100, 1000)).message).toBe(
      'invalid --timeout: must be an integer 100..1000 (got 50)',
    );
    expect(thrown(() => parseInteger('--timeout', '150.5', 100, 1000)).code).toBe('RL_CLI_USAGE');
  });
});

describe('parseMeta', () => {
  it('collects key=value pairs as strings; = inside the value is kept', () => {
    expect(parseMeta(['role=canary', 'q=a=b', 'n=3'], false)).toEqual({ role: 'canary', q: 'a=b', n: '3' });
  });
  it('key= deletes only where a patch is built', () => {
    expect(parseMeta(['role='], true)).toEqual({ role: null });
    expect(thrown(() => parseMeta(['role='], false)).message).toMatch(/empty value/);
  });
  it.each([['novalue'], ['=v'], [' k=v']])('rejects %j', (pair) => {
    expect(thrown(() => parseMeta([pair], true)).message).toMatch(/expected key=value/);
  });
  it('rejects a key given twice', () => {
    expect(thrown(() => parseMeta(['a=1', 'a=2'], true)).message).toBe('--meta a given twice');
  });
});

describe('resolveZkTarget', () => {
  it('defaults: 127.0.0.1:2181, cluster default, 5000 ms, no credential', () => {
    expect(resolveZkTarget({}, {}, noFile)).toEqual({
      connect: '127.0.0.1:2181',
      cluster: 'default',
      timeoutMs: 5000,
    });
  });
  it('environment over defaults, flags over environment', () => {
    const env = { RINGLEADER_ZK: 'zk1:2181,zk2:2181/chroot', RINGLEADER_CLUSTER: 'shop' };
    expect(resolveZkTarget({}, env, noFile)).toMatchObject({
      connect: 'zk1:2181,zk2:2181/chroot',
      cluster: 'shop',
    });
    expect(resolveZkTarget({ zk: 'zk9', cluster: 'blue', timeout: '800' }, env, noFile)).toEqual({
      connect: 'zk9',
      cluster: 'blue',
      timeoutMs: 800,
    });
  });
  it.each(['zk1:2181 zk2:2181', 'zk1:abc', ':2181', 'zk1:2181,,zk2'])(
    'rejects the connect string %j (exit 2)',
    (zk) => {
      const e = thrown(() => resolveZkTarget({ zk }, {}, noFile));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain('invalid --zk');
    },
  );
  it('rejects a cluster name that is not one znode name', () => {
    expect(thrown(() => resolveZkTarget({ cluster: 'a/b' }, {}, noFile)).code).toBe('RL_ZK_BAD_PATH');
  });
});

describe('ZooKeeper credential (environment only)', () => {
  it('RINGLEADER_ZK_AUTH wins over RINGLEADER_ZK_AUTH_FILE', () => {
    expect(readZkAuth({ RINGLEADER_ZK_AUTH: 'ops:pw', RINGLEADER_ZK_AUTH_FILE: '/x' }, noFile)).toBe(
      'ops:pw',
    );
  });
  it('reads and trims the file', () => {
    expect(readZkAuth({ RINGLEADER_ZK_AUTH_FILE: '/run/secret' }, () => 'ops:pw\n')).toBe('ops:pw');
    expect(resolveZkTarget({}, { RINGLEADER_ZK_AUTH_FILE: '/s' }, () => 'a:b').auth).toBe('a:b');
  });
  it('the backend-registration credential comes from RINGLEADER_ZK_BACKEND_AUTH or its _FILE', () => {
    expect(resolveZkTarget({}, { RINGLEADER_ZK_BACKEND_AUTH: 'reg:pw' }, noFile)).toMatchObject({
      backendAuth: 'reg:pw',
    });
    expect(resolveZkTarget({}, { RINGLEADER_ZK_BACKEND_AUTH_FILE: '/s' }, () => 'reg:pw\n').backendAuth).toBe(
      'reg:pw',
    );
    expect(resolveZkTarget({}, {}, noFile).backendAuth).toBeUndefined();
  });
  it('an unreadable file is RL_CLI_SECRET_FILE (exit 2) naming the file', () => {
    const e = thrown(() => readZkAuth({ RINGLEADER_ZK_AUTH_FILE: '/nope' }, noFile));
    expect(e.code).toBe('RL_CLI_SECRET_FILE');
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('/nope');
  });
  it('a malformed credential is refused without echoing it', () => {
    const e = thrown(() => readZkAuth({ RINGLEADER_ZK_AUTH: 'justapassword' }, noFile));
    expect(e.message).toContain('user:password');
    expect(e.message).not.toContain('justapassword');
  });
});
