#!/usr/bin/env node
// Open-loop load at a fixed rate (wrk2-style), for latency at a given load rather than at
// saturation. wrk has no fixed-rate mode and autocannon's `overallRate` lets each connection
// send back-to-back until its per-second quota is spent (a burst at the top of every second)
// and records latency in whole milliseconds — useless for a 1 ms budget. So: raw keep-alive
// sockets, requests released on a 1 ms clock at `rate` per second on whichever connection is
// idle, latency in microseconds from the moment the request is written (and, wrk2-style, from
// the moment it was due, in `dueUs`: includes waiting for a free connection and clock lateness).
//
//   node test/bench/fixed-rate.mjs --url http://127.0.0.1:PORT/path --rate 3000
//        [--duration 10] [--warmup 2] [--connections 50]
// Progress on stderr every 2 s; one JSON line on stdout at the end.
import { connect } from 'node:net';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const url = new URL(arg('url', 'http://127.0.0.1:8080/bench'));
const rate = Number(arg('rate', '1000'));
const durationS = Number(arg('duration', '10'));
const warmupS = Number(arg('warmup', '2'));
const connections = Number(arg('connections', '50'));
const port = Number(url.port || 80);

// 1000 distinct requests (hash policies spread them), prebuilt.
const requests = Array.from({ length: 1000 }, (_, i) =>
  Buffer.from(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nx-user-id: user-${i + 1}\r\n\r\n`,
  ),
);

const now = () => Number(process.hrtime.bigint() / 1000n); // µs
const sent = { total: 0 };
const lat = []; // µs from write, measured phase only
const due = []; // µs from due time, measured phase only
const counts = { ok: 0, non2xx: 0, errors: 0, reconnects: 0, backlogMax: 0 };
let measuring = false;
let windowDone = 0;
const idle = [];
const backlog = []; // due times waiting for a connection

class Conn {
  constructor() {
    this.buf = Buffer.alloc(0);
    this.busy = false;
    this.open();
  }
  open() {
    this.ready = false;
    const s = connect({ host: url.hostname, port, noDelay: true });
    this.sock = s;
    s.on('connect', () => {
      this.ready = true;
      this.release();
    });
    s.on('data', (c) => this.onData(c));
    s.on('error', () => {});
    s.on('close', () => {
      if (this.sock !== s) return;
      if (this.busy) this.fail();
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      if (!stopping) {
        counts.reconnects++;
        setTimeout(() => this.open(), 5);
      }
    });
  }
  send(dueAt, n) {
    this.busy = true;
    this.dueAt = dueAt;
    this.buf = Buffer.alloc(0);
    this.writtenAt = now();
    this.sock.write(requests[n % requests.length]);
  }
  fail() {
    this.busy = false;
    if (measuring) counts.errors++;
  }
  release() {
    this.busy = false;
    if (backlog.length > 0) this.send(backlog.shift(), sent.total);
    else idle.push(this);
  }
  onData(chunk) {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const end = parseResponse(this.buf);
    if (end === 0) return;
    const t = now();
    const status = Number(this.buf.toString('latin1', 9, 12));
    if (measuring) {
      if (status >= 200 && status < 300) {
        counts.ok++;
        lat.push(t - this.writtenAt);
        due.push(t - this.dueAt);
      } else counts.non2xx++;
      windowDone++;
    }
    const close = /\r\nconnection:\s*close/i.test(
      this.buf.toString('latin1', 0, this.buf.indexOf('\r\n\r\n')),
    );
    this.buf = Buffer.alloc(0);
    if (close) {
      this.busy = false;
      this.sock.destroy();
      return;
    }
    this.release();
  }
}

/** Bytes of a complete response at the start of `b`, or 0 when more is needed. */
function parseResponse(b) {
  const he = b.indexOf('\r\n\r\n');
  if (he < 0) return 0;
  const head = b.toString('latin1', 0, he).toLowerCase();
  const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) {
    const total = he + 4 + Number(cl[1]);
    return b.length >= total ? total : 0;
  }
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
    let p = he + 4;
    for (;;) {
      const le = b.indexOf('\r\n', p);
      if (le < 0) return 0;
      const size = Number.parseInt(b.toString('latin1', p, le), 16);
      p = le + 2 + size + 2;
      if (p > b.length) return 0;
      if (size === 0) return p;
    }
  }
  return he + 4; // no body (204/304)
}

let stopping = false;
const conns = Array.from({ length: connections }, () => new Conn());
await new Promise((r) => setTimeout(r, 300)); // let them connect

const interval = 1e6 / rate;
const start = now();
const warmEnd = start + warmupS * 1e6;
const end = warmEnd + durationS * 1e6;
let lastReport = start;
let lastDone = 0;

const tick = () => {
  const t = now();
  if (!measuring && t >= warmEnd) {
    measuring = true;
    lastReport = t;
    lastDone = windowDone;
    process.stderr.write(`    warm-up done, measuring ${durationS} s at ${rate} req/s\n`);
  }
  const dueCount = Math.floor((Math.min(t, end) - start) / interval);
  while (sent.total < dueCount) {
    const dueAt = start + sent.total * interval;
    const c = idle.shift();
    if (c) c.send(dueAt, sent.total);
    else backlog.push(dueAt);
    sent.total++;
  }
  if (backlog.length > counts.backlogMax) counts.backlogMax = backlog.length;
  if (t - lastReport >= 2e6) {
    const s = [...lat.slice(-5000)].sort((a, b) => a - b);
    const p99 = s.length ? s[Math.ceil(s.length * 0.99) - 1] : 0;
    process.stderr.write(
      `    ${((t - start) / 1e6).toFixed(0).padStart(3)} s  ${Math.round(((windowDone - lastDone) * 1e6) / (t - lastReport))} req/s answered, ` +
        `recent p99 ${(p99 / 1000).toFixed(2)} ms, waiting for a connection ${backlog.length}, errors ${counts.errors + counts.non2xx}\n`,
    );
    lastReport = t;
    lastDone = windowDone;
  }
  if (t >= end) finish();
};
const timer = setInterval(tick, 1);

function finish() {
  clearInterval(timer);
  stopping = true;
  measuring = false;
  for (const c of conns) c.sock.destroy();
  const pctl = (arr, p) => {
    if (arr.length === 0) return null;
    return arr[Math.min(arr.length - 1, Math.ceil((p / 100) * arr.length) - 1)];
  };
  lat.sort((a, b) => a - b);
  due.sort((a, b) => a - b);
  const shape = (a) => ({
    p50: pctl(a, 50),
    p90: pctl(a, 90),
    p99: pctl(a, 99),
    p999: pctl(a, 99.9),
    max: a[a.length - 1] ?? null,
  });
  process.stdout.write(
    `${JSON.stringify({
      rate,
      durationS,
      connections,
      achieved: counts.ok / durationS,
      ...counts,
      latencyUs: shape(lat),
      dueUs: shape(due),
    })}\n`,
  );
  setTimeout(() => process.exit(0), 50);
}
