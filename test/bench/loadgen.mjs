// Load generators for the proxy benchmark, each run pinned to the load core:
//   closedLoop(): maximum throughput — wrk (preferred: C, µs latency histogram) or autocannon
//                 (fallback; whole-millisecond latency) with N keep-alive connections;
//   fixedRate():  open-loop load at a set rate (fixed-rate.mjs) for latency at half load.
// Every request carries one of 1000 `x-user-id` values, so the hash policies spread keys
// and every proxy sees the same bytes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, spawnPinned, which } from './util.mjs';

const FIXED_RATE = fileURLToPath(new URL('fixed-rate.mjs', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

// wrk Lua: 1000 prebuilt requests cycled; done() prints one JSON line with µs percentiles.
const wrkLua = (close) => `
local reqs = {}
local n = 0
init = function(args)
  for i = 1, 1000 do reqs[i] = wrk.format("GET", "/bench", { ["x-user-id"] = "user-" .. i${close ? ', ["Connection"] = "close"' : ''} }) end
end
request = function() n = n % 1000 + 1; return reqs[n] end
done = function(summary, latency, requests)
  io.write(string.format('\\nRESULT {"requests":%d,"durationUs":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latencyUs":{"min":%d,"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\\n',
    summary.requests, summary.duration, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout, latency.min, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
`;

const luaFiles = new Map();
/** The wrk script; with `close`, every request says `Connection: close` (a new connection each). */
function wrkScript(close = false) {
  let f = luaFiles.get(close);
  if (!f) {
    f = join(makeTempDir('wrk'), close ? 'bench-close.lua' : 'bench.lua');
    writeFileSync(f, wrkLua(close));
    luaFiles.set(close, f);
  }
  return f;
}

/** 'wrk' or 'autocannon' (forced by `prefer`, else wrk when installed). */
export function pickLoadGenerator(prefer = 'auto') {
  if (prefer === 'autocannon') return 'autocannon';
  if (prefer === 'wrk' || which('wrk')) return 'wrk';
  return 'autocannon';
}

function collect(child) {
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c) => {
    err += c;
  });
  return child.exited.then((how) => ({ out, err, how }));
}

/**
 * Saturating run against `url` for `seconds`; `close`: a new connection per request (wrk only).
 * Resolves with { rps, requests, errors, non2xx, latencyUs: { p50, p90, p99, p999, max }, tool }.
 */
export async function closedLoop({ tool, url, seconds, connections, cpu, close = false }) {
  if (close && tool !== 'wrk') throw new Error('a new connection per request needs wrk');
  if (tool === 'wrk') {
    const child = spawnPinned(cpu, 'wrk', [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '5s',
      '-s',
      wrkScript(close),
      url,
    ]);
    const { out, err, how } = await collect(child);
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`wrk gave no result (${JSON.stringify(how)}): ${err || out}`);
    const r = JSON.parse(line.slice(7));
    const e = r.errors;
    return {
      tool,
      requests: r.requests,
      rps: r.requests / (r.durationUs / 1e6),
      errors: e.connect + e.read + e.write + e.timeout,
      non2xx: e.status,
      latencyUs: r.latencyUs,
    };
  }
  // autocannon: one header for every request (its CLI cannot vary them), ms latency.
  const child = spawnPinned(cpu, process.execPath, [
    AUTOCANNON,
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-H',
    'x-user-id=user-1',
    '-j',
    url,
  ]);
  const { out, err, how } = await collect(child);
  let r;
  try {
    r = JSON.parse(out);
  } catch {
    throw new Error(`autocannon gave no result (${JSON.stringify(how)}): ${err || out}`);
  }
  const ms = (x) => (x === undefined ? null : x * 1000);
  return {
    tool,
    requests: r.requests.total,
    rps: r.requests.total / r.duration,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    latencyUs: {
      p50: ms(r.latency.p50),
      p90: ms(r.latency.p90),
      p99: ms(r.latency.p99),
      p999: ms(r.latency.p99_9),
      max: ms(r.latency.max),
    },
  };
}

/** Open-loop run at `rate` req/s; progress lines are passed to `onLine`. */
export async function fixedRate({ url, rate, seconds, warmup, connections, cpu, onLine }) {
  const child = spawnPinned(cpu, process.execPath, [
    FIXED_RATE,
    '--url',
    url,
    '--rate',
    String(rate),
    '--duration',
    String(seconds),
    '--warmup',
    String(warmup),
    '--connections',
    String(connections),
  ]);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c) => {
    out += c;
  });
  let pending = '';
  child.stderr.setEncoding('utf8').on('data', (c) => {
    pending += c;
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      onLine?.(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  });
  const how = await child.exited;
  const line = out.trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`fixed-rate gave no result (${JSON.stringify(how)}): ${pending}${out}`);
  }
}
