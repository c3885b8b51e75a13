import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResults } from './compare.js';
import { mannWhitneyU, normalCdf } from './compare-stats.js';
import { formatComparison } from './compare-format.js';
import { renderCompareHtml } from './compare-html.js';
import { sampleResult } from './sample.fixture.js';
import type { ResultV1 } from './result.js';
import { configSection } from './html-tables.js';

/** Deterministic noise: a small LCG, so the tests never flake. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** A result whose 30 intervals scatter ±10 % around the given tps and p99. */
function run(tps: number, p99Ms: number, seed: number, config: Record<string, unknown> = {}): ResultV1 {
  const base = sampleResult();
  const rnd = lcg(seed);
  const template = base.intervals[0]!;
  const intervals = Array.from({ length: 30 }, (_, k) => {
    const t = tps * (0.9 + 0.2 * rnd());
    const p = p99Ms * (0.9 + 0.2 * rnd());
    return { ...template, tS: k, durationS: 1, tps: t, transactions: Math.round(t), latencyMs: { ...template.latencyMs, p99: p, p50: p / 4, max: p * 2 } };
  });
  return {
    ...base,
    durationS: 30,
    intervals,
    config: { ...base.config, ...config },
    summary: { ...base.summary, tps, latencyMs: { ...base.summary.latencyMs, p99: p99Ms } },
  };
}

test('Mann-Whitney U: identical samples give p = 1, separated samples a tiny p', () => {
  assert.ok((mannWhitneyU([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]).pValue ?? 0) > 0.99);
  const p = mannWhitneyU([1, 2, 3, 4, 5, 6, 7, 8], [11, 12, 13, 14, 15, 16, 17, 18]).pValue;
  assert.ok(p !== null && p < 0.001, `p = ${p}`);
  assert.equal(mannWhitneyU([1, 2], [3, 4]).pValue, null, 'too few intervals: no verdict');
  assert.ok(Math.abs(normalCdf(1.96) - 0.975) < 1e-4);
});

test('identical runs: no regression flagged, nothing beyond noise', () => {
  const a = run(1000, 10, 1);
  const c = compareResults(
    [
      { label: 'A', result: a },
      { label: 'B', result: a },
    ],
    { regressionPct: 0 },
  );
  assert.deepEqual(c.regressions, []);
  assert.ok(c.comparable);
  assert.ok(c.metrics.every((m) => m.beyondNoise.every((b) => !b)));
});

test('two runs of the same load with different noise: no regression at 5 %', () => {
  const c = compareResults(
    [
      { label: 'A', result: run(1000, 10, 1) },
      { label: 'B', result: run(1000, 10, 2) },
    ],
    { regressionPct: 5 },
  );
  assert.deepEqual(c.regressions, []);
});

test('a clearly slower run is flagged on tps and p99; a faster one is not', () => {
  const c = compareResults(
    [
      { label: 'fast', result: run(1000, 10, 1) },
      { label: 'slow', result: run(600, 20, 2) },
      { label: 'faster', result: run(1400, 6, 3) },
    ],
    { regressionPct: 5 },
  );
  assert.deepEqual(
    c.regressions.map((r) => [r.label, r.metric]),
    [
      ['slow', 'tps'],
      ['slow', 'p99'],
    ],
  );
  const tps = c.metrics.find((m) => m.key === 'tps')!;
  assert.equal(tps.changePct[1], -40);
  assert.equal(tps.beyondNoise[1], true);
  assert.equal(tps.beyondNoise[2], true);
  const text = formatComparison(c);
  assert.match(text, /slow: tps lower by 40\.0%/);
  assert.match(text, /WORSE/);
  // A change beyond noise but under the threshold (-40 % tps, +100 % p99) is not a regression.
  const small = compareResults(
    [
      { label: 'A', result: run(1000, 10, 1) },
      { label: 'B', result: run(600, 20, 2) },
    ],
    { regressionPct: 150 },
  );
  assert.deepEqual(small.regressions, []);
});

test('not comparable: different clients, protocol and transaction types are listed', () => {
  const a = run(1000, 10, 1);
  const b = run(1000, 10, 2, { clients: 64, protocol: 'simple' });
  const types = Object.fromEntries(Object.entries(b.transactionTypes).filter(([name]) => name !== 'select-only'));
  const c = compareResults([
    { label: 'A', result: a },
    { label: 'B', result: { ...b, transactionTypes: types } },
  ]);
  assert.equal(c.comparable, false);
  const text = c.differences.join('\n');
  assert.match(text, /clients: .* → 64 \(B\)/);
  assert.match(text, /protocol: .* → simple \(B\)/);
  assert.match(text, /transaction types/);
  assert.match(formatComparison(c), /not comparable/);
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
  const a = withSettings(run(1000, 10, 1), { shared_buffers: '16384 (8kB)', fsync: 'on' });
  const b = withSettings(run(1000, 10, 2), { shared_buffers: '32768 (8kB)', fsync: 'on' });
  const c = compareResults([
    { label: 'A', result: a },
    { label: 'B', result: b },
  ]);
  assert.equal(c.comparable, false);
  assert.match(c.differences.join('\n'), /setting shared_buffers: 16384 \(8kB\) → 32768 \(8kB\) \(B\)/);
  assert.doesNotMatch(c.differences.join('\n'), /fsync/);
  assert.match(configSection(b), /<h3>Server settings<\/h3>.*shared_buffers.*32768/s);
});

test('renderCompareHtml escapes labels and embeds one series per run', () => {
  const c = compareResults([
    { label: '<A>', result: run(1000, 10, 1) },
    { label: 'B&', result: run(900, 11, 2) },
  ]);
  const html = renderCompareHtml(c);
  assert.ok(!html.includes('<A>'));
  assert.match(html, /&lt;A&gt;/);
  assert.match(html, /B&amp;/);
  assert.match(html, /id="cmp-tps"/);
});
