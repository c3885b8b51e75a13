#!/usr/bin/env node
import { main } from './main.js';
import { printErr, type CliIO } from './output.js';

/**
 * Once the command has finished, the process ends within this time even if something it opened
 * (a connection after a failed query, a timer) was left behind: a script waiting on pgsurge must
 * get its exit code, never a hang.
 */
const LINGER_MS = 3000;

const io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env };
const argv = process.argv.slice(2);

function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => {
    if (argv.includes('--verbose')) printErr(io, `pgsurge: still open after the command finished: ${process.getActiveResourcesInfo().join(', ')}`);
    process.exit(code);
  }, LINGER_MS).unref();
}

main(argv, io).then(finish, (e: unknown) => {
  printErr(io, `pgsurge: internal error: ${e instanceof Error ? e.message : String(e)}`);
  finish(1);
});
