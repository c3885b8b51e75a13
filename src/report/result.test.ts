import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHistogram } from '../metrics/histogram.js';
import { resultV1Schema } from './result.js';
import { formatSummary } from './summary.js';
import { sampleResult } from './sample.fixture.js';

test('the result validates against the v1 schema and names every field of DESIGN.md', () => {
  const r = sampleResult();
  const parsed = resultV1Schema.parse(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(parsed, r);
  for (const k of [
    'schema',
    'tool',
    'startedAt',
    'durationS',
    'target',
    'config',
    'summary',
    'transactionTypes',
    'intervals',
    'server',
    'thresholds',
    'histograms',
  ]) {
    assert.ok(k in r, k);
  }
  for (const k of ['transactions', 'failed', 'retried', 'skipped', 'dropped', 'unfinished', 'tps', 'latencyMs', 'lagMs', 'errors']) {
    assert.ok(k in r.summary, `summary.${k}`);
    assert.ok(k in r.transactionTypes['tpcb-like']!, `transactionTypes.*.${k}`);
  }
  assert.deepEqual(Object.keys(r.summary.latencyMs).sort(), ['max', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'p999']);
  for (const k of ['p50', 'p99', 'max']) assert.ok(k in r.summary.lagMs, `lagMs.${k}`);
  for (const k of ['sql', 'latencyMs', 'failed']) assert.ok(k in r.transactionTypes['tpcb-like']!.statements[0]!, `statements.${k}`);
  for (const k of ['tS', 'tps', 'latencyMs', 'failed', 'errors']) assert.ok(k in r.intervals[0]!, `intervals.${k}`);
  for (const k of ['p50', 'p90', 'p99', 'max']) assert.ok(k in r.intervals[0]!.latencyMs, `intervals.latencyMs.${k}`);
  assert.equal(r.schema, 'pgsurge.result/v1');
  assert.equal(r.startedAt, '2025-01-02T03:04:05.000Z');
});

test('summary numbers: counts, tps over the measured phase, latency from the schedule', () => {
  const r = sampleResult();
  const s = r.summary;
  assert.equal(s.transactions, 500);
  assert.equal(s.failed, 6);
  assert.equal(s.errors.serialization, 6);
  assert.equal(s.errors.deadlock, 0);
  assert.equal(s.dropped, 1);
  assert.equal(s.arrivals, s.transactions + s.failed + s.skipped + s.dropped + s.unfinished);
  assert.equal(s.tps, 200); // 500 / 2.5 s
  assert.equal(s.retried, 6 + 6); // 6 failed after 3 tries + one ok with 2 tries per worker-interval
  assert.equal(s.retries, 6 * 2 + 6);
  assert.equal(s.latencyMs.min, 1);
  assert.equal(s.latencyMs.max, 10);
  assert.equal(s.latencyMs.mean, 5.5);
  assert.equal(s.lagMs.max, 0.2);
  assert.equal(s.firstErrors.serialization, 'could not serialize access due to concurrent update');
  assert.equal(s.connects, 2);
  assert.ok(Math.abs(s.connectMs.max! - 3) <= 0.003, 'connect max within HDR precision');
  // i % 4 === 0 of 100, 100 and 50 per worker: (25 + 25 + 13) × 2
  assert.equal(r.transactionTypes['select-only']!.transactions, 126);
  assert.equal(r.transactionTypes['select-only']!.statements[0]!.count, 126);
  // the last interval covers 0.5 s: its rate is over what it covered
  assert.deepEqual(
    r.intervals.map((i) => [i.tS, i.durationS, i.tps]),
    [
      [0, 1, 200],
      [1, 1, 200],
      [2, 0.5, 200],
    ],
  );
  assert.deepEqual(r.intervals[0]!.errors, { serialization: 2 });
  // the stored histogram decodes to the type's successful transactions
  assert.equal(decodeHistogram(r.histograms['tpcb-like']!).totalCount, 374);
  assert.deepEqual(
    r.thresholds.map((t) => [t.expr, t.ok]),
    [
      ['p95<30ms', true],
      ['tps>=8000', false],
      ['errors<1%', false],
      ['lag.p99<5ms', true],
      ['dropped=0', false],
    ],
  );
});

test('formatSummary shows the key lines with the right numbers', () => {
  const text = formatSummary(sampleResult(), { perStatement: true });
  assert.match(text, /^transactions: +500 ok, 200\.0 tps mean, 200\.0 tps peak \(best 1 s interval, at 0\.0 s\)$/m);
  assert.match(text, /^failed: +6 \(1\.186%\) +\(serialization 6\)$/m);
  assert.match(text, /^latency ms: +min 1\.000 +mean 5\.500 +p50 \S+ +p90 \S+ +p95 \S+ +p99 \S+ +p99\.9 \S+ +max 10\.000$/m);
  assert.match(text, /^sched\. lag ms: .*max 0\.200$/m);
  assert.match(text, /first serialization: +could not serialize access/);
  assert.match(text, /^retried: +12 transactions, 18 retries$/m);
  assert.match(text, /dropped 1, unfinished 0 \(of 507 arrivals\)/);
  assert.match(text, /transaction type "select-only" \(24\.901% of completed\)/);
  assert.match(text, /statement latencies \(ms\):/);
  assert.match(text, /0\.800 +0\.800 +0\.800 +374 +0 +UPDATE pgbench_accounts SET abalance/);
  assert.match(text, /^ {2}✓ p95<30ms {2}\(actual [\d.]+ms\)$/m);
  assert.match(text, /^ {2}✗ tps>=8000 {2}\(actual 200\)$/m);
});

test("intervals carry each type's figures when more than one type runs; a result without them still reads", () => {
  const r = sampleResult();
  const first = r.intervals[0]!;
  assert.deepEqual(Object.keys(first.types ?? {}), ['tpcb-like', 'select-only']);
  const tpcb = first.types!['tpcb-like']!;
  const sel = first.types!['select-only']!;
  assert.equal(tpcb.transactions + sel.transactions, first.transactions);
  assert.equal(tpcb.failed + sel.failed, first.failed);
  assert.deepEqual(tpcb.errors, first.errors, 'only tpcb-like failed');
  assert.deepEqual(sel.errors, {});
  assert.equal(sel.transactions, 50);
  assert.equal(sel.tps, 50);
  assert.ok(tpcb.latencyMs.p99 !== null && tpcb.latencyMs.p99 <= first.latencyMs.max!);
  // An older result: no per-type intervals.
  const old = JSON.parse(JSON.stringify(r)) as { intervals: Record<string, unknown>[] };
  for (const i of old.intervals) delete i.types;
  const parsed = resultV1Schema.parse(old);
  assert.equal(parsed.intervals[0]!.types, undefined);
  assert.equal(formatSummary(parsed), formatSummary(r), 'the summary does not depend on them');
});
