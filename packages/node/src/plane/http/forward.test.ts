// The undici engine's per-attempt handler against fakes of undici's controller, the shared
// sink and the client response: the fencing check at the write, aborts, backpressure, and
// which errors go back to the shared path.
import { describe, expect, it } from 'vitest';
import type { Attempt, Exchange } from './attempt.js';
import type { AttemptSink } from './engine.js';
import { Forward } from './forward.js';
import type { HeaderBag } from './headers.js';

function rig(opts: { guard?: (epoch: string | undefined, hop: boolean) => boolean; writeOk?: boolean } = {}) {
  const log: string[] = [];
  const aborts: Array<{ code?: unknown }> = [];
  const failed: Error[] = [];
  let drain: (() => void) | undefined;
  const res = {
    writeHead: (status: number, h: HeaderBag) => log.push(`head ${status} ${JSON.stringify(h)}`),
    write: (c: Buffer) => {
      log.push(`write ${c.length}`);
      return opts.writeOk ?? true;
    },
    end: () => log.push('end'),
    destroy: () => log.push('destroy'),
    once: (_e: string, f: () => void) => {
      drain = f;
    },
  };
  const reply = { raw: res, hasHeader: () => false, hijack: () => log.push('hijack') };
  const attempt = { cancel: undefined } as unknown as Attempt;
  const ex = { done: false, attempt } as unknown as Exchange;
  const sink: AttemptSink = {
    requestHeaders: (_e, h) => h,
    responseHeaders: (_e, h) => ({ ...h, seen: '1' }),
    failed: (_q, _r, err) => failed.push(err),
  };
  const controller = {
    abort: (err: Error & { code?: unknown }) => aborts.push(err),
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
  };
  const f = new Forward(sink, { raw: { complete: true } } as never, reply as never, ex, attempt, opts.guard, {
    'x-ringleader-epoch': '7',
  });
  return { f, log, aborts, failed, ex, attempt, controller: controller as never, drain: () => drain?.() };
}

describe('Forward', () => {
  it('asks the write-time guard with the epoch it carries, and aborts RL_LEASE_LOST when the permit is void', () => {
    const seen: Array<[string | undefined, boolean]> = [];
    const r = rig({
      guard: (e, hop) => {
        seen.push([e, hop]);
        return false;
      },
    });
    r.f.onRequestStart(r.controller);
    expect(seen).toEqual([['7', false]]);
    expect(r.aborts.map((a) => a.code)).toEqual(['RL_LEASE_LOST']);
    expect(r.f.phase).toBe('waiting');
  });

  it('registers itself as the attempt canceller; a cancel before the write aborts at the write', () => {
    const r = rig({ guard: () => true });
    expect(r.attempt.cancel).toBe(r.f);
    r.f.cancel();
    r.f.onRequestStart(r.controller);
    expect(r.aborts.map((a) => a.code)).toEqual(['RL_CLIENT_ABORTED']);
  });

  it('writes status, rewritten headers and body to the response, then hands it over from fastify', () => {
    const r = rig({ guard: () => true });
    r.f.onRequestStart(r.controller);
    r.f.onResponseStart(r.controller, 200, { 'content-length': '3' });
    r.f.onResponseData(r.controller, Buffer.from('abc'));
    r.f.onResponseEnd();
    expect(r.log).toEqual(['head 200 {"content-length":"3","seen":"1"}', 'hijack', 'write 3', 'end']);
    expect(r.f.phase).toBe('done');
    r.f.cancel();
    expect(r.aborts).toEqual([]);
  });

  it('pauses undici while the client does not take the data, and resumes on drain', () => {
    const r = rig({ writeOk: false });
    r.f.onRequestStart(r.controller);
    r.f.onResponseStart(r.controller, 200, {});
    r.f.onResponseData(r.controller, Buffer.alloc(10));
    expect(r.log.slice(-1)).toEqual(['pause']);
    r.drain();
    expect(r.log.slice(-1)).toEqual(['resume']);
  });

  it('ignores informational responses and refuses a status over 599', () => {
    const r = rig();
    r.f.onRequestStart(r.controller);
    r.f.onResponseStart(r.controller, 103, {});
    expect(r.log).toEqual([]);
    r.f.onResponseStart(r.controller, 600, {});
    expect(r.aborts.map((a) => a.code)).toEqual(['RL_UPSTREAM_ERROR']);
  });

  it('hands an error before the response to the shared path, but cuts the response after', () => {
    const before = rig();
    before.f.onRequestStart(before.controller);
    before.f.onResponseError(before.controller, new Error('refused'));
    expect(before.failed.map((e) => e.message)).toEqual(['refused']);

    const after = rig();
    after.f.onRequestStart(after.controller);
    after.f.onResponseStart(after.controller, 200, {});
    after.f.onResponseError(after.controller, new Error('reset'));
    expect(after.failed).toEqual([]);
    expect(after.log.slice(-1)).toEqual(['destroy']);
  });

  it('reports nothing once the exchange is over (the client left)', () => {
    const r = rig();
    r.f.onRequestStart(r.controller);
    r.ex.done = true;
    r.f.onResponseError(r.controller, new Error('late'));
    expect(r.failed).toEqual([]);
  });
});
