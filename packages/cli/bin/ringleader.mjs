#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in ../dist (run `pnpm build` first).
import { main } from '../dist/index.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ringleader: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
