// `pnpm bench`: builds (see package.json), then runs each benchmark against the
// built packages, prints tables and writes bench-results/<name>.json and .md.
// A report, not a test: targets are printed as pass/miss, nothing fails.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { runCoreBench } from './core-bench.mjs';
import { markdownTable, textTable } from './measure.mjs';

const outDir = new URL('../../bench-results/', import.meta.url);
const machine = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  platform: `${process.platform}-${process.arch}`,
  gcExposed: typeof globalThis.gc === 'function',
};
const f1 = (x) => (x === null ? '—' : x.toFixed(1));

function coreTables(r) {
  const sizes = [...new Set(r.picks.map((p) => p.backends))];
  const policies = [...new Set(r.picks.map((p) => p.policy))];
  const at = (policy, n) => r.picks.find((p) => p.policy === policy && p.backends === n);
  const largest = sizes[sizes.length - 1];
  const picks = {
    header: [
      'policy',
      ...sizes.flatMap((n) => [`ns @${n}`, `×base @${n}`]),
      `median @${largest}`,
      `target @${largest}`,
      'status',
    ],
    rows: [
      [
        'baseline (array[counter])',
        ...sizes.flatMap((n) => [f1(at(policies[0], n).baselineNs), '1.0']),
        f1(at(policies[0], largest).baselineMedianNs),
        '',
        '',
      ],
      ...policies.map((p) => {
        const target = r.targets.pickNs[p];
        const worst = at(p, largest).ns;
        return [
          p,
          ...sizes.flatMap((n) => [f1(at(p, n).ns), at(p, n).ratio.toFixed(1)]),
          f1(at(p, largest).medianNs),
          target === undefined ? '—' : `≤ ${target} ns`,
          target === undefined ? '' : worst <= target ? 'pass' : 'miss',
        ];
      }),
    ],
  };
  const rebuild = {
    header: ['rebuild', 'first (cold) ms', 'best ms', 'median ms', 'target', 'status'],
    rows: r.rebuild.map((b) => [
      b.structure,
      f1(b.cold),
      f1(b.best),
      f1(b.median),
      `≤ ${r.targets.rebuildMs} ms`,
      b.best <= r.targets.rebuildMs ? 'pass' : 'miss',
    ]),
  };
  const hashes = {
    header: ['hash function', ...r.hashes.keySets.map((k) => `ns/hash ${k}`)],
    rows: r.hashes.rows.map((row) => [row.hash, ...r.hashes.keySets.map((k) => f1(row[k]))]),
  };
  return { picks, rebuild, hashes };
}

mkdirSync(outDir, { recursive: true });
const started = new Date().toISOString();
const core = await runCoreBench();
const tables = coreTables(core);
const intro = `core benchmark — ${started}, node ${machine.node}, ${machine.cores} × ${machine.cpu}`;
console.log(`\n${intro}\n`);
const notes = [
  'ns per pick, best of 9 interleaved rounds (median at the largest size beside it): a fresh lazy',
  'RequestFacts per pick, keys cycling over 4096 requests; hash policies key on the client IP;',
  'weighted-round-robin uses weights 1–4, the others weight 1. Hash functions: ns per hash, best round.',
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} (other processes share these cores)`,
];
console.log(`${notes.join('\n')}\n`);
for (const t of Object.values(tables)) console.log(`${textTable(t.header, t.rows)}\n`);

writeFileSync(new URL('core.json', outDir), `${JSON.stringify({ started, machine, ...core }, null, 2)}\n`);
writeFileSync(
  new URL('core.md', outDir),
  `# ${intro}\n\n${notes.join('\n')}\n\n${Object.values(tables)
    .map((t) => markdownTable(t.header, t.rows))
    .join('\n\n')}\n`,
);
console.log(`written: ${new URL('core.json', outDir).pathname}, core.md`);
