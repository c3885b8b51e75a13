/**
 * Workload modules that misbehave cannot crash, hang or mislead a run: an endless loop in a module
 * function ends at -T (or at Ctrl-C) with the stuck worker terminated, the others' figures kept and
 * the function named; bad parameter values are one line naming the module, the statement and the
 * parameter; a module that cannot be loaded is one line with its path. The time bounds only catch
 * hangs: they are far above what any machine needs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, cleanEnv, runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';

/** A stuck worker is cut off 3 s after the grace instead of 10: the hang is still waited out, only sooner. */
const SHORT_STUCK_MARGIN = { PGSURGE_STUCK_WORKER_MARGIN_S: '3' };

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-modules-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A run that needs longer than this is a hang, whatever the machine (the load lasts 2 s). */
const HANG_MS = 60_000;
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

function module(name: string, lines: readonly string[]): string {
  const file = join(dir, name);
  writeFileSync(file, ["import { defineWorkload } from 'pgsurge';", ...lines, ''].join('\n'));
  return file;
}

function readResult(file: string): ResultV1 {
  return resultV1Schema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

test(
  'an endless loop in params() of one client ends at -T: that worker is terminated and named, the other worker is kept',
  { timeout: HANG_MS * 2 },
  async () => {
    // Client 0 (worker 1 of 2) loops forever after a few transactions; client 1 (worker 2) goes on.
    const mod = module('spin.ts', [
      'let calls = 0;',
      'export default defineWorkload({',
      '  transactions: { t: { writes: true, steps: [{ sql: "select $1::int", params: (_r, v) => {',
      '    if (v.clientId === 0 && ++calls > 20) for (;;) {}',
      '    return [1];',
      '  } }] } },',
      '});',
    ]);
    const json = join(dir, 'spin.json');
    const began = Date.now();
    // --grace 1s and a stuck-worker margin of 3 s: the one transaction in flight (select $1::int)
    // needs far less than either, so only the wait is shorter.
    const r = await runCli(['run', mod, '--url', server.url, '-c', '2', '-j', '2', '-T', '2', '--grace', '1s', '--json', json], {
      timeoutMs: HANG_MS,
      env: cleanEnv(SHORT_STUCK_MARGIN),
    });
    assert.ok(Date.now() - began < HANG_MS, 'the run ended (no hang)');
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, STACK_LINE);
    assert.match(
      r.stderr,
      /worker thread 1 of 2 did not stop \d+ s after the end of the load and was terminated: params\(\) of transaction "t" step 1 in spin\.ts did not return/,
    );
    const result = readResult(json);
    assert.equal(result.stop?.lostWorkers, 1);
    assert.match(result.stop?.message ?? '', /params\(\) of transaction "t" step 1 in spin\.ts did not return/);
    assert.ok(result.summary.transactions > 0, 'the other worker’s transactions are kept');
  },
);

test('Ctrl-C stops a run whose module loops forever: the result is written, marked interrupted, the function named', { timeout: HANG_MS * 2 }, async () => {
  const marker = join(dir, 'looping');
  const mod = module('forever.ts', [
    "import { writeFileSync } from 'node:fs';",
    'export default defineWorkload({',
    '  transactions: { t: { steps: [{ sql: "select $1::int", params: () => {',
    `    writeFileSync(${JSON.stringify(marker)}, 'x');`,
    '    for (;;) {}',
    '  } }] } },',
    '});',
  ]);
  const json = join(dir, 'forever.json');
  // --grace 1s: the stuck worker is terminated 3 s (the margin set here) after the stop signal plus the grace.
  const child = spawn(process.execPath, [CLI, 'run', mod, '--url', server.url, '-T', '10m', '--grace', '1s', '--json', json], {
    env: cleanEnv(SHORT_STUCK_MARGIN),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    // The module writes the marker when its loop begins, i.e. once the load runs.
    const waitUntil = Date.now() + HANG_MS;
    while (!existsSync(marker) && Date.now() < waitUntil && child.exitCode === null) await sleep(100);
    assert.ok(existsSync(marker), `the load did not start\n${stderr}`);
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    const code = await Promise.race([closed, sleep(HANG_MS).then(() => 'hang' as const)]);
    assert.notEqual(code, 'hang', `still running ${HANG_MS} ms after SIGINT\n${stderr}`);
    assert.ok(Date.now() - interruptedAt < HANG_MS);
    assert.equal(code, 1, stderr);
    assert.doesNotMatch(stderr, STACK_LINE);
    assert.match(stderr, /did not stop \d+ s after the stop signal and was terminated: params\(\) of transaction "t" step 1 in forever\.ts did not return/);
    const result = readResult(json);
    assert.equal(result.stop?.signal, 'SIGINT');
    assert.equal(result.stop?.lostWorkers, 1);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await closed;
  }
});

test(
  'bad parameter values are one line naming the module, the statement and the parameter; the good transactions go on',
  { timeout: HANG_MS * 2 },
  async () => {
    const mod = module('values.ts', [
      'export default defineWorkload({',
      '  transactions: {',
      '    good: { weight: 2, steps: [{ sql: "select $1::int", params: () => [1] }] },',
      '    text: { steps: [{ sql: "select $1::text", params: () => [{ toString() { throw new Error("no text"); } }] as never }] },',
      '    shape: { steps: [{ sql: "select $1::int", params: (() => ({ id: 1 })) as never }] },',
      '  },',
      '});',
    ]);
    const json = join(dir, 'values.json');
    const r = await runCli(['run', mod, '--url', server.url, '-c', '2', '-t', '60', '--json', json], { timeoutMs: HANG_MS });
    assert.equal(r.code, 0, r.stderr);
    const result = readResult(json);
    assert.ok(result.transactionTypes['values.good']!.transactions > 0);
    assert.equal(result.transactionTypes['values.text']!.transactions, 0);
    assert.ok(result.transactionTypes['values.text']!.failed > 0);
    assert.ok(result.transactionTypes['values.shape']!.failed > 0);
    const shown = r.stdout + r.stderr;
    assert.doesNotMatch(shown, STACK_LINE);
    const lines = [result.summary.firstErrors.other ?? '', ...shown.split('\n')];
    const textLine = /values\.ts: transaction "text" step 1 \(select \$1::text\): parameter \$1: toString\(\) threw: values\.ts:\d+:\d+: no text/;
    const shapeLine = /values\.ts: transaction "shape" step 1 \(select \$1::int\): params\(\) returned an object \{"id":1\}; expected an array/;
    assert.ok(
      lines.some((l) => textLine.test(l) || shapeLine.test(l)),
      `the first error names the module, the statement and the problem\n${shown}`,
    );
  },
);

test('a module that fails to import is one line with its path and the line of the throw, exit 2', { timeout: HANG_MS }, async () => {
  writeFileSync(join(dir, 'helper.ts'), "export function connectLater(): never {\n  throw new Error('no config here\\nsecond line');\n}\n");
  const mod = module('imports.ts', ["import { connectLater } from './helper.ts';", 'connectLater();', 'export default defineWorkload({ transactions: {} });']);
  const r = await runCli(['run', mod, '--url', server.url, '-T', '1'], { timeoutMs: HANG_MS });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^pgsurge: cannot load workload module \S*imports\.ts:3:1: no config here\n$/);
});
