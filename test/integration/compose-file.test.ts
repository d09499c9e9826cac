// docker-compose.yml and deploy/Dockerfile, checked without a container engine (there is none on
// the development and CI machines): the file parses, the ensemble is consistent, the LB nodes
// name all three ZooKeeper servers and set only configuration variables the node knows, every
// build path exists, and — where the compose plugin is installed — `docker compose config` agrees.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_KEYS, nodeOptionsWithDefaults } from '@ringleader/node';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
// `yaml` is a dependency of @ringleader/node (it reads node config files), not of the test package.
const { parse } = createRequire(join(root, 'packages/node/package.json'))('yaml') as {
  parse: (src: string, opts?: { merge?: boolean }) => unknown;
};

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  environment?: Record<string, string> | string[];
  healthcheck?: { test?: string[] | string };
  ports?: string[];
  command?: string[] | string;
  entrypoint?: string[] | string;
  profiles?: string[];
}

const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
// Compose resolves YAML merge keys (`<<: *anchor`); so must we.
const doc = parse(text, { merge: true }) as { services: Record<string, Service>; version?: unknown };
const services = Object.entries(doc.services);

function env(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(
      s.environment.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
  }
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));
}

const zkServices = services.filter(([, s]) => s.image?.startsWith('zookeeper:'));
const lbServices = services.filter(([, s]) => env(s).RINGLEADER_NODE_ID !== undefined);
const backendServices = services.filter(([, s]) =>
  JSON.stringify(s.entrypoint ?? '').includes('sample-backend/backend.mjs'),
);

describe('docker-compose.yml', () => {
  it('is a compose-spec file (no obsolete `version:` key)', () => {
    expect(doc.version).toBeUndefined();
    expect(services.length).toBeGreaterThanOrEqual(9);
  });

  it('runs a 3-server ZooKeeper ensemble from the official 3.8 image with consistent ids and server lists', () => {
    expect(zkServices).toHaveLength(3);
    const ids = zkServices.map(([, s]) => env(s).ZOO_MY_ID).sort();
    expect(ids).toEqual(['1', '2', '3']);
    for (const [, s] of zkServices) {
      const e = env(s);
      expect(s.image).toBe('zookeeper:3.8');
      expect(e.ZOO_4LW_COMMANDS_WHITELIST).toMatch(/srvr/);
      const servers = (e.ZOO_SERVERS ?? '').split(/\s+/).filter(Boolean);
      expect(servers).toHaveLength(3);
      for (const [name, other] of zkServices) {
        expect(servers).toContain(`server.${env(other).ZOO_MY_ID}=${name}:2888:3888;2181`);
      }
      expect(JSON.stringify(s.healthcheck?.test)).toMatch(/srvr|ruok/);
    }
  });

  it('runs three LB nodes with distinct ids, each naming all three ZooKeeper servers', () => {
    expect(lbServices).toHaveLength(3);
    const ids = lbServices.map(([, s]) => env(s).RINGLEADER_NODE_ID);
    expect(new Set(ids).size).toBe(3);
    const zkNames = zkServices.map(([name]) => name).sort();
    for (const [name, s] of lbServices) {
      const hosts = (env(s).RINGLEADER_ZK ?? '').split(',').map((hp) => hp.split(':')[0]);
      expect(hosts.sort(), name).toEqual(zkNames);
      expect(JSON.stringify(s.healthcheck?.test), name).toMatch(/\/(healthz|readyz)/);
      // It listens on its own service name, so the URLs it advertises reach it from other containers.
      expect(env(s).RINGLEADER_PROXY_LISTEN, name).toMatch(new RegExp(`^${name}:\\d+$`));
    }
  });

  it('publishes proxy ports 8081..8083 and the admin ports on loopback only', () => {
    const ports = lbServices.flatMap(([, s]) => s.ports ?? []);
    expect(ports.filter((p) => /^808[1-3]:8080$/.test(p))).toHaveLength(3);
    const admin = ports.filter((p) => p.endsWith(':9090'));
    expect(admin.sort()).toEqual(['127.0.0.1:9091:9090', '127.0.0.1:9092:9090', '127.0.0.1:9093:9090']);
  });

  it('sets on the LB nodes only variables the node configuration knows', () => {
    const known = new Set(ENV_KEYS.map(([name]) => name));
    for (const [name, s] of lbServices) {
      const unknown = Object.keys(env(s)).filter((k) => !known.has(k));
      expect(unknown, name).toEqual([]);
    }
  });

  it('has sample backends: some registered by a one-shot `backend add`, one self-registering ephemerally', () => {
    expect(backendServices.length).toBeGreaterThanOrEqual(3);
    const selfRegistering = backendServices.filter(([, s]) => env(s).BACKEND_REGISTER_ZK !== undefined);
    expect(selfRegistering).toHaveLength(1);
    const zkNames = zkServices.map(([name]) => name).sort();
    const regHosts = (env(selfRegistering[0]![1]).BACKEND_REGISTER_ZK ?? '')
      .split(',')
      .map((h) => h.split(':')[0]);
    expect(regHosts.sort()).toEqual(zkNames);
    const script = readFileSync(join(root, 'deploy/sample-backend/backend.mjs'), 'utf8');
    expect(script).toMatch(/addBackend\(id, input, \{ ephemeral: true \}\)/);

    const register = doc.services.register;
    const cmd = JSON.stringify(register?.command);
    const others = backendServices.filter(([, s]) => env(s).BACKEND_REGISTER_ZK === undefined);
    expect(cmd).toMatch(/for n in 1 2; do/);
    expect(cmd).toMatch(/backend add web-\$\$n --host backend-\$\$n --port 8080/);
    expect(others.map(([name]) => name).sort()).toEqual(['backend-1', 'backend-2']);
  });

  it('escapes every shell `$` as `$$` (compose would interpolate a single one)', () => {
    const unescaped = text
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .filter((line) => /\$[A-Za-z_{]/.test(line.replaceAll('$$', '')));
    expect(unescaped).toEqual([]);
  });

  it('builds only from paths that exist, and the Dockerfile copies only paths that exist', () => {
    const builds = services.flatMap(([, s]) => (s.build === undefined ? [] : [s.build]));
    expect(builds.length).toBeGreaterThanOrEqual(3);
    for (const b of builds) {
      const context = typeof b === 'string' ? b : (b.context ?? '.');
      const dockerfile = typeof b === 'string' ? 'Dockerfile' : (b.dockerfile ?? 'Dockerfile');
      expect(existsSync(join(root, context)), context).toBe(true);
      expect(existsSync(join(root, context, dockerfile)), dockerfile).toBe(true);
      const lines = readFileSync(join(root, context, dockerfile), 'utf8').split('\n');
      expect(lines.some((l) => /^FROM (node:24-bookworm-slim|\$\{NODE_IMAGE\})/.test(l))).toBe(true);
      expect(readFileSync(join(root, context, dockerfile), 'utf8')).toMatch(
        /ARG NODE_IMAGE=node:24-bookworm-slim/,
      );
      expect(lines.some((l) => /^USER (?!root)/.test(l))).toBe(true);
      // Every patch pnpm applies at install is in the image before the install runs.
      const install = lines.findIndex((l) => /^RUN pnpm install/.test(l));
      expect(install).toBeGreaterThan(0);
      expect(lines.slice(0, install)).toContain('COPY patches/ patches/');
      // The same V8 defaults as every other way of starting a node (runtime-flags.ts).
      expect(lines).toContain(`ENV NODE_OPTIONS=${nodeOptionsWithDefaults(undefined)}`);
      expect(lines.join('\n')).toMatch(
        /^HEALTHCHECK [^\n]*\\\n\s+CMD \[[^\]]*healthcheck\.mjs", "\/healthz"\]/m,
      );
      for (const l of lines) {
        const m = /^COPY (?!--from)(.+) \S+$/.exec(l);
        if (!m) continue;
        for (const src of m[1]!.split(/\s+/))
          expect(existsSync(join(root, context, src)), `COPY ${src}`).toBe(true);
      }
    }
  });

  const plugin = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
  it.skipIf(plugin.status !== 0)(
    '`docker compose config` accepts it (only where the compose plugin exists)',
    () => {
      execFileSync('docker', ['compose', '-f', join(root, 'docker-compose.yml'), 'config', '--quiet'], {
        cwd: root,
        stdio: 'pipe',
      });
    },
  );
});
