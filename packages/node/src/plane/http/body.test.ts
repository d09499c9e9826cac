import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LazyBody } from './body.js';

/** A stand-in for the client's IncomingMessage: a stream with `complete`. */
function source(): PassThrough & { complete: boolean } {
  const s = Object.assign(new PassThrough(), { complete: false });
  s.on('end', () => {
    s.complete = true;
  });
  return s;
}

async function collect(r: LazyBody): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

describe('LazyBody', () => {
  it('does not touch the client stream until read, so a failed attempt leaves it for the next', async () => {
    const src = source();
    src.write('hello ');
    src.end('world');
    const failed = new LazyBody(src as unknown as IncomingMessage, 0);
    expect(failed.started).toBe(false);
    failed.on('error', () => {}); // undici listens too
    failed.destroy(new Error('ECONNREFUSED')); // what undici does on a connect failure
    expect(src.destroyed).toBe(false);
    const next = new LazyBody(src as unknown as IncomingMessage, 0);
    expect(await collect(next)).toBe('hello world');
    expect(next.started).toBe(true);
    expect(next.bytes).toBe(11);
  });

  it('fails with RL_BODY_TOO_LARGE past the limit without destroying the client stream', async () => {
    const src = source();
    const body = new LazyBody(src as unknown as IncomingMessage, 8);
    src.write('12345');
    src.write('67890');
    await expect(collect(body)).rejects.toMatchObject({ code: 'RL_BODY_TOO_LARGE' });
    expect(src.destroyed).toBe(false);
  });

  it('reports a client that went away mid-body as RL_CLIENT_ABORTED', async () => {
    const src = source();
    const body = new LazyBody(src as unknown as IncomingMessage, 0);
    src.write('partial');
    const done = collect(body);
    setImmediate(() => src.destroy());
    await expect(done).rejects.toMatchObject({ code: 'RL_CLIENT_ABORTED' });
  });
});
