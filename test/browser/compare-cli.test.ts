/**
 * `pgsurge report` and `pgsurge compare` as a user runs them: exit codes, files, one-line errors;
 * and a real regression check — the same workload with and without a planner setting that turns
 * every index lookup into a sequential scan (enable_indexscan and enable_bitmapscan off for the
 * session), which compare must flag, while two runs with the same settings must not be flagged.
 * Three 6-second runs.
 *
 * Why this regression and not a commit cost: the runs must not depend on the disk. This test once
 * used commit_delay, which needs fsync on; on this machine's shared disk two runs with the same
 * settings then differed by 23 % in tps and 77 % in p99 (1,489 vs 1,149 tps), and compare rightly
 * flagged them. With fsync off (the test server's default), 16 runs in two sessions: consecutive
 * runs differed by up to 20 % in tps and 42 % in p99 (either way round), while the sequential
 * scans cost 96 % of the tps (2,068 → 78) and 25x the p99 (0.84 → 20.6 ms). So the threshold is
 * 50 %.
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

/** The server's URL with a libpq `options` parameter (session settings, like PGOPTIONS). */
function withOptions(url: string, options: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(options)}`;
}

async function runTo(file: string, url: string): Promise<void> {
  // 250 ms intervals: 20 values per run for the rank test (more power than 5 one-second ones);
  // the warm-up keeps connection set-up and cold caches out of the first interval.
  const r = await runCli(['run', '--url', url, '-b', 'simple-update', '-c', '1', '-T', '5', '--warmup', '1', '--interval', '250ms', '--json', file]);
  assert.equal(r.code, 0, r.stderr);
}

const on1 = join(dir, 'base-1.json');
const on2 = join(dir, 'base-2.json');
const slow = join(dir, 'seqscan.json');

test('setup: pgbench tables and three runs (defaults, defaults, index scans off)', async () => {
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
  await runTo(on1, server.url);
  await runTo(on2, server.url);
  await runTo(slow, withOptions(server.url, '-c enable_indexscan=off -c enable_bitmapscan=off'));
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

test('compare: two runs with the same settings are not flagged (exit 0)', async () => {
  const html = join(dir, 'same.html');
  const r = await runCli(['compare', on1, on2, '--fail-on-regression', '50%', '--html', html]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /no regression/);
  assert.ok(existsSync(html));
});

test('compare: sequential scans instead of index lookups are flagged as a regression (exit 99)', async () => {
  const r = await runCli(['compare', on1, slow, '--fail-on-regression', '50%']);
  assert.equal(r.code, 99, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /seqscan: tps lower by/);
  // Without the option the differences are shown but the exit code stays 0.
  const plain = await runCli(['compare', on1, slow]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /WORSE/);
});

test('compare: a directory stands for its results, oldest first; other JSON files are skipped', async () => {
  const d = join(dir, 'runs');
  mkdirSync(d);
  // Names in the opposite order of the runs: startedAt decides the baseline, not the name.
  copyFileSync(on2, join(d, 'a.json'));
  copyFileSync(on1, join(d, 'b.json'));
  writeFileSync(join(d, 'package.json'), '{"name": "not a result"}');
  const r = await runCli(['compare', d]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\s+b \(baseline\)\s+a\s*$/m);
});
