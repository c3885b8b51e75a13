#!/usr/bin/env node
import { main } from './main.js';
import { printErr, type CliIO } from './output.js';

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env };
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    printErr(io, `pgsurge: internal error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
