#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in ../dist (run `pnpm build` first).
import { main } from '../dist/index.js';

// `ringleader status --watch | head`: the reader went away. Exit quietly, as Unix tools do,
// instead of dying with an unhandled 'write EPIPE' stack.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err?.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ringleader: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
