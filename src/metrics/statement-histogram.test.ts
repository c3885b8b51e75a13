import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { decodeBytes, histogramBytes, newHistogram } from './histogram.js';
import { StatementHistogram } from './statement-histogram.js';
import { Aggregator } from './aggregator.js';
import { DENSE_STATEMENTS_MAX, Recorder } from './recorder.js';
import type { MetricsLayout } from './types.js';

test('a statement histogram gives the figures of a full HDR histogram of the same values', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 3_600_000_000 }), { minLength: 1, maxLength: 300 }), (values) => {
      const sparse = new StatementHistogram();
      const full = newHistogram('interval', true);
      for (const v of values) {
        sparse.recordValue(v);
        full.recordValue(v);
      }
      // What the aggregator used to read: the worker's histogram decoded on the main thread.
      const decoded = decodeBytes(histogramBytes(full)!);
      full.destroy();
      assert.equal(sparse.totalCount, decoded.totalCount);
      for (const p of [0, 1, 50, 90, 95, 99, 99.9, 100]) assert.equal(sparse.getValueAtPercentile(p), decoded.getValueAtPercentile(p), `p${p}`);
      assert.equal(sparse.mean, decoded.mean);
      assert.equal(sparse.maxValue, decoded.maxValue);
      // and back to a full histogram, exactly (merging into it, or encoding it for another process)
      const back = new StatementHistogram();
      back.addHistogram(sparse.toHistogram());
      assert.deepEqual([back.totalCount, back.buckets, back.mean, back.maxValue], [sparse.totalCount, sparse.buckets, sparse.mean, sparse.maxValue]);
    }),
    { numRuns: 200 },
  );
});

test('per-statement memory of the recorder and aggregator stays small for a script of 100,000 statements', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const statements = 100_000;
  gc();
  const before = process.memoryUsage();
  const layout: MetricsLayout = { txnTypes: [{ name: 'big.sql', statements: new Array<string>(statements).fill('select 1;') }] };
  const recorder = new Recorder(layout);
  const aggregator = new Aggregator(layout, { workers: 1, intervalMs: 1000 });
  // Three executions of every statement with different latencies, one failed, over two intervals.
  for (let interval = 0; interval < 2; interval++) {
    for (let s = 0; s < statements; s++) {
      recorder.stmt(0, s, 40 + (s % 50), true);
      recorder.stmt(0, s, 2000 + interval * 700, interval === 0 || s % 1000 !== 0);
    }
    recorder.txnOk(0, 0, 0, 5_000_000, 1);
    aggregator.add(recorder.snapshot(0, interval, interval === 1));
  }
  gc();
  const after = process.memoryUsage();
  const st = aggregator.totals().types[0]!.statements;
  assert.equal(st.length, statements);
  assert.equal(st[0]!.latency.totalCount, 3);
  assert.equal(st[0]!.failed, 1);
  assert.equal(st[1]!.latency.totalCount, 4);
  const perStatementKb = (after.heapUsed + after.external - before.heapUsed - before.external) / statements / 1024;
  // A full HDR histogram per statement took 94 KB in the worker and up to 188 KB on the main thread.
  assert.ok(perStatementKb < 2, `${perStatementKb.toFixed(2)} KB per statement`);
  recorder.dispose();
});

test('per-statement totals are the same whether a worker keeps histograms or logs executions', () => {
  const totalsOf = (statements: number): number[][] => {
    const layout: MetricsLayout = { txnTypes: [{ name: 'a', statements: new Array<string>(statements).fill('select 1;') }] };
    const recorder = new Recorder(layout);
    const aggregator = new Aggregator(layout, { workers: 1, intervalMs: 1000 });
    for (let interval = 0; interval < 3; interval++) {
      for (let k = 0; k < 500; k++) recorder.stmt(0, k % 3, 1 + ((k * 7919) % 90_000), k % 17 !== 0);
      aggregator.add(recorder.snapshot(0, interval, interval === 2));
    }
    recorder.dispose();
    return aggregator
      .totals()
      .types[0]!.statements.slice(0, 3)
      .map((s) => [s.failed, s.latency.totalCount, s.latency.mean, s.latency.maxValue, ...[0, 50, 99, 100].map((p) => s.latency.getValueAtPercentile(p))]);
  };
  assert.deepEqual(totalsOf(DENSE_STATEMENTS_MAX + 1), totalsOf(3));
});
