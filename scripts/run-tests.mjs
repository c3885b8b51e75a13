#!/usr/bin/env node
// Runs every compiled test file (unit tests beside the code, integration and e2e under test/)
// with Node's own test runner. Pass a substring to run only matching files:
//   npm test -- histogram
//
// Two files run at a time: most of the suite waits on servers, deadlines and child processes, and
// on this 2-core machine the serial suite left a core idle (1,410 s serial, 886 s two at a time,
// the CPU 82 % busy; one clean run each, 2026-12-06). The files in ALONE assert what depends on
// having the machine to themselves — a capacity found within 10 % (pg_sleep latency must not jitter
// past the search's p99 criterion) and a busy client passing 90 % of a core — so they run
// afterwards, one at a time.
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { spawnSync } from 'node:child_process';

const ALONE = new Set(['find-limit.test.js', 'server-observer.test.js']);
const CONCURRENCY = process.env.PGSURGE_TEST_CONCURRENCY ?? '2';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk('dist', [])
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const together = files.filter((f) => !ALONE.has(basename(f)));
const alone = files.filter((f) => ALONE.has(basename(f)));
// Servers start from a copy of one initdb'd data directory (src/local/initdb.ts): 0.40 s instead of
// 1.43 s each. Readable by all: as root, servers run as an unprivileged user who copies it.
const initdbCache = mkdtempSync(join(tmpdir(), 'initdb-cache-'));
chmodSync(initdbCache, 0o755);
process.env.PGSURGE_INITDB_CACHE ??= initdbCache;
const run = (list, concurrency) =>
  list.length === 0
    ? 0
    : (spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list], { stdio: 'inherit' }).status ?? 1);
const first = run(together, CONCURRENCY);
const second = run(alone, 1);
rmSync(initdbCache, { recursive: true, force: true });
process.exit(first !== 0 ? first : second);
