// Timing helpers shared by the benchmarks. A report, not a test: nothing here
// asserts; figures from a shared 2-core machine carry noise, so each case runs
// several interleaved rounds after a warm-up; best and median rounds are kept.

/**
 * Compiles `(i) => <expr>` as a fresh function over the named values. Each case
 * gets its own function literal, hence its own inline caches: a shared closure
 * would see every policy class at one call site and measure megamorphic
 * dispatch, which the data plane (one policy per snapshot) never pays.
 */
export function fresh(expr, values) {
  const names = Object.keys(values);
  return new Function(...names, `return (i) => ${expr};`)(...names.map((n) => values[n]));
}

/**
 * Nanoseconds per iteration of each case's `body(i)`. Rounds are interleaved
 * (case A, B, C, A, B, C, ...) so load from other processes on a shared machine
 * falls on every case alike. Returns `{ best, median }` per case, in the order of
 * `bodies`: other processes only ever add time, so the best round is the
 * figure closest to the code's own cost; the median shows what contention did.
 */
export function nsPerOpEach(bodies, { iterations = 200_000, rounds = 9, warmup = 2 } = {}) {
  // A fresh loop per case, for the same reason as fresh().
  const loops = bodies.map(
    () => new Function('body', 'n', 'let s = 0; for (let i = 0; i < n; i++) s ^= body(i); return s;'),
  );
  let sink = 0;
  bodies.forEach((body, c) => {
    for (let r = 0; r < warmup; r++) sink ^= loops[c](body, iterations);
  });
  const samples = bodies.map(() => []);
  for (let r = 0; r < rounds; r++) {
    bodies.forEach((body, c) => {
      globalThis.gc?.();
      const start = process.hrtime.bigint();
      sink ^= loops[c](body, iterations);
      samples[c].push(Number(process.hrtime.bigint() - start) / iterations);
    });
  }
  keep(sink);
  return samples.map((xs) => ({ best: Math.min(...xs), median: median(xs) }));
}

/** Milliseconds per call of `build()`: the first (cold) call, then the best and median of later ones. */
export function msPerBuild(build, { rounds = 7 } = {}) {
  globalThis.gc?.();
  let start = performance.now();
  keep(build());
  const cold = performance.now() - start;
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    globalThis.gc?.();
    start = performance.now();
    keep(build());
    samples.push(performance.now() - start);
  }
  return { cold, best: Math.min(...samples), median: median(samples) };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// Results flow into a module-level sink so the optimiser cannot drop the work.
let blackhole = 0;
function keep(v) {
  blackhole ^= typeof v === 'number' ? v : 1;
  return blackhole;
}

/** Formats rows (arrays of cells) as a fixed-width text table. */
export function textTable(header, rows) {
  const widths = header.map((h, c) => Math.max(String(h).length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells) => cells.map((v, c) => String(v).padStart(widths[c])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The same rows as a GitHub markdown table. */
export function markdownTable(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
