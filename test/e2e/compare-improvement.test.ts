/**
 * `compare --expect-improvement` as a user runs it in CI: result files made by hand (no speed of
 * this machine), the exit code and the one line that says why.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { sampleResult } from '../../src/report/sample.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-improve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes one result per [tps, p99] as NAME.1.json, NAME.2.json …; returns NAME.json (compare reads the numbered files). */
function side(name: string, runs: readonly [number, number][]): string {
  runs.forEach(([tps, p99], k) => {
    const base = sampleResult();
    const r = { ...base, summary: { ...base.summary, tps, latencyMs: { ...base.summary.latencyMs, p99 } } };
    writeFileSync(join(dir, `${name}.${k + 1}.json`), JSON.stringify(r));
  });
  return join(dir, `${name}.json`);
}

const base = side('base', [
  [1000, 10],
  [1020, 10.4],
  [980, 9.7],
]);
const faster = side('faster', [
  [1500, 6],
  [1520, 6.1],
  [1490, 5.9],
]);
const bitFaster = side('bit', [
  [1100, 9],
  [1120, 9.2],
  [1090, 8.9],
]);

test('3 vs 3 runs better by the goal beyond noise: exit 0, MET with what it rests on', async () => {
  const html = join(dir, 'met.html');
  const r = await runCli(['compare', base, '--vs', faster, '--expect-improvement', '40%', '--expect-improvement', 'p99:30%', '--html', html]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(html, 'utf8'), /<p class="good">Expected improvement p99:30%: faster vs base: p99 -\d+\.\d%, at least -30% asked: MET/);
  assert.match(r.stdout, /faster vs base: tps \+\d+\.\d%, at least \+40% asked: MET \(3 vs 3 runs, Welch's t on run means, p [=<] /);
  assert.match(r.stdout, /faster vs base: p99 -\d+\.\d%, at least -30% asked: MET/);
});

test('better, but by less than the goal: exit 99 and one line naming the goal', async () => {
  const r = await runCli(['compare', base, '--vs', bitFaster, '--expect-improvement', 'tps:40%']);
  assert.equal(r.code, 99, r.stderr);
  assert.match(r.stderr, /^pgsurge: --expect-improvement tps:40% \(exit 99\): bit vs base: tps \+10\.3%, at least \+40% asked: NOT MET/m);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('one run a side: exit 3, no verdict, even when the one run shows the improvement', async () => {
  const r = await runCli(['compare', join(dir, 'base.1.json'), join(dir, 'faster.1.json'), '--expect-improvement', '40%']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /--expect-improvement 40% \(exit 3\): faster\.1 vs base\.1: tps \+50\.0%, at least \+40% asked: NO VERDICT: with 1 vs 1 run/);
});

test('with --fail-on-regression too: a failed gate (99) outranks a gate without a verdict', async () => {
  const r = await runCli(['compare', base, '--vs', bitFaster, '--expect-improvement', '40%', '--fail-on-regression', '5%']);
  assert.equal(r.code, 99, r.stderr);
  const ok = await runCli(['compare', base, '--vs', faster, '--expect-improvement', '40%', '--fail-on-regression', '5%']);
  assert.equal(ok.code, 0, ok.stderr);
});

test("a monitor's result has nothing a gate could judge: exit 2 naming it", async () => {
  const watch = join(dir, 'watch.json');
  writeFileSync(watch, JSON.stringify({ ...sampleResult(), kind: 'monitor', intervals: [], transactionTypes: {} }));
  const r = await runCli(['compare', join(dir, 'base.1.json'), watch, '--expect-improvement', 'p99:30%']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^pgsurge: --expect-improvement: watch is a monitor result \(pgsurge monitor ran no load: no tps or latency to judge\); gate on run results\n$/,
  );
  const shown = await runCli(['compare', join(dir, 'base.1.json'), watch]);
  assert.equal(shown.code, 0, shown.stderr);
});
