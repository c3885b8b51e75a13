import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults, compareSides, type CompareSide } from './compare.js';
import { describeRuns, formatP, welchTest } from './compare-stats.js';
import { formatComparison } from './compare-format.js';
import { renderCompareHtml } from './compare-html.js';
import { sampleResult } from './sample.fixture.js';
import type { ResultV1 } from './result.js';
import { configSection } from './html-tables.js';

/** A run with the given run-level TPS and p99 (its intervals alike), so the tests control every value. */
function run(tps: number, p99Ms: number, config: Record<string, unknown> = {}): ResultV1 {
  const base = sampleResult();
  const template = base.intervals[0]!;
  const intervals = Array.from({ length: 10 }, (_, k) => ({
    ...template,
    tS: k,
    durationS: 1,
    tps,
    transactions: Math.round(tps),
    latencyMs: { ...template.latencyMs, p99: p99Ms, p50: p99Ms / 4, max: p99Ms * 2 },
  }));
  return {
    ...base,
    durationS: 10,
    intervals,
    config: { ...base.config, ...config },
    summary: { ...base.summary, tps, latencyMs: { ...base.summary.latencyMs, p99: p99Ms, p50: p99Ms / 4 } },
  };
}

function side(label: string, runs: readonly [number, number][]): CompareSide {
  return { label, runs: runs.map(([tps, p99], k) => ({ label: `${label}${k + 1}`, result: run(tps, p99) })) };
}

test("Welch's t-test: p-values and degrees of freedom as a statistics package computes them", () => {
  // scipy.stats.ttest_ind(a, b, equal_var=False)
  const t1 = welchTest([1000, 1020, 980], [600, 610, 590]);
  assert.equal(t1.kind, 'welch');
  if (t1.kind === 'welch') {
    assert.ok(Math.abs(t1.pValue - 8.5733e-5) < 1e-7, `p = ${t1.pValue}`);
    assert.ok(Math.abs(t1.df - 2.9412) < 1e-3, `df = ${t1.df}`);
  }
  const t2 = welchTest([10.1, 9.8, 10.4, 10.0], [11.2, 10.9, 11.8]);
  assert.ok(t2.kind === 'welch' && Math.abs(t2.pValue - 0.026613) < 1e-5, JSON.stringify(t2));
  assert.deepEqual(welchTest([1000], [600, 610]), { kind: 'too-few-runs', n: [1, 2] });
  const same = welchTest([5, 5, 5], [5, 5, 5]);
  assert.equal(same.kind === 'welch' ? same.pValue : null, 1, 'no spread, equal means');
  assert.deepEqual(describeRuns([3, 1, 2]), { n: 3, mean: 2, sd: 1, median: 2, min: 1, max: 3 });
  assert.equal(formatP(0.004), 'p = 0.004');
  assert.equal(formatP(0.00001), 'p < 0.0001');
});

test('3 vs 3 runs with a clear difference: a regression is called, with what it rests on', () => {
  const c = compareSides(
    [
      side('base', [
        [1000, 10],
        [1020, 10.4],
        [980, 9.7],
      ]),
      side('new', [
        [600, 20],
        [610, 21],
        [590, 19.5],
      ]),
    ],
    { regressionPct: 5 },
  );
  assert.deepEqual(
    c.regressions.map((r) => [r.label, r.metric, r.n]),
    [
      ['new', 'tps', [3, 3]],
      ['new', 'p99', [3, 3]],
    ],
  );
  assert.deepEqual(c.undecided, []);
  const tps = c.metrics.find((m) => m.key === 'tps')!;
  assert.equal(tps.changePct[1], -40);
  assert.equal(tps.beyondNoise[1], true);
  const text = formatComparison(c);
  assert.match(text, /new: tps lower by 40\.0% \(3 vs 3 runs, Welch's t on run means, p [<=] [\d.]+\)/);
  assert.match(text, /^runs\s+3\s+3$/m);
  assert.match(text, /^tps\s+1,000\.0 ±2\.0%\s+600\.0 ±1\.7% \(-40\.0% WORSE\)$/m);
  assert.match(text, /new vs base: 3 vs 3 runs, Welch's t on run means:/);
  // A change beyond noise but under the threshold is not a regression.
  assert.deepEqual(
    compareSides(
      [
        side('a', [
          [1000, 10],
          [1020, 10.4],
          [980, 9.7],
        ]),
        side('b', [
          [600, 20],
          [610, 21],
          [590, 19.5],
        ]),
      ],
      { regressionPct: 150 },
    ).regressions,
    [],
  );
});

test('1 vs 1 run with a huge difference: nothing is called; it cannot be told from noise', () => {
  const c = compareResults([
    { label: 'old', result: run(1000, 10) },
    { label: 'new', result: run(640, 50) },
  ]);
  assert.deepEqual(c.regressions, []);
  assert.deepEqual(c.undecided, ['new']);
  assert.ok(c.metrics.every((m) => m.beyondNoise.every((b) => !b)));
  const text = formatComparison(c);
  assert.match(text, /new vs old: 1 vs 1 run: the differences cannot be told from run-to-run noise with one run a side/);
  assert.match(text, /--repeat/);
  assert.doesNotMatch(text, /% WORSE|% better|^regressions|^no regression/m);
  assert.match(text, /\(-36\.0%\)/, 'the difference itself is still shown');
  // One run on the baseline only: still no verdict, and the message names that side.
  const one = compareSides([
    side('base', [[1000, 10]]),
    side('new', [
      [600, 20],
      [610, 21],
      [590, 19.5],
    ]),
  ]);
  assert.deepEqual(one.undecided, ['new']);
  assert.match(formatComparison(one), /with one run on the baseline side/);
});

test('3 vs 3 runs of the same load: no difference beyond noise, no regression', () => {
  const c = compareSides(
    [
      side('a', [
        [1000, 10],
        [1030, 9.6],
        [970, 10.5],
      ]),
      side('b', [
        [990, 10.2],
        [1025, 9.8],
        [975, 10.3],
      ]),
    ],
    { regressionPct: 0 },
  );
  assert.deepEqual(c.regressions, []);
  assert.deepEqual(c.undecided, []);
  assert.ok(c.metrics.every((m) => m.beyondNoise.every((b) => !b)));
  assert.match(formatComparison(c), /no regression/);
  assert.match(formatComparison(c), /tps\s+-0\.3%\s+within noise \(p = 0\.\d+\)/);
});

test('not comparable: different clients, protocol and transaction types are listed; within a side too', () => {
  const a = run(1000, 10);
  const b = run(1000, 10, { clients: 64, protocol: 'simple' });
  const types = Object.fromEntries(Object.entries(b.transactionTypes).filter(([name]) => name !== 'select-only'));
  const c = compareResults([
    { label: 'A', result: a },
    { label: 'B', result: { ...b, transactionTypes: types } },
  ]);
  assert.equal(c.comparable, false);
  assert.equal(c.workloadDiffers, true);
  const text = c.differences.join('\n');
  assert.match(text, /clients: .* → 64 \(B\)/);
  assert.match(text, /protocol: .* → simple \(B\)/);
  assert.match(text, /transaction types/);
  assert.match(formatComparison(c), /not comparable/);
  const within = compareSides([
    {
      label: 'A',
      runs: [
        { label: 'A1', result: a },
        { label: 'A2', result: run(1000, 10, { clients: 8 }) },
      ],
    },
    { label: 'B', runs: [{ label: 'B1', result: a }] },
  ]);
  assert.equal(within.workloadDiffers, false);
  assert.match(within.differences.join('\n'), /clients: .* → 8 \(A2\)/);
});

test('server settings from the observer (serverFacts.start) are compared; the HTML report lists them', () => {
  const withSettings = (r: ResultV1, settings: Record<string, string>): ResultV1 => ({
    ...r,
    serverFacts: {
      start: {
        hosts: [
          {
            host: '127.0.0.1:5432',
            serverVersion: '17.2',
            serverVersionNum: 170002,
            inRecovery: false,
            maxConnections: 100,
            sharedBuffersBytes: 134217728,
            settings,
            pgStatStatements: false,
            tables: [],
          },
        ],
      },
      end: { hosts: [] },
    },
  });
  const a = withSettings(run(1000, 10), { shared_buffers: '16384 (8kB)', fsync: 'on' });
  const b = withSettings(run(1000, 10), { shared_buffers: '32768 (8kB)', fsync: 'on' });
  const c = compareResults([
    { label: 'A', result: a },
    { label: 'B', result: b },
  ]);
  assert.equal(c.comparable, false);
  assert.match(c.differences.join('\n'), /setting shared_buffers: 16384 \(8kB\) → 32768 \(8kB\) \(B\)/);
  assert.doesNotMatch(c.differences.join('\n'), /fsync/);
  assert.match(configSection(b), /<h3>Server settings<\/h3>.*shared_buffers.*32768/s);
});

test('renderCompareHtml escapes labels, draws one line per run, and says what verdicts rest on', () => {
  const c = compareSides([
    side('<A>', [
      [1000, 10],
      [1020, 10.4],
      [980, 9.7],
    ]),
    side('B&', [
      [600, 20],
      [610, 21],
      [590, 19.5],
    ]),
  ]);
  const html = renderCompareHtml(c);
  assert.ok(!html.includes('<A>'));
  assert.match(html, /&lt;A&gt;/);
  assert.match(html, /B&amp;/);
  assert.match(html, /id="cmp-tps"/);
  assert.match(html, /3 vs 3 runs, Welch&#39;s t on run means|3 vs 3 runs, Welch's t on run means/);
  const single = renderCompareHtml(
    compareResults([
      { label: 'old', result: run(1000, 10) },
      { label: 'new', result: run(600, 20) },
    ]),
  );
  assert.match(single, /cannot be told from run-to-run noise/);
});
