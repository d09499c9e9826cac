// The reused read buffer on an accepted socket (adoptReadBuffer): reads land in the one buffer,
// 'end' still arrives, and a socket that has already read is left alone.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { adoptReadBuffer, BackendReader } from './connect.js';

let server: Server | undefined;
afterEach(() => server?.close());

function accepted(): Promise<{ accepted: Socket; client: Socket }> {
  return new Promise((resolve) => {
    server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) =>
      resolve({ accepted: s, client }),
    );
    let client: Socket;
    server.listen(0, '127.0.0.1', () => {
      const a = server?.address();
      client = connect({ host: '127.0.0.1', port: typeof a === 'object' && a ? a.port : 0 });
    });
  });
}

describe('adoptReadBuffer', () => {
  it('reads an accepted socket into the reader’s one buffer, and end still arrives', async () => {
    const { accepted: s, client } = await accepted();
    const reader = new BackendReader();
    expect(adoptReadBuffer(s, reader)).toBe(true);
    const got: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    reader.attach((chunk) => {
      buffers.add(chunk.buffer);
      got.push(Buffer.from(chunk));
    });
    const ended = new Promise((r) => s.once('end', r));
    s.resume();
    client.end(Buffer.alloc(300_000, 7));
    await ended;
    expect(Buffer.concat(got).length).toBe(300_000);
    expect([...buffers]).toEqual([reader.buffer.buffer]);
    s.destroy();
  });

  it('leaves a socket that has already read as it is', async () => {
    const { accepted: s, client } = await accepted();
    const first = new Promise((r) => s.once('data', r));
    s.resume();
    client.write('x');
    await first;
    s.pause();
    expect(adoptReadBuffer(s, new BackendReader())).toBe(false);
    client.destroy();
    s.destroy();
  });
});
