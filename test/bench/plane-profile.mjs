#!/usr/bin/env node
// CPU per request of the HTTP data plane alone (plane-server.mjs, no ZooKeeper), each engine
// side by side in one run, and optionally a CPU profile of each summarised by self time.
// The plane is pinned to core 1; wrk and 4 bench backends to core 0. A quick A/B for work on
// the request path; `pnpm bench -- --only proxy` is the measurement of record.
//
//   node test/bench/plane-profile.mjs [--engines reply-from,undici] [--seconds 6] [--rounds 2]
//        [--connections 50] [--profile 1] [--top 25] [--close 0]
// --close 1 sends `Connection: close` on every request (a new connection per request).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop } from './loadgen.mjs';
import { startBackends } from './proxies.mjs';
import { cpuSeconds, firstLine, fmt, makeTempDir, parseArgs, pin, spawnPinned } from './util.mjs';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));

/** Self time per function (and per source file) of a .cpuprofile, biggest first. */
export function summarise(profile, top) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const us = dt[i] ?? 0;
    self.set(n.id, (self.get(n.id) ?? 0) + us);
  }
  const fn = new Map();
  const file = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const url = cf.url
      .replace(/^file:\/\//, '')
      .replace(/.*node_modules\/\.pnpm\/([^/]+)\/node_modules\//, '$1 ');
    const short = url.replace(/.*\/packages\//, 'packages/');
    const key = `${cf.functionName || '(anonymous)'}  ${short}:${cf.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const fk = short || cf.functionName;
    file.set(fk, (file.get(fk) ?? 0) + us);
    total += us;
  }
  const rank = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  const idle = fn.get('(idle)  :0') ?? 0;
  return { total, idle, functions: rank(fn), files: rank(file) };
}

async function main() {
  const o = parseArgs(process.argv.slice(2), {
    engines: 'reply-from,undici',
    seconds: 6,
    rounds: 2,
    warmup: 2,
    connections: 50,
    profile: 0,
    top: 25,
    close: 0,
  });
  const engines = o.engines.split(',').map((e) => e.trim());
  pin(process.pid, '0');
  const backends = await startBackends(4, '0');
  const ports = backends.map((b) => b.port).join(',');
  const planes = [];
  try {
    for (const engine of engines) {
      const dir = makeTempDir(`prof-${engine}`);
      const flags = o.profile ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
      const child = spawnPinned('1', process.execPath, [
        ...flags,
        here('plane-server.mjs'),
        '--backends',
        ports,
        '--engine',
        engine,
      ]);
      const { port } = JSON.parse(await firstLine(child, 15_000, `plane ${engine}`));
      planes.push({ engine, child, dir, url: `http://127.0.0.1:${port}/bench`, rows: [] });
    }
    const extra = { close: o.close > 0 };
    for (const p of planes)
      await closedLoop({
        tool: 'wrk',
        url: p.url,
        seconds: o.warmup,
        connections: o.connections,
        cpu: '0',
        ...extra,
      });
    for (let r = 0; r < o.rounds; r++) {
      for (const p of planes) {
        const c0 = cpuSeconds([p.child.pid]);
        const x = await closedLoop({
          tool: 'wrk',
          url: p.url,
          seconds: o.seconds,
          connections: o.connections,
          cpu: '0',
          ...extra,
        });
        const us = ((cpuSeconds([p.child.pid]) - c0) * 1e6) / Math.max(1, x.requests);
        p.rows.push({ rps: x.rps, us, errors: x.errors + x.non2xx });
        console.log(
          `${p.engine.padEnd(11)} round ${r + 1}: ${fmt.int(x.rps)} req/s, ${fmt.f1(us)} µs CPU/request, errors ${x.errors + x.non2xx}`,
        );
      }
    }
  } finally {
    for (const p of planes) await p.child.stop(5000);
    for (const b of backends) await b.stop();
  }
  const best = (p) => Math.min(...p.rows.map((r) => r.us));
  console.log('\nbest CPU µs/request:', planes.map((p) => `${p.engine} ${fmt.f1(best(p))}`).join(', '));
  if (planes.length > 1)
    console.log(
      `ratio ${planes[1].engine}/${planes[0].engine}: ${(best(planes[1]) / best(planes[0])).toFixed(2)}`,
    );
  if (!o.profile) return;
  for (const p of planes) {
    const f = readdirSync(p.dir).find((x) => x.endsWith('.cpuprofile'));
    if (!f) {
      console.log(`${p.engine}: no profile written`);
      continue;
    }
    const s = summarise(JSON.parse(readFileSync(join(p.dir, f), 'utf8')), o.top);
    const busy = s.total - s.idle;
    console.log(`\n== ${p.engine}: self time, % of busy time (${fmt.int(busy / 1000)} ms busy)`);
    for (const [k, us] of s.functions) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)} %  ${k}`);
    console.log(`-- by file`);
    for (const [k, us] of s.files) console.log(`${((100 * us) / busy).toFixed(1).padStart(5)} %  ${k}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
