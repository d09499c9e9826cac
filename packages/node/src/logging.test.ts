import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { createAccessLog, createNodeLogger, mergingLogger, wantsPretty } from './logging.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('node logger', () => {
  it('writes JSON when not pretty, readable lines when pretty', () => {
    const json = sink();
    createNodeLogger({ level: 'info', destination: json.stream, format: 'json' }).info({ a: 1 }, 'hello');
    expect(JSON.parse(json.text())).toMatchObject({ a: 1, msg: 'hello', level: 30 });
    const human = sink();
    createNodeLogger({ level: 'info', destination: human.stream, format: 'pretty' }).info({ a: 1 }, 'hello');
    expect(human.text()).toMatch(/INFO.*hello/);
    expect(human.text()).toContain('a: 1');
    expect(() => JSON.parse(human.text())).toThrow();
  });

  it('auto is pretty on a terminal only; json and pretty are what they say', () => {
    expect(wantsPretty('auto', { isTTY: true })).toBe(true);
    expect(wantsPretty('auto', { isTTY: false })).toBe(false);
    expect(wantsPretty('auto', {})).toBe(false);
    expect(wantsPretty('json', { isTTY: true })).toBe(false);
    expect(wantsPretty('pretty', { isTTY: false })).toBe(true);
  });

  it('zk children replace a binding instead of writing it twice', () => {
    const out = sink();
    const base = createNodeLogger({ level: 'debug', destination: out.stream, format: 'json' });
    const zk = mergingLogger(base, { node: 'lb-1', component: 'zk' });
    zk.child({ component: 'zk-session' }).warn({ x: 1 }, 'session');
    zk.child({ component: 'zk-election', node: 'lb-1' }).child({ path: '/p' }).info('won');
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.match(/"component"/g)).toHaveLength(1);
      expect(line.match(/"node"/g)).toHaveLength(1);
    }
    expect(JSON.parse(lines[0] as string)).toMatchObject({ component: 'zk-session', x: 1, msg: 'session' });
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      component: 'zk-election',
      path: '/p',
      msg: 'won',
    });
  });
});

describe('access log', () => {
  it('holds lines in its buffer only until the next flush tick', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rl-access-'));
    const file = join(dir, 'access.log');
    const fd = openSync(file, 'w');
    vi.useFakeTimers({ toFake: ['setInterval'] });
    try {
      const log = createAccessLog({ node: 'lb-1' }, { fd, flushMs: 1000 });
      log.info({ status: 200 }, 'GET /');
      log.info({ status: 404 }, 'GET /x');
      await tick();
      // Two short lines are below the buffer's 4 KiB: nothing written yet.
      expect(readFileSync(file, 'utf8')).toBe('');
      vi.advanceTimersByTime(1000);
      while (readFileSync(file, 'utf8').split('\n').length < 3) await tick();
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => [l.kind, l.node, l.status])).toEqual([
        ['access', 'lb-1', 200],
        ['access', 'lb-1', 404],
      ]);
    } finally {
      vi.useRealTimers();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
