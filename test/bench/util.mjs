// Plumbing shared by the process-level benchmarks (proxy, failover, propagation):
// command-line flags, pinned child processes that are always cleaned up, CPU time from
// /proc, percentiles, a progress ticker and small formatters.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** `--only proxy,failover --duration 10 --warmup 2 …` → { only: Set, duration: 10, … }. */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') continue;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a} (flags are --name value)`);
    const [name, inline] = a.slice(2).split('=', 2);
    if (name === 'help') {
      out.help = true;
      continue;
    }
    if (!(name in defaults))
      throw new Error(`unknown flag --${name} (known: ${Object.keys(defaults).join(', ')})`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new Error(`--${name} needs a value`);
    const d = defaults[name];
    if (typeof d === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} wants a number ≥ 0, got ${raw}`);
      out[name] = n;
    } else {
      out[name] = raw;
    }
  }
  return out;
}

/** Absolute path of an executable on PATH, or undefined. */
export function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(`${dir}/${cmd}`)) return `${dir}/${cmd}`;
  }
  return undefined;
}

export const hasTaskset = which('taskset') !== undefined;

/** Pins a running process (all its threads) to `cpus` ('0', '1', '0-1'); quiet no-op without taskset. */
export function pin(pid, cpus) {
  if (!hasTaskset || pid === undefined) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
}

// Every child started through spawnPinned is killed, and every makeTempDir() removed, when this
// process exits, however it exits (but SIGKILL: then guardians kill the children).
const children = new Set();
const tempDirs = new Set();

/** A fresh temp dir `/tmp/ringleader-bench-<name>-XXXXXX`, removed at exit. */
export function makeTempDir(name) {
  hookExit();
  const d = mkdtempSync(join(tmpdir(), `ringleader-bench-${name}-`));
  tempDirs.add(d);
  return d;
}
let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of children) killGroup(c.pid, 'SIGKILL');
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      console.log(`\n${sig}: stopping what the benchmark started`);
      process.exit(130);
    });
  }
}

/** Signals the process group led by `pid` (a child and what it forked, e.g. nginx workers). */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {}
  }
}

/**
 * Spawns `cmd args` pinned to `cpus` (via taskset, which execs the command so the pid is
 * the command's own). Returns the ChildProcess with a `stop()` that SIGTERMs, then SIGKILLs.
 */
export function spawnPinned(cpus, cmd, args, opts = {}) {
  hookExit();
  const [file, argv] = hasTaskset && cpus ? ['taskset', ['-c', cpus, cmd, ...args]] : [cmd, args];
  // Its own process group, so stop() and the exit hook reach everything it forks.
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
  children.add(child);
  // If this process is SIGKILLed (no exit hook runs), a guardian shell sees its stdin close
  // and kills the child's group (the harness does the same for its processes).
  const guardian = spawn('sh', ['-c', 'read _x; kill -9 -"$1" 2>/dev/null', 'guardian', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  guardian.unref();
  guardian.stdin.unref?.();
  guardian.stdin.on('error', () => {});
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  child.once('exit', () => {
    children.delete(child);
    guardian.kill('SIGKILL');
  });
  child.exited = exited;
  child.stop = async (graceMs = 3000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    killGroup(child.pid, 'SIGTERM');
    const t = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
    return exited;
  };
  return child;
}

/** Resolves with the first stdout line of `child` (for scripts that print where they listen). */
export function firstLine(child, timeoutMs = 10_000, what = 'child') {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} printed nothing in ${timeoutMs} ms: ${err}`)),
      timeoutMs,
    );
    child.stderr?.on('data', (c) => {
      err += c;
    });
    child.stdout.setEncoding('utf8');
    const onData = (c) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(buf.slice(0, nl));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before printing: ${err.trim()}`));
    });
  });
}

// ------------------------------------------------------------------------- CPU from /proc

const TICK = 100; // USER_HZ on Linux

/** pid and its descendants (nginx workers, …). */
export function processTree(root) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(rest[1]));
    } catch {}
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of parent) if (pp === out[i]) out.push(p);
  return out;
}

/** CPU seconds (user + system) used so far by `pids` together. */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
    } catch {}
  }
  return ticks / TICK;
}

/**
 * Seconds the threads of `pids` spent runnable but waiting for a CPU (run-queue delay, from
 * /proc/<pid>/task/<tid>/schedstat): how much other processes held the proxy's core.
 */
export function runQueueSeconds(pids) {
  let ns = 0;
  for (const pid of pids) {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {}
    for (const tid of tids) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
      } catch {}
    }
  }
  return ns / 1e9;
}

// ------------------------------------------------------------------------- statistics

/** Percentile (nearest rank) of an ascending-sorted array. */
export function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    min: s[0] ?? null,
    p50: pct(s, 50),
    p90: pct(s, 90),
    p99: pct(s, 99),
    max: s[s.length - 1] ?? null,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null,
  };
}

// ------------------------------------------------------------------------- output

export const fmt = {
  int: (x) => (x === null || x === undefined ? '—' : Math.round(x).toLocaleString('en-US')),
  f1: (x) => (x === null || x === undefined ? '—' : x.toFixed(1)),
  f2: (x) => (x === null || x === undefined ? '—' : x.toFixed(2)),
  ms: (us) => (us === null || us === undefined ? '—' : (us / 1000).toFixed(2)),
  ratio: (x) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`),
};

export const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Prints `label` then a live line every `everyMs` from `figure()` until stop() is called. */
export function ticker(label, figure, everyMs = 2000) {
  const t0 = Date.now();
  console.log(`  … ${label}`);
  const timer = setInterval(() => {
    let f = '';
    try {
      f = figure?.() ?? '';
    } catch {}
    console.log(`    ${((Date.now() - t0) / 1000).toFixed(0).padStart(3)} s  ${f}`);
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}

/** Loads the cached JSON of an earlier part (bench-results/<name>.json) when this run skipped it. */
export function readJsonIfThere(url) {
  try {
    return JSON.parse(readFileSync(url, 'utf8'));
  } catch {
    return undefined;
  }
}

export function status(ok) {
  return ok === null || ok === undefined ? 'n/a' : ok ? 'pass' : 'miss';
}
