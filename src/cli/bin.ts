#!/bin/sh
//usr/bin/env true; MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2} exec node --max-semi-space-size=1 "$0" "$@"
// Started as a program, this file is a shell script whose second line runs Node on it with a
// 1 MiB semi-space (worker threads set theirs in resourceLimits; the main thread's can only be set
// on Node's command line): V8's default lets an allocating thread's new space grow to 32 MiB,
// resident though little of it survives, and it was 17 MiB of a run's peak RSS at select-only
// -c 8. It also caps glibc's malloc arenas at 2 unless the user set MALLOC_ARENA_MAX (glibc reads
// it only at start-up): by default each of the process's threads that mallocs (main, workers, V8's
// and libuv's helpers) may get its own arena of up to 64 MiB, which keeps what it freed; tpcb-like
// -c 500 -j 2, 3 alternating runs, peak RSS median 125 MiB with the default against 119 with 2.
// To Node that line is a comment. `node bin.js` directly runs with V8's and glibc's defaults.
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
