// The routing-core benchmark: ns per pick for every policy at 4, 64 and 1024
// backends beside a same-run baseline, ring and maglev rebuild times, and the
// hash-function comparison that chose xxh32. Runs against the BUILT package
// (`pnpm bench` builds first), so it measures what the data plane runs.

import { createRequire } from 'node:module';
import {
  buildPolicy,
  consistentHash,
  DEFAULT_CLUSTER_CONFIG,
  LoadTracker,
  maglev,
  requestFacts,
  xxh32,
} from '@ringleader/core';
import { fnv1a, murmur3 } from './hash-candidates.mjs';
import { fresh, msPerBuild, nsPerOpEach } from './measure.mjs';

const SIZES = [4, 64, 1024];
const POLICIES = [
  ['round-robin', {}],
  ['weighted-round-robin', {}],
  ['least-response-time', {}],
  ['least-connections', {}],
  ['hash', {}],
  ['consistent-hash', {}],
  ['consistent-hash', { loadFactor: 1.25 }],
  ['maglev', {}],
];
const TARGET_NS = {
  'round-robin': 150,
  'weighted-round-robin': 150,
  hash: 400,
  'consistent-hash': 400,
  'consistent-hash+bounded': 400,
  maglev: 400,
};
// Distinct requests cycled through; a power of two so the index is a mask.
const REQUESTS = 4096;

// Flat strings, as Node's HTTP parser hands them over (a template literal would
// leave a rope that hashes slower than anything the data plane sees).
const flat = (s) => Buffer.from(s).toString();

function fakeRequests() {
  return Array.from({ length: REQUESTS }, (_, i) => ({
    remoteAddress: flat(`10.${(i >> 12) & 255}.${(i >> 4) & 255}.${(i * 37) & 255}`),
    remotePort: 30000 + (i % 20000),
    method: 'GET',
    url: flat(`/api/items/${i * 7919}?page=${i % 7}`),
    headers: {
      host: 'shop.example.test',
      'user-agent': 'bench/1.0',
      'x-user': flat(`user-${(i * 2654435761) >>> 0}`),
      cookie: flat(`session=s${i}; theme=dark`),
    },
  }));
}

function makeBackends(n, weighted) {
  return Array.from({ length: n }, (_, i) => ({
    id: `backend-${i}`,
    host: `10.1.${i >> 8}.${i & 255}`,
    port: 8080,
    weight: weighted ? 1 + (i % 4) : 1,
    state: 'active',
    format: 'native',
  }));
}

/**
 * A load view with history: every backend has latency samples (5–44 ms) and one
 * request in flight, every eighth backend three (hot), so bounded loads has
 * backends over capacity to walk past (cap = ceil(1.25 × 1.25) = 2).
 */
function loadFor(backends) {
  const load = new LoadTracker({ decayMs: 10_000 });
  backends.forEach((b, i) => {
    for (let s = 0; s < 5; s++) {
      load.onStart(b.id);
      load.onEnd(b.id, 5 + ((i * 13 + s * 7) % 40), 1000 + s);
    }
    for (let k = 0; k < (i % 8 === 0 ? 3 : 1); k++) load.onStart(b.id);
  });
  return load;
}

/** Health as the data plane sees it: a set of down ids and a version that bumps on change. */
function healthView() {
  const down = new Set();
  return { isUp: (id) => !down.has(id), version: () => 0 };
}

function config(policy, extra) {
  return { ...DEFAULT_CLUSTER_CONFIG, policy, hash: { kind: 'ip' }, ring: { vnodes: 160, ...extra } };
}

function benchPicks(reqs) {
  const rows = [];
  const health = healthView();
  const mask = REQUESTS - 1;
  for (const n of SIZES) {
    // Same loop as the picks (fresh facts per request), with the policy replaced
    // by an array read at a counter: what any pick costs at the very least.
    const plain = makeBackends(n, false);
    const counter = { value: 0 };
    const bodies = [
      fresh('plain[counter.value++ % n].port ^ requestFacts(reqs[i & mask]).clientPort', {
        plain,
        counter,
        n,
        requestFacts,
        reqs,
        mask,
      }),
    ];
    const labels = [];
    for (const [name, extra] of POLICIES) {
      labels.push(extra.loadFactor === undefined ? name : `${name}+bounded`);
      const backends = makeBackends(n, name === 'weighted-round-robin');
      const ctx = { load: loadFor(backends), health, random: Math.random };
      const policy = buildPolicy(config(name, extra), backends, ctx);
      bodies.push(
        fresh('policy.pick(requestFacts(reqs[i & mask])).port', { policy, requestFacts, reqs, mask }),
      );
    }
    const [baseline, ...figures] = nsPerOpEach(bodies);
    labels.forEach((policy, k) => {
      rows.push({
        policy,
        backends: n,
        ns: figures[k].best,
        medianNs: figures[k].median,
        baselineNs: baseline.best,
        baselineMedianNs: baseline.median,
        ratio: figures[k].best / baseline.best,
      });
    });
  }
  return rows;
}

function benchRebuild() {
  const backends = makeBackends(1024, false);
  const ctx = { load: new LoadTracker(), health: { isUp: () => true }, random: Math.random };
  const ring = msPerBuild(
    () => consistentHash(backends, ctx, { source: { kind: 'ip' }, vnodes: 160 }).pointCount,
  );
  const table = msPerBuild(() => maglev(backends, ctx, { source: { kind: 'ip' } }).tableSize);
  return [
    { structure: 'consistent-hash ring, 1024 backends × 160 vnodes (163840 points)', ...ring },
    {
      structure: `maglev table, 1024 backends (${maglev(backends, ctx, { source: { kind: 'ip' } }).tableSize} slots)`,
      ...table,
    },
  ];
}

async function hashCandidates() {
  const candidates = [
    ['xxh32, pure JS (chosen)', xxh32],
    ['murmur3 x86_32, pure JS', murmur3],
    ['FNV-1a 32, pure JS', fnv1a],
  ];
  // The native and wasm builds are dev dependencies of the test package, kept so the
  // comparison that chose the pure-JS xxh32 can be re-run; skipped when absent.
  const fromCore = createRequire(new URL('../package.json', import.meta.url));
  try {
    const native = fromCore('@node-rs/xxhash');
    candidates.push(['xxh32, @node-rs/xxhash (native)', (s) => native.xxh32(s)]);
    candidates.push([
      'xxh64, @node-rs/xxhash (native, BigInt)',
      (s) => Number(native.xxh64(s) & 0xffffffffn),
    ]);
  } catch {
    candidates.push(['@node-rs/xxhash (not installed)', undefined]);
  }
  try {
    const { default: init } = await import(
      fromCore.resolve('xxhash-wasm').replace(/cjs\/xxhash-wasm\.cjs$/, 'esm/xxhash-wasm.js')
    );
    const wasm = await init();
    candidates.push(['xxh32, xxhash-wasm (after async init)', (s) => wasm.h32(s)]);
  } catch {
    candidates.push(['xxhash-wasm (not installed)', undefined]);
  }
  const keySets = [
    ['IPv4 (7–15 B)', (i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`],
    ['user id (~15 B)', (i) => `user-${(i * 2654435761) >>> 0}`],
    ['UUID (36 B)', (i) => `${(i * 2654435761) >>> 0}`.padStart(8, '0') + '-1b9d-4bc7-9f3a-0c5e0f2a6b7d'],
  ].map(([name, make]) => [name, Array.from({ length: REQUESTS }, (_, i) => flat(make(i)))]);
  const live = candidates.filter(([, fn]) => fn !== undefined);
  const figures = keySets.map(([, keys]) =>
    nsPerOpEach(
      live.map(([, fn]) => fresh('fn(keys[i & mask])', { fn, keys, mask: REQUESTS - 1 })),
      { iterations: 300_000 },
    ),
  );
  const rows = candidates.map(([name, fn]) => {
    const row = { hash: name };
    keySets.forEach(([setName], s) => {
      row[setName] = fn === undefined ? null : figures[s][live.findIndex(([n]) => n === name)].best;
    });
    return row;
  });
  return { keySets: keySets.map(([n]) => n), rows };
}

/** Runs the whole core benchmark and returns its figures (printing is run.mjs's job). */
export async function runCoreBench() {
  const reqs = fakeRequests();
  const hashes = await hashCandidates();
  const picks = benchPicks(reqs);
  const rebuild = benchRebuild();
  return { picks, rebuild, hashes, targets: { pickNs: TARGET_NS, rebuildMs: 50 } };
}
