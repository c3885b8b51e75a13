/**
 * A workload module's code cannot hang pgsurge on any thread. On the main thread (its top level,
 * setup()) an endless loop blocks the event loop, so the watchdog thread ends pgsurge with one
 * line naming the function, while awaiting slow work never trips it. In a worker, a -t run whose
 * params() never returns goes on without that worker (the progress line says so) and Ctrl-C ends
 * it with the result written. The watchdog's limit is set low here (PGSURGE_USER_CODE_LIMIT_S);
 * the other time bounds only catch hangs and are far above what any machine needs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, cleanEnv, runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-modules-main-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** pgsurge must have ended by then, whatever the machine: a hang, not slowness. */
const HANG_MS = 90_000;
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;
/** The watchdog's limit for these tests, s. */
const LIMIT_S = '1';
const env = cleanEnv({ PGSURGE_USER_CODE_LIMIT_S: LIMIT_S });

function module(name: string, lines: readonly string[]): string {
  const file = join(dir, name);
  writeFileSync(file, ["import { defineWorkload } from 'pgsurge';", ...lines, ''].join('\n'));
  return file;
}

function readResult(file: string): ResultV1 {
  return resultV1Schema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Lines pgsurge printed to stderr, without the ones every command prints before it loads a module. */
function problemLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('pgsurge: running the setup of'));
}

test('an endless loop at the top level of a module: one line naming it, exit 2, no stack', { timeout: HANG_MS * 2 }, async () => {
  const mod = module('top.ts', ['while (Date.now() > 0) {}', 'export default defineWorkload({ transactions: { t: { steps: [{ sql: "select 1" }] } } });']);
  const began = Date.now();
  const r = await runCli(['run', mod, '--url', server.url, '-T', '1'], { env, timeoutMs: HANG_MS });
  assert.ok(Date.now() - began < HANG_MS, 'ended (no hang)');
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, STACK_LINE);
  assert.deepEqual(problemLines(r.stderr).length, 1, r.stderr);
  assert.match(
    r.stderr,
    /^pgsurge: the top level of .*top\.ts kept pgsurge busy for 1 s without returning \(an endless loop\?\), so pgsurge stopped: make it return/,
  );
});

test('an endless loop in setup() after a query: one line naming setup(), exit 2, no stack', { timeout: HANG_MS * 2 }, async () => {
  const mod = module('setup-loop.ts', [
    'export default defineWorkload({',
    '  async setup(db) { await db.query("select 1"); for (;;) {} },',
    '  transactions: { t: { steps: [{ sql: "select 1" }] } },',
    '});',
  ]);
  const r = await runCli(['init', mod, '--url', server.url], { env, timeoutMs: HANG_MS });
  assert.equal(r.code, 2, r.stderr);
  assert.doesNotMatch(r.stderr, STACK_LINE);
  assert.deepEqual(problemLines(r.stderr).length, 1, r.stderr);
  assert.match(r.stderr, /\npgsurge: setup\(\) of .*setup-loop\.ts kept pgsurge busy for 1 s without returning/);
});

test('a setup() that awaits a query longer than the limit does not trip the watchdog', { timeout: HANG_MS * 2 }, async () => {
  const mod = module('setup-slow.ts', [
    'export default defineWorkload({',
    '  async setup(db) { await db.query("select pg_sleep(3)"); },',
    '  transactions: { t: { steps: [{ sql: "select 1" }] } },',
    '});',
  ]);
  const r = await runCli(['init', mod, '--url', server.url], { env, timeoutMs: HANG_MS });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /kept pgsurge busy/);
});

test(
  'Ctrl-C while setup() loops on the throwaway server: the watchdog ends pgsurge with its line, and the server is stopped',
  { timeout: HANG_MS * 2 },
  async () => {
    const marker = join(dir, 'setup-looping');
    const mod = module('setup-sigint.ts', [
      "import { writeFileSync } from 'node:fs';",
      'export default defineWorkload({',
      `  async setup() { writeFileSync(${JSON.stringify(marker)}, 'x'); for (;;) {} },`,
      '  transactions: { t: { steps: [{ sql: "select 1" }] } },',
      '});',
    ]);
    // pgsurge's SIGINT handler is installed by then, but the blocked main thread cannot run it.
    const child = spawn(process.execPath, [CLI, 'run', mod, '-T', '1'], {
      env: cleanEnv({ PGSURGE_USER_CODE_LIMIT_S: '5' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const waitUntil = Date.now() + HANG_MS;
      while (!existsSync(marker) && Date.now() < waitUntil && child.exitCode === null) await sleep(100);
      assert.ok(existsSync(marker), `setup() did not run\n${stderr}`);
      child.kill('SIGINT');
      const code = await Promise.race([closed, sleep(HANG_MS).then(() => 'hang' as const)]);
      assert.notEqual(code, 'hang', `still running ${HANG_MS} ms after SIGINT\n${stderr}`);
      assert.equal(code, 2, stderr);
      assert.doesNotMatch(stderr, STACK_LINE);
      assert.match(stderr, /\npgsurge: setup\(\) of .*setup-sigint\.ts kept pgsurge busy for 5 s without returning/);
      // The throwaway server went with it (the exit handlers ran).
      const port = /throwaway PostgreSQL on 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1];
      assert.ok(port !== undefined, stderr);
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect(Number(port), '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.on('error', () => resolve(true));
      });
      assert.ok(refused, 'the throwaway server was stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    }
  },
);

test(
  '-t with a params() that never returns: the progress goes on without that worker, Ctrl-C ends the run, the result is written and names it',
  { timeout: HANG_MS * 2 },
  async () => {
    // Client 0 (worker 1 of 2) loops forever after a few transactions; client 1 (worker 2) goes on.
    const marker = join(dir, 'worker-looping');
    const mod = module('spin-t.ts', [
      "import { writeFileSync } from 'node:fs';",
      'let calls = 0;',
      'export default defineWorkload({',
      '  transactions: { t: { writes: true, steps: [{ sql: "select $1::int", params: (_r, v) => {',
      `    if (v.clientId === 0 && ++calls > 50) { writeFileSync(${JSON.stringify(marker)}, 'x'); for (;;) {} }`,
      '    return [1];',
      '  } }] } },',
      '});',
    ]);
    const json = join(dir, 'spin-t.json');
    // --grace 1s: after Ctrl-C the stuck worker is terminated 3 s (the margin set here) after the
    // grace; the other worker's transaction in flight (select $1::int) needs far less than either.
    const child = spawn(
      process.execPath,
      [CLI, 'run', mod, '--url', server.url, '-c', '2', '-j', '2', '-t', '1000000000', '-P', '1', '--grace', '1s', '--json', json],
      {
        env: cleanEnv({ PGSURGE_STUCK_WORKER_MARGIN_S: '3' }),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const goesOn = /^progress: .*, without 1 worker thread \(stuck or lost\)$/m;
    try {
      const waitUntil = Date.now() + HANG_MS;
      while (!goesOn.test(stderr) && Date.now() < waitUntil && child.exitCode === null) await sleep(100);
      assert.ok(existsSync(marker), `the worker did not reach its loop\n${stderr}`);
      assert.match(stderr, goesOn, 'the progress line goes on, saying a worker is missing');
      child.kill('SIGINT');
      const code = await Promise.race([closed, sleep(HANG_MS).then(() => 'hang' as const)]);
      assert.notEqual(code, 'hang', `still running ${HANG_MS} ms after SIGINT\n${stderr}`);
      assert.equal(code, 1, stderr);
      assert.doesNotMatch(stderr, STACK_LINE);
      const result = readResult(json);
      assert.equal(result.stop?.reason, 'interrupted');
      assert.equal(result.stop?.signal, 'SIGINT');
      assert.equal(result.stop?.lostWorkers, 1);
      assert.match(result.stop?.message ?? '', /worker thread 1 of 2 .*params\(\) of transaction "t" step 1 in spin-t\.ts did not return/);
      assert.ok(result.summary.transactions > 0, 'the other worker’s transactions are kept');
      assert.ok(
        result.intervals.some((i) => i.missingWorkers === 1 && i.transactions > 0),
        'intervals after the loss have the other worker’s figures and are marked as lacking one worker',
      );
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await closed;
    }
  },
);
