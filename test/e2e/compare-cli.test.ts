/**
 * `pgsurge run --repeat`, `pgsurge report` and `pgsurge compare` as a user runs them: exit codes,
 * files, one-line errors, and the structure of what compare says about real results. Nothing here depends on how fast the runs were: whether
 * compare calls a difference is tested with result files of controlled values
 * (src/report/compare.test.ts), since two live runs on a shared machine differ by whatever the
 * machine does meanwhile.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { INTERVALS_CSV_HEADER } from '../../src/report/csv.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-compare-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const on1 = join(dir, 'base.1.json');
const on2 = join(dir, 'base.2.json');
const outDir = join(dir, 'base-out');

test('run --repeat 2: two complete runs, numbered files, each run and the spread summarized', async () => {
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
  const r = await runCli([
    'run',
    '--url',
    server.url,
    '-b',
    'simple-update',
    '-c',
    '1',
    '-T',
    '1',
    '--repeat',
    '2',
    '--json',
    join(dir, 'base.json'),
    '--out',
    outDir,
  ]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of [on1, on2, join(outDir, '1', 'result.json'), join(outDir, '2', 'report.html'), join(outDir, '2', 'intervals.csv')])
    assert.ok(existsSync(f), f);
  assert.ok(!existsSync(join(dir, 'base.json')), 'no un-numbered file');
  assert.match(r.stdout, /== run 1 of 2 ==[\s\S]*transactions:[\s\S]*== run 2 of 2 ==[\s\S]*transactions:/);
  assert.match(r.stdout, /^repeat: 2 of 2 runs of the same configuration$/m);
  assert.match(r.stdout, /^ {2}1\s+[\d,.]+\s+[\d.]+\s+\d+$/m);
  assert.match(r.stdout, /^ {2}median\s+[\d,.]+\s+[\d.]+$/m);
  assert.match(r.stdout, /^ {2}min–max\s+[\d,.]+–[\d,.]+/m);
  assert.match(r.stderr, /pgsurge compare \S+base\.json --vs OTHER/);
  const [a, b] = [on1, on2].map((f) => JSON.parse(readFileSync(f, 'utf8')) as { config: Record<string, unknown> });
  assert.equal(a?.config['repeat'], 2);
  assert.notEqual(a?.config['randomSeed'], b?.config['randomSeed'], 'no --random-seed: each run draws its own');
});

test('run --repeat: Ctrl-C writes what the current run measured and starts no further run', async () => {
  const json = join(dir, 'cut.json');
  let sent = false;
  const r = await runCli(['run', '--url', server.url, '-b', 'select-only', '-c', '1', '-T', '60', '-P', '1', '--repeat', '3', '--json', json], {
    onStderr: (chunk, child) => {
      if (!sent && /progress: 1\.0 s/.test(chunk)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, `saw a progress line\n${r.stderr}`);
  assert.equal(r.code, 1, 'an interrupted series is not a success');
  const first = JSON.parse(readFileSync(join(dir, 'cut.1.json'), 'utf8')) as { stop?: { reason: string }; summary: { transactions: number } };
  assert.equal(first.stop?.reason, 'interrupted');
  assert.ok(first.summary.transactions > 0);
  assert.ok(!existsSync(join(dir, 'cut.2.json')), 'no further run started');
  assert.match(r.stdout, /^repeat: 1 of 3 runs of the same configuration$/m);
  assert.match(r.stdout, /^ {2}1\s+.*interrupted$/m);
  assert.match(r.stderr, /stopped after 1 of 3 runs/);
});

test('compare reads what --repeat wrote: the numbered files by their common name, the --out directory', async () => {
  const r = await runCli(['compare', join(dir, 'base.json'), '--vs', outDir, '--fail-on-regression', '5%']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^\s+base \(baseline\)\s+base-out\s*$/m);
  assert.match(r.stdout, /^runs\s+2\s+2$/m);
  assert.match(r.stdout, /base-out vs base: 2 vs 2 runs, Welch's t on run means:/);
  assert.match(r.stdout, /^ {2}tps\s+[+-]?\d+\.\d%\s+(within noise|WORSE|better) \(p [=<] [\d.]+\)$/m);
});

test('report: summary on stdout, HTML and CSV written, exit 0', async () => {
  const html = join(dir, 'r.html');
  const csv = join(dir, 'r.csv');
  const r = await runCli(['report', on1, '--html', html, '--csv', csv]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /transactions: .* tps/);
  assert.match(readFileSync(html, 'utf8'), /^<!DOCTYPE html>/);
  assert.equal(readFileSync(csv, 'utf8').split('\n')[0], INTERVALS_CSV_HEADER);
});

test('report and compare: unreadable or invalid files exit 2 with one line naming the file', async () => {
  const notJson = join(dir, 'broken.json');
  writeFileSync(notJson, '{ "schema": ');
  const wrong = join(dir, 'wrong.json');
  writeFileSync(wrong, JSON.stringify({ ...JSON.parse(readFileSync(on1, 'utf8')), durationS: 'long' }));
  for (const [args, pattern] of [
    [['report', join(dir, 'missing.json')], /cannot read result .*missing\.json: no such file/],
    [['report', notJson], /broken\.json is not valid JSON/],
    [['report', wrong], /wrong\.json is not a pgsurge\.result\/v1 result: durationS: /],
    [['compare', on1, wrong], /wrong\.json is not a pgsurge\.result\/v1 result/],
    [['compare', on1], /at least two results/],
    [['compare', on1, on2, '--fail-on-regression', 'lots'], /--fail-on-regression/],
  ] as const) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

test('compare: one run a side is never called a regression; the gate says it cannot tell (exit 3)', async () => {
  const html = join(dir, 'same.html');
  const r = await runCli(['compare', on1, on2, '--fail-on-regression', '50%', '--html', html]);
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /1 vs 1 run: the differences cannot be told from run-to-run noise with one run a side/);
  assert.doesNotMatch(r.stdout, /% WORSE|% better|^regressions/m);
  assert.match(r.stderr, /--fail-on-regression 50%: no verdict \(exit 3\)/);
  assert.ok(existsSync(html));
  // Without the gate the comparison is shown and the exit code is 0.
  const plain = await runCli(['compare', on1, on2]);
  assert.equal(plain.code, 0, plain.stderr);
});

test('compare: a directory is one side holding its runs, oldest first; other JSON files are skipped', async () => {
  const d = join(dir, 'runs');
  mkdirSync(d);
  // Names in the opposite order of the runs: startedAt decides the order, not the name.
  copyFileSync(on2, join(d, 'a.json'));
  copyFileSync(on1, join(d, 'b.json'));
  writeFileSync(join(d, 'package.json'), '{"name": "not a result"}');
  const r = await runCli(['compare', d, '--vs', on1, on2]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\s+runs \(baseline\)\s+base\s*$/m);
  assert.match(r.stdout, /^runs\s+2\s+2$/m);
  assert.match(r.stdout, /base vs runs: 2 vs 2 runs, Welch's t on run means:/);
  const alone = await runCli(['compare', d]);
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /compare needs at least two results, got \S+runs alone \(2 runs, one side\): give the other side/);
});
