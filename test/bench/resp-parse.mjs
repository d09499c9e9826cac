// The RESP layer's own cost, without sockets: commands parsed (and routed) per second and
// replies framed per second, from pre-built wire bytes in chunks of the sizes a socket
// delivers. A report for reading the Redis benchmark, not a test.
//
//   node test/bench/resp-parse.mjs [--seconds 1]     (after `pnpm build`)

import { hashTag, RespCommandParser, RespReplyReader, resp, routeCommand } from '@ringleader/core';
import { parseArgs } from './util.mjs';

const args = parseArgs(process.argv.slice(2), { seconds: 1 });

function chunked(wire, size) {
  const out = [];
  for (let i = 0; i < wire.length; i += size) out.push(wire.subarray(i, i + size));
  return out;
}

/** Runs `fn(chunks)` over and over for `seconds`; per item ns and items/s from CPU time. */
function measure(label, chunks, items, fn) {
  for (let i = 0; i < 50; i++) fn(chunks); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let rounds = 0;
  while (performance.now() - t0 < args.seconds * 1000) {
    fn(chunks);
    rounds++;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const n = rounds * items;
  console.log(
    `${label.padEnd(58)} ${((cpuS * 1e9) / n).toFixed(0).padStart(6)} ns CPU/item  ${Math.round(n / cpuS)
      .toLocaleString('en')
      .padStart(12)} /s CPU`,
  );
}

const N = 10_000;
const set = Buffer.concat(
  Array.from({ length: N }, (_, i) => resp.command(['SET', `key:${String(i).padStart(12, '0')}`, 'xxx'])),
);
const get = Buffer.concat(
  Array.from({ length: N }, (_, i) => resp.command(['GET', `key:${String(i).padStart(12, '0')}`])),
);
const ok = Buffer.concat(Array.from({ length: N }, () => Buffer.from('+OK\r\n')));
const bulk = Buffer.concat(Array.from({ length: N }, () => resp.bulk('xxx')));

const parseAll = (chunks) => {
  const p = new RespCommandParser();
  let n = 0;
  for (const c of chunks) {
    p.push(c);
    while (p.next() !== null) n++;
  }
  if (n !== N) throw new Error(`parsed ${n} of ${N}`);
};
const parseRoute = (chunks) => {
  const p = new RespCommandParser();
  let h = 0;
  for (const c of chunks) {
    p.push(c);
    for (let cmd = p.next(); cmd !== null; cmd = p.next()) {
      const r = routeCommand(cmd.args);
      if (r.kind === 'keyed') h ^= hashTag(r.keys[0]).length;
    }
  }
  return h;
};
const frameAll = (chunks) => {
  const r = new RespReplyReader();
  let n = 0;
  for (const c of chunks) {
    r.push(c);
    while (r.next() !== null) n++;
  }
  if (n !== N) throw new Error(`framed ${n} of ${N}`);
};

const perCommand = (wire, cmdLen) => chunked(wire, cmdLen);
const setLen = set.length / N;
measure('parse SET, 16 KiB chunks (pipelined)', chunked(set, 16384), N, parseAll);
measure('parse SET, one command per chunk (-P 1)', perCommand(set, setLen), N, parseAll);
measure('parse SET, 7-byte chunks (worst case)', chunked(set, 7), N, parseAll);
measure('parse + routeCommand + hashTag GET, 16 KiB chunks', chunked(get, 16384), N, parseRoute);
measure('parse + routeCommand + hashTag SET, one per chunk', perCommand(set, setLen), N, parseRoute);
measure('frame +OK replies, 16 KiB chunks', chunked(ok, 16384), N, frameAll);
measure('frame $3 bulk replies, one per chunk', chunked(bulk, bulk.length / N), N, frameAll);
