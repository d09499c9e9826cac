import { describe, expect, it } from 'vitest';
import { TrafficMeter } from './demo-traffic.js';
import { windowHeader, windowLine } from './demo-view.js';
import { longest, serviceBannerLines, tierEventLine, tierSummaryLine } from './demo-view-tiers.js';

const t = (h: number, m: number, s: number, ms: number) => new Date(2026, 0, 2, h, m, s, ms).getTime();
const ids = ['b1', 'b2'];

describe('demo view: tiers', () => {
  it('the per-second line gains ok/failed commands per tier, and their causes at the end', () => {
    const http = new TrafficMeter();
    http.record({ at: 1, ok: true, node: 'lb-1', epoch: 0, backend: 'b1' });
    const redis = new TrafficMeter();
    for (let i = 0; i < 10; i++) redis.record({ at: i, ok: true, node: 'lb-1' });
    const pg = new TrafficMeter();
    pg.record({ at: 1, ok: true, node: 'lb-1' });
    pg.record({ at: 2, ok: false, error: 'lb-1 closed / lb-2 ECONNREFUSED' });
    expect(windowHeader(ids, ['redis', 'pg'])).toBe(
      'TIME            REQ  ERR  REDIS ok/err   PG ok/err   SERVED BY         SHARE PER BACKEND (b1 b2)',
    );
    const line = windowLine(t(9, 0, 1, 0), http.tick(), ids, [
      { label: 'redis', window: redis.tick() },
      { label: 'pg', window: pg.tick() },
    ]);
    expect(line).toBe(
      '09:00:01.000      1    0  redis 10/0     pg 1/1      lb-1 epoch 0      b1 100%  b2   0%' +
        '   pg: 1× lb-1 closed / lb-2 ECONNREFUSED',
    );
    // Without tiers the line is what it was.
    expect(windowLine(t(9, 0, 2, 0), http.tick(), ids)).toBe(
      '09:00:02.000      0    0  -                 no successful request',
    );
  });

  it("a tier's interruption names the nodes that answered before and after, and the summary the longest", () => {
    const m = new TrafficMeter({ minGapMs: 400 });
    m.record({ at: t(9, 0, 5, 0), ok: true, node: 'lb-3' });
    m.record({ at: t(9, 0, 5, 100), ok: false, error: 'lb-3 closed' });
    m.record({ at: t(9, 0, 5, 200), ok: false, error: 'lb-3 ECONNREFUSED' });
    const first = m.record({ at: t(9, 0, 8, 120), ok: true, node: 'lb-1' });
    expect(first?.kind).toBe('interruption');
    if (first?.kind !== 'interruption') return;
    expect(tierEventLine('redis', 'cache', 6390, first)).toBe(
      '>>> redis (service cache :6390) interrupted 3.12 s ' +
        '(last ok 09:00:05.000 via lb-3 → first ok 09:00:08.120 via lb-1), 2 failed commands',
    );
    m.record({ at: t(9, 0, 9, 0), ok: false, error: 'timeout' });
    m.record({ at: t(9, 0, 9, 500), ok: true, node: 'lb-1' });
    expect(longest(m.totals())?.gapMs).toBe(3120);
    expect(tierSummaryLine('redis', 'cache', 6390, m.totals())).toBe(
      '  redis (service cache :6390): 6 commands, 3 failed, 2 interruptions, the longest interrupted 3.12 s ' +
        '(last ok 09:00:05.000 via lb-3 → first ok 09:00:08.120 via lb-1), 2 failed commands',
    );
    expect(tierSummaryLine('pg', 'db', 5440, new TrafficMeter().totals())).toBe(
      '  pg (service db :5440): 0 commands, 0 failed, no interruption',
    );
  });

  it('the banner lists each service: where every node listens, its backends and how to try it', () => {
    const lines = serviceBannerLines(
      'default',
      [
        {
          name: 'cache',
          label: 'redis',
          port: 6390,
          summary: 'tcp, consistent-hash on the client ip, redis health check',
          hosts: [
            { node: 'lb-1', host: '127.0.0.1' },
            { node: 'lb-2', host: '127.0.0.2' },
          ],
          backends: [
            { id: 'r1', address: '127.0.0.1:40001', pid: 41 },
            { id: 'r2', address: '127.0.0.1:40002', pid: null },
          ],
          perSecond: 10,
          tryIt: 'redis-cli -h 127.0.0.1 -p 6390 ping',
        },
      ],
      ['no PostgreSQL tier: PostgreSQL not found'],
    );
    expect(lines.slice(1)).toEqual([
      '  cache  tcp, consistent-hash on the client ip, redis health check',
      '         listens lb-1 127.0.0.1:6390  lb-2 127.0.0.2:6390',
      '         backends r1 127.0.0.1:40001 pid 41, r2 127.0.0.1:40002 not running',
      '         try: redis-cli -h 127.0.0.1 -p 6390 ping',
      '  no PostgreSQL tier: PostgreSQL not found',
    ]);
    expect(lines[0]).toContain('/ringleader/default/services/<name>');
    expect(serviceBannerLines('default', [], [])).toEqual([]);
  });
});
