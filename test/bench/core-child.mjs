// Runs the core policy benchmark in its own process (run.mjs spawns it with --expose-gc) so the
// parent can print progress while the timing loops hold this event loop; prints one JSON line.
import { runCoreBench } from './core-bench.mjs';

process.stdout.write(`${JSON.stringify(await runCoreBench())}\n`);
