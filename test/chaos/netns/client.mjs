#!/usr/bin/env node
// The client of the chaos suite's network-namespace test, run inside the client namespace:
// sequential keep-alive GETs to URL at RATE a second, one JSON line per outcome on stdout
//   { at, ok, status, code, node, epoch }
// (`at`: CLOCK_MONOTONIC ms, the clock of the test process; `node`/`epoch`: the
// x-ringleader-node / x-ringleader-epoch the sample backend received). Stops on SIGTERM.
//
//   node client.mjs http://10.213.77.100:8080/vip 50
import { Agent, request } from 'node:http';

const url = process.argv[2];
const periodMs = 1000 / Number(process.argv[3] ?? 50);
const monoMs = () => Number(process.hrtime.bigint() / 1000n) / 1000;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let running = true;
process.on('SIGTERM', () => {
  running = false;
});

function once() {
  return new Promise((resolve) => {
    const req = request(url, { agent, timeout: 1000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('error', (e) => resolve({ ok: false, status: 0, code: e.code ?? e.message }));
      res.on('end', () => {
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const h = body?.headers ?? {};
        const ok = res.statusCode === 200 && typeof body?.backend === 'string';
        resolve({
          ok,
          status: res.statusCode,
          code: ok ? undefined : (body?.code ?? `HTTP_${res.statusCode}`),
          node: h['x-ringleader-node'],
          epoch: h['x-ringleader-epoch'] === undefined ? undefined : Number(h['x-ringleader-epoch']),
        });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => resolve({ ok: false, status: 0, code: e.code ?? e.message }));
    req.end();
  });
}

let due = monoMs();
while (running) {
  const outcome = await once();
  process.stdout.write(`${JSON.stringify({ at: monoMs(), ...outcome })}\n`);
  due += periodMs;
  const wait = due - monoMs();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  else due = monoMs();
}
agent.destroy();
