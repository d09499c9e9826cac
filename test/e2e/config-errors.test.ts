// `ringleader node start` with a bad configuration — file or environment — exits non-zero at
// once with a message naming each offending key and where it came from, and starts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN, freePorts } from '@ringleader/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ringleader-badconfig-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly stdout: string;
  readonly ms: number;
}

/** Runs `node start` with only the given RINGLEADER_* variables; kills it after 15 s. */
function nodeStart(args: string[], env: Record<string, string>): Promise<Run> {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RINGLEADER_')) base[k] = v;
  const t0 = Date.now();
  const child = spawn(process.execPath, [CLI_BIN, 'node', 'start', ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr, stdout, ms: Date.now() - t0 });
    });
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('invalid node configuration', () => {
  it('badYamlValuesExitNonZeroNamingEveryKeyAndTheFileAndListenOnNothing', async () => {
    const [proxyPort, adminPort] = await freePorts(2);
    const file = join(dir, 'bad-values.yaml');
    writeFileSync(
      file,
      [
        'nodeId: lb-bad',
        'zookeeper:',
        '  connect: 127.0.0.1:2181',
        '  sessionTimeoutMs: 10',
        'mode: active-standby',
        'proxy:',
        `  listen: 127.0.0.1:${proxyPort}`,
        'admin:',
        `  listen: 127.0.0.1:${adminPort}`,
        'retires: 3',
        '',
      ].join('\n'),
    );
    const run = await nodeStart(['--config', file], {});
    expect(run.signal).toBeNull();
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain('zookeeper.sessionTimeoutMs');
    expect(run.stderr).toContain('mode');
    expect(run.stderr).toContain('active-passive | active-active');
    expect(run.stderr).toContain('retires'); // an unknown key (a typo of retries) is an error too
    expect(run.stderr).toContain(file);
    expect(await refused(proxyPort!)).toBe(true);
    expect(await refused(adminPort!)).toBe(true);
  });

  it('unparsableYamlFileExitsNonZeroSayingItDoesNotParse', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'nodeId: [lb-1\nzookeeper: {connect: \n');
    const run = await nodeStart(['--config', file], {});
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain(file);
    expect(run.stderr).toMatch(/does not parse/);
  });

  it('missingConfigFileExitsNonZeroNamingThePath', async () => {
    const file = join(dir, 'absent.yaml');
    const run = await nodeStart(['--config', file], {});
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toContain(file);
    expect(run.stderr).toMatch(/cannot be read/);
  });

  it('badEnvironmentExitsNonZeroNamingEachVariable', async () => {
    const run = await nodeStart([], {
      RINGLEADER_ZK: 'not a connect string',
      RINGLEADER_SESSION_TIMEOUT_MS: 'soon',
      RINGLEADER_PROXY_LISTEN: '127.0.0.1:99999',
      RINGLEADER_POLICY: 'consistent-hash',
      RINGLEADER_HASH: 'header:',
      RINGLEADER_STANDBY: 'maybe',
    });
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    // nodeId is required and no variable set it: the message says which variable would.
    expect(run.stderr).toMatch(/nodeId.*RINGLEADER_NODE_ID/);
    for (const name of [
      'RINGLEADER_ZK',
      'RINGLEADER_SESSION_TIMEOUT_MS',
      'RINGLEADER_PROXY_LISTEN',
      'RINGLEADER_HASH',
      'RINGLEADER_STANDBY',
    ]) {
      expect(run.stderr).toContain(name);
    }
    expect(run.stderr).toContain('zookeeper.connect');
    expect(run.stderr).toContain('proxy.listen');
    expect(run.stderr).toContain('routing.hash');
    expect(run.ms).toBeLessThan(10_000);
  });
});
