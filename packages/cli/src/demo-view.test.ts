import { describe, expect, it } from 'vitest';
import { TrafficMeter } from './demo-traffic.js';
import { bannerLines, clock, duration, eventLine, summaryLines, windowLine } from './demo-view.js';

// Local time, so the expectations hold in any time zone.
const t = (h: number, m: number, s: number, ms: number) => new Date(2026, 0, 2, h, m, s, ms).getTime();
const ids = ['b1', 'b2', 'b3', 'b4'];

describe('demo view', () => {
  it('formats clock times and durations', () => {
    expect(clock(t(17, 20, 5, 7))).toBe('17:20:05.007');
    expect(duration(1440)).toBe('1.44 s');
    expect(duration(256.4)).toBe('256 ms');
  });

  it('one line per second: requests, errors, serving leader and epoch, share per backend', () => {
    const m = new TrafficMeter();
    for (let i = 0; i < 100; i++) m.record({ at: i, ok: true, node: 'lb-1', epoch: 0, backend: ids[i % 4]! });
    expect(windowLine(t(17, 20, 1, 0), m.tick(), ids)).toBe(
      '17:20:01.000    100    0  lb-1 epoch 0      b1  25%  b2  25%  b3  25%  b4  25%',
    );
    m.record({ at: 200, ok: false, error: 'ECONNREFUSED' });
    m.record({ at: 201, ok: false, error: 'ECONNREFUSED' });
    m.record({ at: 202, ok: false, error: '503 RL_NOT_LEADER' });
    expect(windowLine(t(17, 20, 2, 0), m.tick(), ids)).toBe(
      '17:20:02.000      3    3  -                 no successful request   errors: 2× ECONNREFUSED, 1× 503 RL_NOT_LEADER',
    );
  });

  it('a failover names both leaders, the gap and its bounds', () => {
    const m = new TrafficMeter();
    m.record({ at: t(17, 20, 49, 231), ok: true, node: 'lb-1', epoch: 0, backend: 'b1' });
    m.record({ at: t(17, 20, 49, 300), ok: false, error: 'ECONNRESET' });
    const ev = m.record({ at: t(17, 20, 50, 671), ok: true, node: 'lb-3', epoch: 1, backend: 'b2' });
    expect(ev && eventLine(ev)).toBe(
      '>>> FAILOVER lb-1 (epoch 0) → lb-3 (epoch 1): traffic interrupted 1.44 s ' +
        '(last success 17:20:49.231 → first success 17:20:50.671), 1 failed request',
    );
    expect(summaryLines(m.totals(), 12)).toEqual([
      'summary: 3 requests in 12.0 s, 1 failed, 1 interruption:',
      '  FAILOVER lb-1 (epoch 0) → lb-3 (epoch 1): traffic interrupted 1.44 s (last success 17:20:49.231 → first success 17:20:50.671), 1 failed request',
    ]);
  });

  it('the banner says where everything listens, with pids and the kill hint', () => {
    const text = bannerLines({
      cluster: 'default',
      sessionTimeoutMs: 2000,
      standby: 'forward',
      rate: 100,
      zk: {
        connect: '127.0.0.1:1,127.0.0.1:2',
        servers: [{ id: 'zk-1', address: '127.0.0.1:1', pid: 11, mode: 'leader' }],
      },
      nodes: [
        {
          id: 'lb-1',
          pid: 21,
          proxyUrl: 'http://127.0.0.1:8081',
          adminUrl: 'http://127.0.0.1:9091',
          role: 'standby',
        },
        {
          id: 'lb-2',
          pid: 22,
          proxyUrl: 'http://127.0.0.1:8082',
          adminUrl: 'http://127.0.0.1:9092',
          role: 'leader',
          epoch: 3,
        },
      ],
      backends: [{ id: 'b1', pid: 31, url: 'http://127.0.0.1:7001' }],
      logDir: '/tmp/logs',
      keepLogs: false,
      cli: 'pnpm ringleader',
      stateFile: '/tmp/ringleader-demo/1.json',
    }).join('\n');
    expect(text).toContain('zk-1  127.0.0.1:1      leader    pid 11');
    expect(text).toMatch(
      /lb-2 +LEADER epoch 3 +proxy http:\/\/127\.0\.0\.1:8082 +admin\+dashboard http:\/\/127\.0\.0\.1:9092\/ +pid 22/,
    );
    expect(text).toMatch(/b1 +http:\/\/127\.0\.0\.1:7001 +pid 31/);
    expect(text).toContain('kill the leader: `pnpm ringleader demo kill-leader` or `kill -9 22` (lb-2)');
    expect(text).toContain('Ctrl-C stops everything.');
  });
});
