import { describe, expect, it } from 'vitest';
import { decodeStats, encodeStats, freshSummaries, MAX_STATS_BYTES } from './stats-logic.js';

describe('stats payload', () => {
  it('round-trips a summary, rounding to 0.01 ms', () => {
    const text = encodeStats('lb-1', 1000.4, {
      backends: {
        'web-1': { ewmaMs: 12.3456, inFlight: 3, requests: 41.239 },
        'web-2': { ewmaMs: null, inFlight: 1, requests: 0 },
      },
    });
    const r = decodeStats('lb-1', Buffer.from(text));
    expect(r).toEqual({
      ok: true,
      value: {
        nodeId: 'lb-1',
        at: 1000,
        summary: {
          backends: {
            'web-1': { ewmaMs: 12.35, inFlight: 3, requests: 41.24 },
            'web-2': { ewmaMs: null, inFlight: 1, requests: 0 },
          },
        },
      },
    });
  });

  it('stays small: about 60 bytes per backend', () => {
    const backends: Record<string, { ewmaMs: number; inFlight: number; requests: number }> = {};
    for (let i = 0; i < 200; i++)
      backends[`web-${i}`] = { ewmaMs: 123.456789, inFlight: 12, requests: 1234.5678 };
    expect(encodeStats('lb-1', Date.now(), { backends }).length).toBeLessThan(200 * 70);
  });

  it('drops malformed backend entries and rejects payloads that are not stats', () => {
    const r = decodeStats(
      'lb-2',
      Buffer.from(
        JSON.stringify({
          at: 5,
          backends: {
            ok: { ewmaMs: 1, inFlight: 0, requests: 2 },
            neg: { ewmaMs: -1, inFlight: 0, requests: 2 },
            str: { ewmaMs: '1', inFlight: 0, requests: 2 },
            nul: null,
          },
        }),
      ),
    );
    expect(r.ok && Object.keys(r.value.summary.backends)).toEqual(['ok']);
    expect(decodeStats('x', Buffer.from('nope')).ok).toBe(false);
    expect(decodeStats('x', Buffer.from('{"backends":{}}')).ok).toBe(false);
    expect(decodeStats('x', Buffer.from('{"at":1,"backends":[]}')).ok).toBe(false);
    expect(decodeStats('x', Buffer.alloc(MAX_STATS_BYTES + 1, 32)).ok).toBe(false);
  });

  it('keeps only peers whose figures are fresh enough', () => {
    const peer = (at: number) => ({
      nodeId: `n${at}`,
      at,
      summary: { backends: { [`b${at}`]: { ewmaMs: 1, inFlight: 0, requests: 1 } } },
    });
    const fresh = freshSummaries([peer(1000), peer(8000), peer(9500)], 10_000, 3000);
    expect(fresh.map((s) => Object.keys(s.backends)[0])).toEqual(['b8000', 'b9500']);
  });
});
