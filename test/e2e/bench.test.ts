/**
 * `npm run bench` (bench/pgbench-compare.ts) in its shortest mode: it runs end to end against its own
 * throwaway server and prints every table and column. Its figures are not checked — a benchmark on a
 * shared machine is not a timed test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { cleanEnv } from '../helpers/cli.js';
import { pgbenchPath } from '../helpers/server.js';

const BENCH = fileURLToPath(new URL('../../bench/pgbench-compare.js', import.meta.url));

function runBench(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // SIGINT, not SIGKILL: the benchmark then stops its clients and its server itself.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The cells of the Markdown table row that starts with `prefix`. */
function row(stdout: string, prefix: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(prefix));
  assert.ok(line, `no row starting with "${prefix}" in:\n${stdout}`);
  return line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

test('the pgbench comparison runs every case in quick mode and prints every column', { skip: !existsSync(pgbenchPath()) && 'no pgbench' }, async () => {
  // Scale 1 for the data set (the benchmark's 10 took 3.4 s of pgbench -i): no figure is checked.
  const args = ['--quick', '--cases', '1,3,4,5', '--seconds', '1', '--memory-seconds', '3', '--load-scale', '1', '--scale', '1'];
  const r = await runBench(args, 90_000);
  assert.equal(r.code, 0, r.stderr);

  const header = row(r.stdout, '| case | client | runs | TPS');
  assert.deepEqual(header, [
    'case',
    'client',
    'runs',
    'TPS (median)',
    'CPU µs/txn whole',
    'CPU µs/txn steady',
    'p50 ms',
    'p99 ms',
    'lag p99 ms',
    'TPS ratio pgsurge/pgbench',
    'steady CPU/txn ratio',
  ]);
  for (const [prefix, tool] of [
    ['| 1. select-only', 'pgbench'],
    ['| 1. select-only', 'pgsurge'],
    ['| 3. select-only open loop', 'pgbench'],
    ['| 3. select-only open loop', 'pgsurge'],
  ] as const) {
    const cells = row(r.stdout, `${prefix}`);
    assert.equal(cells.length, header.length, `${prefix}: ${cells.join(' | ')}`);
    assert.ok(
      r.stdout.split('\n').some((l) => l.startsWith(prefix) && l.includes(`| ${tool} |`)),
      `${prefix} ${tool}`,
    );
  }
  // Every figure column of the pgsurge rows holds a number (lag only in the open loop).
  const pgsurge = (prefix: string): string[] => {
    const line = r.stdout.split('\n').find((l) => l.startsWith(prefix) && l.includes('| pgsurge |'));
    assert.ok(line);
    return line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  };
  const num = /^-?\d+(\.\d+)?$/;
  for (const i of [2, 3, 4, 6, 7, 9]) assert.match(pgsurge('| 1. select-only, ')[i] ?? '', num, `case 1 column ${header[i]}`);
  for (const i of [2, 3, 4, 6, 7, 8, 9]) assert.match(pgsurge('| 3. select-only open loop')[i] ?? '', num, `case 3 column ${header[i]}`);
  // The Node.js floor beside case 1: TPS and CPU, and its ratio to pgbench in brackets.
  const floor = r.stdout.split('\n').find((l) => l.startsWith('| 1. select-only') && l.includes('Node.js floor'));
  assert.ok(floor, 'a Node.js floor row in case 1');
  const fc = floor
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
  for (const i of [3, 4, 5]) assert.match(fc[i] ?? '', num, `floor column ${header[i]}`);
  assert.match(fc[9] ?? '', /^\(\d+\.\d+\)$/);
  // Case 3's pgsurge with --warmup: its steady state, beside (not instead of) the plain row.
  const warm = r.stdout.split('\n').find((l) => l.startsWith('| 3. select-only open loop') && l.includes('pgsurge --warmup 1s (not judged)'));
  assert.ok(warm, 'a pgsurge --warmup row in case 3');
  const wc = warm
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
  for (const i of [3, 5, 8]) assert.match(wc[i] ?? '', num, `warm-up row column ${header[i]}`);
  // Case 3 at the 80 % of case 1, and at 40 %.
  for (const share of ['80 %', '40 %']) {
    assert.ok(
      r.stdout.split('\n').some((l) => l.startsWith('| 3. select-only open loop') && l.includes(`(${share} of case 1)`) && l.includes('| pgsurge |')),
      share,
    );
  }

  assert.deepEqual(row(r.stdout, '| case | client | run s'), ['case', 'client', 'run s', 'TPS', 'RSS early MiB (at s)', 'RSS late MiB (at s)', 'growth']);
  assert.match(row(r.stdout, '| 4. memory')[6] ?? '', /^-?\d+\.\d %$/);
  assert.deepEqual(row(r.stdout, '| case | client | runs | wall s'), [
    'case',
    'client',
    'runs',
    'wall s (median)',
    'client CPU s',
    'time ratio pgsurge/pgbench',
  ]);
  assert.match(row(r.stdout, '| 5. data load -s 1 | pgsurge init')[5] ?? '', num);

  // One pass/fail line per target of the cases that ran.
  const verdicts = r.stdout.split('\n').filter((l) => /^\| [1-5] \|.*\| (PASS|FAIL) \|$/.test(l));
  assert.deepEqual(
    verdicts.map((l) => l.split('|')[1]?.trim()),
    ['1', '1', '3', '3', '4', '5'],
  );
});
