import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Recorder } from './recorder.js';
import { Aggregator } from './aggregator.js';
import { decodeBytes, newHistogram, percentileUs } from './histogram.js';
import { FailureIndex } from './types.js';
import type { MetricsLayout } from './types.js';

const layout: MetricsLayout = {
  txnTypes: [
    { name: 'read', statements: ['SELECT 1'] },
    { name: 'write', statements: ['UPDATE a', 'INSERT b'] },
  ],
};

/** Deterministic pseudo-random latencies spread over several decades. */
function* latencies(n: number, seed = 7): Generator<number> {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    yield 100 + (x % 50_000) * ((x >> 16) % 3 === 0 ? 10 : 1);
  }
}

test('counting rule: arrivals = ok + failed + skipped + dropped + unfinished, through recorder → snapshot → aggregator', () => {
  const w0 = new Recorder(layout);
  const w1 = new Recorder(layout);
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  // worker 0: 5 arrivals → 3 ok (one retried twice), 1 failed (deadlock after 2 tries), 1 skipped
  for (let i = 0; i < 5; i++) w0.arrival();
  w0.txnOk(0, 0, 10, 500, 1);
  w0.txnOk(1, 0, 10, 900, 3);
  w0.txnOk(0, 0, 10, 700, 1);
  w0.txnFailed(1, 0, 10, 800, FailureIndex.Deadlock, 2, 'deadlock detected');
  w0.skipped(1);
  // worker 1: 6 arrivals → 1 ok, 1 failed (connection), 2 dropped, 2 unfinished at the end
  for (let i = 0; i < 6; i++) w1.arrival();
  w1.txnOk(0, 0, 5, 300, 1);
  w1.txnFailed(0, 0, 5, 50, FailureIndex.Connection, 1, 'Connection terminated');
  w1.dropped();
  w1.dropped();
  w1.unfinished(0, 1000);
  w1.unfinished(0, 1000);
  agg.add(w0.snapshot(0, 0, false));
  agg.add(w1.snapshot(1, 0, false));
  agg.add(w0.snapshot(0, 1, true));
  agg.add(w1.snapshot(1, 1, true));
  const t = agg.totals();
  assert.equal(t.arrivals, 11);
  assert.equal(t.ok, 4);
  assert.equal(t.failed, 2);
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished);
  assert.equal(t.errors[FailureIndex.Deadlock], 1);
  assert.equal(t.errors[FailureIndex.Connection], 1);
  assert.equal(t.retried, 2);
  assert.equal(t.retries, 3);
  assert.equal(t.firstErrors[FailureIndex.Deadlock], 'deadlock detected');
  assert.equal(t.firstErrors[FailureIndex.Serialization], null);
  assert.equal(t.types[1]!.skipped, 1);
  assert.equal(t.types[0]!.ok, 3);
  // failed transactions are not in the latency histograms (successes only, as pgbench)
  assert.equal(t.latency.totalCount, 4);
  assert.equal(agg.intervals().length, 2);
});

test('percentiles after merging 2 workers equal those of one histogram fed everything', () => {
  const a = new Recorder(layout);
  const b = new Recorder(layout);
  const reference = newHistogram('total');
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  let i = 0;
  for (const us of latencies(20_000)) {
    (i++ % 3 === 0 ? a : b).txnOk(0, 1_000_000, 1_000_000, 1_000_000 + us, 1);
    reference.recordValue(us);
  }
  const stats = [...agg.add(a.snapshot(0, 0, true)), ...agg.add(b.snapshot(1, 0, true))];
  assert.equal(stats.length, 1);
  const merged = agg.totals().latency;
  assert.equal(merged.totalCount, 20_000);
  for (const p of [50, 90, 95, 99, 99.9]) {
    assert.equal(percentileUs(merged, p), percentileUs(reference, p), `p${p}`);
  }
  assert.equal(stats[0]!.latencyMs.p99, percentileUs(reference, 99, agg.totals().latencyMaxUs) / 1000);
});

test('intervals are emitted in order once all workers reported, and empty intervals are still emitted', () => {
  const a = new Recorder(layout);
  const b = new Recorder(layout);
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 500 });
  a.txnOk(0, 0, 0, 1000, 1);
  assert.deepEqual(agg.add(a.snapshot(0, 0, false)), []); // worker 1 has not reported yet
  const first = agg.add(b.snapshot(1, 0, false));
  assert.deepEqual(
    first.map((s) => s.index),
    [0],
  );
  assert.equal(first[0]!.tps, 2); // 1 ok in 0.5 s
  // interval 1: nobody completes anything; interval 2 skipped entirely by both workers
  agg.add(a.snapshot(0, 1, false));
  const second = agg.add(b.snapshot(1, 1, false));
  assert.equal(second.length, 1);
  assert.equal(second[0]!.ok, 0);
  assert.equal(second[0]!.latencyMs.p50, null);
  assert.equal(second[0]!.tS, 0.5);
  b.txnOk(0, 0, 0, 2000, 1);
  agg.add(b.snapshot(1, 3, true));
  const rest = agg.add(a.snapshot(0, 3, true));
  assert.deepEqual(
    rest.map((s) => s.index),
    [2, 3],
  );
  assert.equal(rest[0]!.reports, 0);
  assert.equal(rest[1]!.ok, 1);
  assert.deepEqual(
    agg.intervals().map((s) => s.tS),
    [0, 0.5, 1, 1.5],
  );
});

test('finish() flushes intervals a dead worker never completed', () => {
  const a = new Recorder(layout);
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  a.txnOk(0, 0, 0, 10, 1);
  agg.add(a.snapshot(0, 0, false));
  a.txnOk(0, 0, 0, 10, 1);
  assert.deepEqual(agg.add(a.snapshot(0, 1, false)), []);
  const flushed = agg.finish();
  assert.deepEqual(
    flushed.map((s) => [s.index, s.ok, s.reports]),
    [
      [0, 1, 1],
      [1, 1, 1],
    ],
  );
  assert.equal(agg.totals().ok, 2);
});

test('latency is end − scheduled, lag is sent − scheduled (no coordinated omission)', () => {
  const r = new Recorder(layout);
  const agg = new Aggregator(layout, { workers: 1, intervalMs: 1000 });
  // scheduled at 0, sent at 2 s (the server stalled), ended at 2.001 s
  r.txnOk(0, 0, 2_000_000, 2_001_000, 1);
  const [s] = agg.add(r.snapshot(0, 0, true));
  assert.ok(s !== undefined);
  assert.ok(Math.abs(s.latencyMs.p50! - 2001) <= 2001 * 0.001, `latency ${s.latencyMs.p50}`);
  assert.ok(Math.abs(s.lagMs.p50! - 2000) <= 2000 * 0.001, `lag ${s.lagMs.p50}`);
  assert.equal(s.latencyMs.max, 2001); // exact
  assert.equal(s.lagMs.max, 2000);
  const t = agg.totals();
  assert.equal(t.serviceSumUs, 1000);
});

test('snapshot resets the interval; values outside 1 µs..1 h are clamped, not thrown', () => {
  const r = new Recorder(layout);
  r.txnOk(0, 0, -5, 10 * 3_600_000_000, 1); // 10 h, negative lag
  r.stmt(1, 1, 1234, true);
  r.stmt(1, 0, 99, false);
  r.connect(2500);
  const s1 = r.snapshot(0, 0, false);
  assert.equal(s1.types[0]!.ok, 1);
  assert.equal(s1.types[0]!.latencyMaxUs, 3_600_000_000);
  assert.equal(s1.types[0]!.lagMaxUs, 0);
  // Only statements that ended are in the snapshot, by index.
  assert.deepEqual(
    s1.types[1]!.statements.map((x) => [x.index, x.failed, x.latency !== null]),
    [
      [0, 1, false],
      [1, 0, true],
    ],
  );
  assert.equal(s1.statementLog, null);
  assert.equal(s1.connects, 1);
  const s2 = r.snapshot(0, 1, false);
  assert.equal(s2.types[0]!.ok, 0);
  assert.equal(s2.types[0]!.latency, null);
  assert.equal(s2.connects, 0);
  assert.equal(s2.connect, null);
  assert.deepEqual(s2.types[1]!.statements, []);
  assert.deepEqual(structuredClone(s1), s1); // plain, cloneable data
});

test('discard() drops warm-up data but keeps connection set-up times', () => {
  const r = new Recorder(layout);
  r.connect(1000);
  r.arrival();
  r.txnOk(0, 0, 0, 10, 1);
  r.discard();
  const s = r.snapshot(0, 0, false);
  assert.equal(s.arrivals, 0);
  assert.equal(s.types[0]!.ok, 0);
  assert.equal(s.connects, 1);
  assert.ok(s.connect !== null && decodeBytes(s.connect).totalCount === 1, 'the connect-time histogram is kept');
});

test('a lost worker does not hold the intervals back: they go on from the others, each marked as lacking it', () => {
  const a = new Recorder(layout);
  const b = new Recorder(layout);
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  a.txnOk(0, 0, 0, 10, 1);
  b.txnOk(0, 0, 0, 10, 1);
  agg.add(a.snapshot(0, 0, false));
  assert.equal(agg.add(b.snapshot(1, 0, false)).length, 1);
  // Worker 1 stops reporting (stuck); worker 0 goes on.
  a.txnOk(0, 0, 0, 10, 1);
  assert.deepEqual(agg.add(a.snapshot(0, 1, false)), []);
  const onLoss = agg.workerLost(1);
  assert.deepEqual(
    onLoss.map((s) => [s.index, s.ok, s.missingWorkers]),
    [[1, 1, 1]],
  );
  a.txnOk(0, 0, 0, 10, 1);
  const next = agg.add(a.snapshot(0, 2, false));
  assert.deepEqual(
    next.map((s) => [s.index, s.ok, s.missingWorkers]),
    [[2, 1, 1]],
  );
  assert.equal(agg.intervals()[0]!.missingWorkers, 0);
});

test('emitDue() emits overdue intervals without a stuck worker; its late snapshot still counts in the totals', () => {
  const a = new Recorder(layout);
  const b = new Recorder(layout);
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  a.txnOk(0, 0, 0, 10, 1);
  assert.deepEqual(agg.add(a.snapshot(0, 0, false)), []);
  a.txnOk(0, 0, 0, 10, 1);
  agg.add(a.snapshot(0, 1, false));
  const due = agg.emitDue(0);
  assert.deepEqual(
    due.map((s) => [s.index, s.ok, s.missingWorkers]),
    [[0, 1, 1]],
  );
  // Worker 1 comes back: its interval 0 is already out (totals only); interval 1 waited for it.
  b.txnOk(0, 0, 0, 10, 1);
  assert.deepEqual(agg.add(b.snapshot(1, 0, false)), []);
  b.txnOk(0, 0, 0, 10, 1);
  const back = agg.add(b.snapshot(1, 1, false));
  assert.deepEqual(
    back.map((s) => [s.index, s.ok, s.missingWorkers]),
    [[1, 2, 0]],
  );
  assert.equal(agg.totals().ok, 4);
});

test("per-type intervals: each type's counts, failures and percentiles, merged exactly over two workers; interval reuse does not leak", () => {
  const a = new Recorder(layout);
  const b = new Recorder(layout);
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  const refs = [newHistogram('total'), newHistogram('total')];
  const maxUs = [0, 0];
  let i = 0;
  for (const us of latencies(9_000, 11)) {
    const type = i % 3 === 0 ? 1 : 0;
    (i++ % 2 === 0 ? a : b).txnOk(type, 0, 0, us, 1);
    refs[type]!.recordValue(us);
    maxUs[type] = Math.max(maxUs[type]!, us);
  }
  a.txnFailed(1, 0, 0, 10, FailureIndex.Serialization, 1, 'could not serialize');
  b.txnFailed(1, 0, 0, 10, FailureIndex.Serialization, 1, 'could not serialize');
  b.txnFailed(0, 0, 0, 10, FailureIndex.Timeout, 1, 'statement timeout');
  agg.add(a.snapshot(0, 0, false));
  const [s0] = agg.add(b.snapshot(1, 0, false));
  assert.ok(s0 !== undefined);
  assert.deepEqual(
    s0.types.map((t) => [t.name, t.ok, t.failed]),
    [
      ['read', 6_000, 1],
      ['write', 3_000, 2],
    ],
  );
  assert.equal(s0.types[1]!.errors[FailureIndex.Serialization], 2);
  assert.equal(s0.types[0]!.errors[FailureIndex.Timeout], 1);
  assert.equal(s0.types[0]!.tps, 6_000);
  for (const t of [0, 1]) {
    for (const p of [50, 90, 95, 99] as const) {
      assert.equal(s0.types[t]!.latencyMs[`p${p}`], percentileUs(refs[t]!, p, maxUs[t]) / 1000, `type ${t} p${p}`);
    }
    assert.equal(s0.types[t]!.latencyMs.max, maxUs[t]! / 1000);
  }
  assert.equal(s0.ok, s0.types[0]!.ok + s0.types[1]!.ok, 'the types add up to the interval');
  // The next interval reuses the pooled buffers: only its own transaction shows.
  a.txnOk(1, 0, 0, 777, 1);
  agg.add(a.snapshot(0, 1, true));
  const [s1] = agg.add(b.snapshot(1, 1, true));
  assert.deepEqual(
    s1!.types.map((t) => [t.ok, t.failed, t.latencyMs.max]),
    [
      [0, 0, null],
      [1, 0, 0.777],
    ],
  );
});

test("a single type's interval figures are the interval's own", () => {
  const one: MetricsLayout = { txnTypes: [{ name: 'only', statements: ['SELECT 1'] }] };
  const w = new Recorder(one);
  const agg = new Aggregator(one, { workers: 1, intervalMs: 1000 });
  let n = 0;
  for (const us of latencies(500)) {
    w.txnOk(0, 0, 0, us, 1);
    n++;
  }
  w.txnFailed(0, 0, 0, 10, FailureIndex.Other, 1, 'boom');
  const [s] = agg.add(w.snapshot(0, 0, true));
  assert.deepEqual(s!.types, [{ name: 'only', ok: n, failed: 1, errors: s!.errors, tps: s!.tps, latencyMs: s!.latencyMs }]);
});
