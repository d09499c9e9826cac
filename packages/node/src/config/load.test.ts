import { describe, expect, it } from 'vitest';
import { ConfigError, loadNodeConfig } from './load.js';

const files: Record<string, string> = {
  '/etc/rl.yaml': `
nodeId: lb-1
cluster: shop
zookeeper:
  connect: 10.0.0.1:2181,10.0.0.2:2181/prod
  sessionTimeoutMs: 3000
proxy:
  listen: 0.0.0.0:8080
admin:
  listen: 127.0.0.1:9090
mode: active-passive
standby: forward
routing:
  policy: consistent-hash
  hash: header:x-user-id
`,
  '/etc/bad.yaml': 'nodeId: [unclosed',
  '/run/secrets/token': 'abcdefghijklmnopqrstuvwxyz\n',
};
const readFile = (p: string) => {
  const text = files[p];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
  return text;
};

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadNodeConfig', () => {
  it('reads a YAML file and fills defaults', () => {
    const c = loadNodeConfig({ file: '/etc/rl.yaml', env: {}, readFile });
    expect(c.nodeId).toBe('lb-1');
    expect(c.cluster).toBe('shop');
    expect(c.zookeeper).toEqual({ connect: '10.0.0.1:2181,10.0.0.2:2181/prod', sessionTimeoutMs: 3000 });
    expect(c.proxy.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(c.standby).toBe('forward');
    expect(c.routing).toEqual({ policy: 'consistent-hash', hash: { kind: 'header', name: 'x-user-id' } });
    expect(c.retries).toBe(2);
    expect(c.onCoordinatorLoss).toBe('stop-serving');
  });

  it('lets the environment override the file', () => {
    const c = loadNodeConfig({
      file: '/etc/rl.yaml',
      env: {
        RINGLEADER_NODE_ID: 'lb-9',
        RINGLEADER_PROXY_LISTEN: '127.0.0.1:18080',
        RINGLEADER_RETRIES: '5',
      },
      readFile,
    });
    expect(c.nodeId).toBe('lb-9');
    expect(c.proxy.listen).toEqual({ host: '127.0.0.1', port: 18080 });
    expect(c.retries).toBe(5);
  });

  it('starts from the environment alone', () => {
    const c = loadNodeConfig({
      env: {
        RINGLEADER_NODE_ID: 'lb-2',
        RINGLEADER_ZK: '127.0.0.1:2181',
        RINGLEADER_CLUSTER: 'demo',
        RINGLEADER_SESSION_TIMEOUT_MS: '2000',
        RINGLEADER_PROXY_LISTEN: ':8081',
        RINGLEADER_ADMIN_LISTEN: '[::1]:9091',
        RINGLEADER_MODE: 'active-active',
        RINGLEADER_STANDBY: 'reject',
        RINGLEADER_POLICY: 'hash',
        RINGLEADER_HASH: 'cookie:sid',
        RINGLEADER_ADMIN_TOKEN_FILE: '/run/secrets/token',
      },
      readFile,
    });
    expect(c.mode).toBe('active-active');
    expect(c.proxy.listen).toEqual({ host: '0.0.0.0', port: 8081 });
    expect(c.admin).toEqual({ listen: { host: '::1', port: 9091 }, token: 'abcdefghijklmnopqrstuvwxyz' });
    expect(c.routing.hash).toEqual({ kind: 'cookie', name: 'sid' });
    expect(c.log).toEqual({ level: 'info', access: false, format: 'auto' });
    const withAccess = loadNodeConfig({
      env: { RINGLEADER_NODE_ID: 'lb-2', RINGLEADER_ZK: '127.0.0.1:2181', RINGLEADER_ACCESS_LOG: 'true' },
      readFile,
    });
    expect(withAccess.log.access).toBe(true);
  });

  it('names every bad key, its source and the expected form at once', () => {
    const issues = issuesOf(() =>
      loadNodeConfig({
        env: {
          RINGLEADER_ZK: 'not a connect string',
          RINGLEADER_PROXY_LISTEN: 'localhost',
          RINGLEADER_MODE: 'active-everything',
          RINGLEADER_POLICY: 'random',
          RINGLEADER_RETRIES: '-1',
        },
        readFile,
      }),
    );
    const byKey = Object.fromEntries(issues.map((i) => [i.key, i]));
    expect(Object.keys(byKey).sort()).toEqual(
      ['mode', 'nodeId', 'proxy.listen', 'retries', 'routing.policy', 'zookeeper.connect'].sort(),
    );
    expect(byKey['proxy.listen']?.source).toBe('env RINGLEADER_PROXY_LISTEN');
    expect(byKey['proxy.listen']?.message).toMatch(/host:port/);
    expect(byKey.mode?.message).toMatch(/active-passive \| active-active/);
    expect(byKey.nodeId?.source).toMatch(/RINGLEADER_NODE_ID/);
  });

  it('rejects unknown keys (typos) and hash policies without a hash source', () => {
    files['/etc/typo.yaml'] =
      'nodeId: a\nzookeeper: { connect: "h:1", sesionTimeoutMs: 5 }\nrouting: { policy: maglev }\n';
    const issues = issuesOf(() => loadNodeConfig({ file: '/etc/typo.yaml', env: {}, readFile }));
    expect(issues.map((i) => i.key).sort()).toEqual(['routing.hash', 'zookeeper.sesionTimeoutMs']);
    expect(issues[0]?.source).toMatch(/\/etc\/typo.yaml/);
  });

  it('reads the ACL settings: read access and the backend credential, only with the cluster credential', () => {
    const base = { RINGLEADER_NODE_ID: 'a', RINGLEADER_ZK: 'h:1' };
    const c = loadNodeConfig({
      env: {
        ...base,
        RINGLEADER_ZK_AUTH: 'lb:pw',
        RINGLEADER_ZK_READ_ACL: 'restricted',
        RINGLEADER_ZK_BACKEND_AUTH_FILE: '/run/secrets/backend',
      },
      readFile: (p) => (p === '/run/secrets/backend' ? 'reg:pw\n' : readFile(p)),
    });
    expect(c.zookeeper).toMatchObject({ auth: 'lb:pw', readAcl: 'restricted', backendAuth: 'reg:pw' });
    expect(
      loadNodeConfig({ env: { ...base, RINGLEADER_ZK_AUTH: 'lb:pw' }, readFile }).zookeeper.readAcl,
    ).toBe('open');
    const issues = issuesOf(() =>
      loadNodeConfig({
        env: { ...base, RINGLEADER_ZK_READ_ACL: 'secret', RINGLEADER_ZK_BACKEND_AUTH: 'x:y' },
      }),
    );
    expect(issues.map((i) => i.key).sort()).toEqual(['zookeeper.backendAuth', 'zookeeper.readAcl']);
  });

  it('reports unreadable and unparsable files with their path', () => {
    const missing = issuesOf(() => loadNodeConfig({ file: '/nope.yaml', env: {}, readFile }));
    expect(missing[0]?.message).toMatch(/cannot be read/);
    const bad = issuesOf(() => loadNodeConfig({ file: '/etc/bad.yaml', env: {}, readFile }));
    expect(bad[0]?.source).toBe('/etc/bad.yaml');
    expect(bad[0]?.message).toMatch(/does not parse/);
  });

  it('carries a stable error code and a readable message', () => {
    try {
      loadNodeConfig({ env: {}, readFile });
    } catch (err) {
      expect((err as ConfigError).code).toBe('RL_BAD_NODE_CONFIG');
      expect((err as ConfigError).message).toMatch(/nodeId .*is required/);
      expect((err as ConfigError).message).toMatch(/zookeeper.connect .*is required/);
      return;
    }
    throw new Error('expected a ConfigError');
  });
});
