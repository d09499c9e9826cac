import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chooseDemo,
  type DemoState,
  parseDemoState,
  pidAlive,
  readDemoStates,
  removeDemoState,
  writeDemoState,
} from './demo-state.js';

const state = (pid: number, startedAt = '2026-01-01T00:00:00.000Z'): DemoState => ({
  version: 1,
  pid,
  startedAt,
  cluster: 'default',
  zk: { connect: '127.0.0.1:1', servers: [{ id: 'zk-1', address: '127.0.0.1:1', pid: 11 }] },
  nodes: [{ id: 'lb-1', pid: 21, proxyUrl: 'http://127.0.0.1:2', adminUrl: 'http://127.0.0.1:3' }],
  backends: [{ id: 'b1', pid: null, url: 'http://127.0.0.1:4' }],
  logDir: '/tmp/x',
});

describe('parseDemoState', () => {
  it('round-trips a state', () => {
    expect(parseDemoState(JSON.stringify(state(7)))).toEqual(state(7));
  });

  it.each([
    ['not JSON', '{'],
    ['another version', JSON.stringify({ ...state(7), version: 2 })],
    ['a node without a proxy URL', JSON.stringify({ ...state(7), nodes: [{ id: 'lb-1', pid: 1 }] })],
    ['a bad pid', JSON.stringify({ ...state(7), backends: [{ id: 'b1', pid: -1, url: 'u' }] })],
  ])('refuses %s', (_what, text) => {
    expect(parseDemoState(text)).toBeUndefined();
  });
});

describe('chooseDemo', () => {
  const alive = (pids: number[]) => (pid: number) => pids.includes(pid);
  it('the only running demo, else the newest; demos that are gone do not count', () => {
    const a = state(1, '2026-01-01T00:00:00Z');
    const b = state(2, '2026-01-02T00:00:00Z');
    expect(chooseDemo([a, b], alive([1]))).toEqual({ ok: true, state: a });
    expect(chooseDemo([a, b], alive([1, 2]))).toEqual({ ok: true, state: b });
    expect(chooseDemo([a, b], alive([1, 2]), 1)).toEqual({ ok: true, state: a });
  });

  it('says why when there is none', () => {
    expect(chooseDemo([state(1)], alive([]))).toMatchObject({ ok: false, reason: /no demo is running/ });
    expect(chooseDemo([state(1)], alive([1]), 9)).toMatchObject({
      ok: false,
      reason: /no running demo with pid 9/,
    });
  });
});

describe('state files', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes, lists (dropping files of demos that are gone) and removes', () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-state-test-'));
    writeDemoState(state(process.pid), dir);
    writeDemoState(state(4_000_000), dir);
    writeFileSync(join(dir, '5.json'), 'garbage');
    const found = readDemoStates(pidAlive, dir);
    expect(found.map((s) => s.pid)).toEqual([process.pid]);
    expect(readdirSync(dir).sort()).toEqual([`${process.pid}.json`, '5.json'].sort());
    removeDemoState(process.pid, dir);
    expect(readDemoStates(pidAlive, dir)).toEqual([]);
  });
});
