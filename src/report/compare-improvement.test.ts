/**
 * --expect-improvement on hand-made runs (no speed of this machine): met only when better by the
 * goal AND beyond run-to-run noise; not met when smaller or within noise; no verdict with one run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareSides, type CompareSide } from './compare.js';
import { checkImprovements, parseImprovementGoal, type ImprovementCheck } from './compare-improvement.js';
import { formatImprovements } from './compare-format.js';
import { sampleResult } from './sample.fixture.js';
import type { ResultV1 } from './result.js';
import { PgsurgeError } from '../errors.js';

function run(tps: number, p99Ms: number): ResultV1 {
  const base = sampleResult();
  return { ...base, summary: { ...base.summary, tps, latencyMs: { ...base.summary.latencyMs, p99: p99Ms } } };
}

const side = (label: string, runs: readonly [number, number][]): CompareSide => ({
  label,
  runs: runs.map(([tps, p99], k) => ({ label: `${label}${k + 1}`, result: run(tps, p99) })),
});

function check(base: CompareSide, other: CompareSide, goals: readonly string[]): ImprovementCheck[] {
  const c = compareSides([base, other]);
  return checkImprovements(
    c.metrics,
    c.sides.map((s) => ({ label: s.label, runs: s.runs.length })),
    goals.map(parseImprovementGoal),
    c.alpha,
  );
}

const BASE = side('base', [
  [1000, 10],
  [1020, 10.4],
  [980, 9.7],
]);

test('goals: [METRIC:]PERCENT, tps by default; every bad value is a usage error naming it', () => {
  assert.deepEqual(parseImprovementGoal('40%'), { metric: 'tps', pct: 40, text: '40%' });
  assert.deepEqual(parseImprovementGoal('p99:30%'), { metric: 'p99', pct: 30, text: 'p99:30%' });
  assert.deepEqual(parseImprovementGoal('P95:12.5'), { metric: 'p95', pct: 12.5, text: 'P95:12.5' });
  for (const [bad, why] of [
    ['fast', /expected \[METRIC:\]PERCENT/],
    ['latency:30%', /unknown metric "latency"/],
    ['0%', /more than 0%/],
    ['p99:100%', /less than 100%/],
    ['-5%', /expected \[METRIC:\]PERCENT/],
    ['tps:', /expected \[METRIC:\]PERCENT/],
  ] as const) {
    assert.throws(
      () => parseImprovementGoal(bad),
      (e: unknown) => e instanceof PgsurgeError && e.exitCode === 2 && e.message.startsWith(`--expect-improvement ${bad}:`) && why.test(e.message),
      bad,
    );
  }
});

test('3 vs 3 runs: met when better by the goal beyond noise, not met when smaller or within noise', () => {
  const faster = side('new', [
    [1500, 6],
    [1520, 6.1],
    [1490, 5.9],
  ]);
  const [met, p99] = check(BASE, faster, ['40%', 'p99:30%']);
  assert.equal(met?.kind, 'met');
  assert.ok(met?.kind === 'met' && met.changePct > 40 && met.pValue < 0.05 && met.n[0] === 3 && met.n[1] === 3);
  assert.equal(p99?.kind, 'met', JSON.stringify(p99));

  const [small] = check(BASE, faster, ['tps:60%']);
  assert.ok(small?.kind === 'not-met' && small.why === 'too-small', JSON.stringify(small));

  // +50% on average, but the runs scatter from 900 to 2200: not beyond run-to-run noise.
  const noisy = side('noisy', [
    [900, 10],
    [2200, 10],
    [1400, 10],
  ]);
  const [within] = check(BASE, noisy, ['40%']);
  assert.ok(within?.kind === 'not-met' && within.why === 'within-noise' && within.pValue >= 0.05, JSON.stringify(within));

  const slower = side('slower', [
    [700, 14],
    [710, 14.2],
    [690, 13.9],
  ]);
  const worse = check(BASE, slower, ['40%', 'p99:10%']);
  assert.deepEqual(
    worse.map((x) => x.kind),
    ['not-met', 'not-met'],
  );
  const text = formatImprovements(worse, 'base', 0.05);
  assert.match(text, /slower vs base: tps -30\.0%, at least \+40% asked: NOT MET: the change is beyond noise but not that large \(3 vs 3 runs, Welch's t/);
  assert.match(text, /slower vs base: p99 \+\d+\.\d%, at least -10% asked: NOT MET/);
});

test('one run a side: no verdict either way, with the change it showed and what to do', () => {
  const one = check(side('old', [[1000, 10]]), side('new', [[1600, 5]]), ['40%', 'p99:30%']);
  assert.deepEqual(
    one.map((x) => x.kind),
    ['one-run', 'one-run'],
  );
  const text = formatImprovements(one, 'old', 0.05);
  assert.match(
    text,
    /new vs old: tps \+60\.0%, at least \+40% asked: NO VERDICT: with 1 vs 1 run the change cannot be told from run-to-run noise; repeat each side/,
  );
  const short = check(side('old', [[1000, 10]]), side('new', [[1100, 10]]), ['40%']);
  assert.equal(short[0]?.kind, 'one-run', 'a one-run shortfall is no verdict either: the next run may differ as much');
});

test('a metric one side did not measure gets no verdict', () => {
  const none: CompareSide = { label: 'none', runs: [1, 2].map((k) => ({ label: `n${k}`, result: run(0, 10) })) };
  const nullP99: CompareSide = {
    label: 'nop99',
    runs: [1, 2].map((k) => {
      const r = run(1000, 10);
      return { label: `x${k}`, result: { ...r, summary: { ...r.summary, latencyMs: { ...r.summary.latencyMs, p99: null } } } };
    }),
  };
  assert.equal(check(BASE, nullP99, ['p99:30%'])[0]?.kind, 'not-measured');
  assert.equal(check(BASE, none, ['40%'])[0]?.kind, 'not-met', 'tps 0 is a measured value: it is worse');
});
