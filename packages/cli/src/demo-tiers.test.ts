import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectOrder, failureText, pgProtocol, redisProtocol, TierClient } from './demo-tiers.js';
import type { Outcome } from './demo-traffic.js';

const pgMsg = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const dataRow = (v: string) =>
  Buffer.concat([Buffer.from([0, 1]), int32(Buffer.byteLength(v)), Buffer.from(v)]);

describe('tier protocols', () => {
  it('redis: ok only when the GET returns the value just SET', () => {
    expect(redisProtocol.request(9).toString()).toBe(
      '*3\r\n$3\r\nSET\r\n$6\r\ndemo:9\r\n$1\r\n9\r\n*2\r\n$3\r\nGET\r\n$6\r\ndemo:9\r\n',
    );
    expect(redisProtocol.replyStep(Buffer.from('+OK\r\n'), 9)).toEqual({ kind: 'more' });
    expect(redisProtocol.replyStep(Buffer.from('+OK\r\n$1\r\n9\r\n'), 9)).toEqual({ kind: 'ok' });
    expect(redisProtocol.replyStep(Buffer.from('+OK\r\n$1\r\n8\r\n'), 9)).toEqual({
      kind: 'fail',
      error: 'GET returned "8", not the 9 just set',
    });
    expect(redisProtocol.replyStep(Buffer.from('-LOADING busy\r\n'), 9)).toEqual({
      kind: 'fail',
      error: 'LOADING busy',
    });
    expect(redisProtocol.replyStep(Buffer.from('HTTP/1.1 400\r\n'), 9).kind).toBe('fail');
  });

  it('pg: the hello ends at ReadyForQuery; a password request or an error fails it', () => {
    const ok = Buffer.concat([
      pgMsg('R', int32(0)),
      pgMsg('K', Buffer.alloc(8)),
      pgMsg('Z', Buffer.from('I')),
    ]);
    expect(pgProtocol.helloStep(ok.subarray(0, 9))).toEqual({ kind: 'more' });
    expect(pgProtocol.helloStep(ok)).toEqual({ kind: 'ok' });
    expect(pgProtocol.helloStep(pgMsg('R', int32(5)))).toMatchObject({ kind: 'fail', error: /code 5/ });
    const fatal = pgMsg('E', Buffer.from('SFATAL\0Mno such database\0\0'));
    expect(pgProtocol.helloStep(fatal)).toEqual({ kind: 'fail', error: 'FATAL: no such database' });
  });

  it('pg: SELECT 1 is ok with a row of 1 before ReadyForQuery', () => {
    const z = pgMsg('Z', Buffer.from('I'));
    const row = pgMsg('D', dataRow('1'));
    const t = pgMsg('T', Buffer.alloc(2));
    expect(pgProtocol.replyStep(Buffer.concat([t, row]), 1)).toEqual({ kind: 'more' });
    expect(
      pgProtocol.replyStep(Buffer.concat([t, row, pgMsg('C', Buffer.from('SELECT 1\0')), z]), 1),
    ).toEqual({
      kind: 'ok',
    });
    expect(pgProtocol.replyStep(Buffer.concat([pgMsg('D', dataRow('2')), z]), 1)).toEqual({
      kind: 'fail',
      error: 'SELECT 1 returned "2"',
    });
    const err = pgMsg('E', Buffer.from('SERROR\0Mcanceled\0\0'));
    expect(pgProtocol.replyStep(Buffer.concat([err, z]), 1)).toEqual({
      kind: 'fail',
      error: 'ERROR: canceled',
    });
  });

  it('connect order: the node that answered last first, then the others as given', () => {
    const targets = ['lb-1', 'lb-2', 'lb-3'].map((node, i) => ({ node, host: `127.0.0.${i + 1}` }));
    expect(connectOrder(targets, 'lb-2').map((t) => t.node)).toEqual(['lb-2', 'lb-1', 'lb-3']);
    expect(connectOrder(targets, undefined).map((t) => t.node)).toEqual(['lb-1', 'lb-2', 'lb-3']);
  });
});

describe('failureText', () => {
  it('groups the nodes by answer, a reset counting as a close', () => {
    expect(
      failureText([
        ['lb-3', 'closed'],
        ['lb-3', 'ECONNREFUSED'],
        ['lb-1', 'ECONNRESET'],
        ['lb-2', 'closed'],
      ]),
    ).toBe('lb-3 lb-1 lb-2 closed / lb-3 ECONNREFUSED');
    expect(failureText([['lb-1', 'timeout']])).toBe('lb-1 timeout');
  });
});

describe('TierClient', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** A server on `host`:port that closes every connection at once (a standby with standby reject). */
  const listen = (host: string, port: number, answer: boolean) =>
    new Promise<Server>((resolve, reject) => {
      const s = createServer((sock) => {
        if (!answer) return sock.destroy();
        // Enough RESP for the client's SET+GET: +OK, then the value it set.
        sock.on('data', (d) => {
          const value = /\r\nSET\r\n\$\d+\r\n[^\r]+\r\n\$\d+\r\n([^\r]*)\r\n/.exec(d.toString())?.[1] ?? '';
          sock.write(`+OK\r\n$${value.length}\r\n${value}\r\n`);
        });
      });
      servers.push(s);
      s.once('error', reject);
      s.listen(port, host, () => resolve(s));
    });

  it('skips a node that closes at once and one that refuses, then sticks to the one that answers', async () => {
    const first = await listen('127.0.0.1', 0, false);
    const port = (first.address() as { port: number }).port;
    await listen('127.0.0.3', port, true); // 127.0.0.2 listens on nothing: refused
    const outcomes: Outcome[] = [];
    const client = new TierClient({
      port,
      targets: ['lb-1', 'lb-2', 'lb-3'].map((node, i) => ({ node, host: `127.0.0.${i + 1}` })),
      protocol: redisProtocol,
      intervalMs: 10,
      timeoutMs: 500,
      onOutcome: (o) => outcomes.push(o),
    });
    client.start();
    while (outcomes.length < 5) await new Promise((r) => setTimeout(r, 10));
    await client.stop();
    expect(outcomes.slice(0, 5).map((o) => [o.ok, o.node])).toEqual(Array(5).fill([true, 'lb-3']));

    // Now nothing answers: one failure per command, naming each node's answer.
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    const failed: Outcome[] = [];
    const again = new TierClient({
      port,
      targets: [{ node: 'lb-1', host: '127.0.0.1' }],
      protocol: redisProtocol,
      intervalMs: 10,
      timeoutMs: 500,
      onOutcome: (o) => failed.push(o),
    });
    again.start();
    while (failed.length < 2) await new Promise((r) => setTimeout(r, 10));
    await again.stop();
    expect(failed[0]).toMatchObject({ ok: false, error: 'lb-1 ECONNREFUSED' });
  });
});
