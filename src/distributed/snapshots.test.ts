/**
 * Exactness of the merge path, by property: any workers' snapshots, split into parts in any way,
 * folded per part (SnapshotLog), written to the wire (JSON) and read back, then merged by the
 * aggregator one part per worker, give the same totals and intervals — every count, extreme and
 * percentile — as the aggregator fed every raw snapshot in one process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Recorder } from '../metrics/recorder.js';
import { Aggregator, type Totals } from '../metrics/aggregator.js';
import { FailureIndex, type MetricsLayout } from '../metrics/types.js';
import type { IntervalSnapshot } from '../metrics/snapshot.js';
import { wireSnapshotSchema } from '../report/shard-schema.js';
import { fromWire, SnapshotLog, emptySnapshot } from './snapshots.js';

const layout: MetricsLayout = {
  txnTypes: [
    { name: 'read', statements: ['SELECT 1'] },
    { name: 'write', statements: ['UPDATE a', 'INSERT b'] },
  ],
};

type Event = { kind: 'ok' | 'failed' | 'skip' | 'drop' | 'unfinished'; type: number; us: number; lag: number };

const eventArb: fc.Arbitrary<Event> = fc.record({
  kind: fc.constantFrom('ok', 'ok', 'ok', 'failed', 'skip', 'drop', 'unfinished'),
  type: fc.integer({ min: 0, max: 1 }),
  us: fc.integer({ min: 1, max: 5_000_000 }),
  lag: fc.integer({ min: 0, max: 50_000 }),
});

/** Snapshots of `workers` recorders over `intervals` intervals, events spread by the generator. */
function snapshotsOf(events: Event[][][]): IntervalSnapshot[][] {
  return events.map((perInterval, w) => {
    const r = new Recorder(layout);
    return perInterval.map((evs, i) => {
      for (const e of evs) {
        r.arrival();
        if (e.kind === 'ok') {
          r.txnOk(e.type, 0, e.lag, e.us, 1);
          r.stmt(e.type, 0, e.us, true);
        } else if (e.kind === 'failed') r.txnFailed(e.type, 0, e.lag, e.us, FailureIndex.Timeout, 1, `timeout ${w}`);
        else if (e.kind === 'skip') r.skipped(e.type);
        else if (e.kind === 'drop') r.dropped();
        else r.unfinished(0, e.us);
      }
      return r.snapshot(w, i, i === perInterval.length - 1);
    });
  });
}

function feed(snaps: IntervalSnapshot[][]): Aggregator {
  const agg = new Aggregator(layout, { workers: snaps.length, intervalMs: 1000 });
  const longest = Math.max(...snaps.map((s) => s.length));
  for (let i = 0; i < longest; i++) for (const s of snaps) if (s[i] !== undefined) agg.add(s[i]!);
  agg.finish();
  return agg;
}

/** Totals as comparable data: counters, and every histogram's percentiles and counts. */
function view(t: Totals): unknown {
  const h = (x: { totalCount: number; getValueAtPercentile(p: number): number; maxValue: number }): number[] => [
    x.totalCount,
    ...[1, 50, 90, 99, 99.9, 100].map((p) => x.getValueAtPercentile(p)),
    x.maxValue,
  ];
  return {
    counts: [t.arrivals, t.ok, t.failed, t.skipped, t.dropped, t.unfinished, t.retried, [...t.errors]],
    exact: [t.latencySumUs, t.latencyMinUs, t.latencyMaxUs, t.lagSumUs, t.lagMaxUs, t.unfinishedWaitSumUs, t.unfinishedWaitMinUs, t.unfinishedWaitMaxUs],
    hist: [h(t.latency), h(t.lag), h(t.service), h(t.unfinishedWait)],
    types: t.types.map((x) => [x.ok, x.failed, x.skipped, h(x.latency), x.statements.map((s) => h(s.latency))]),
    // Which message is "first" depends on the order parts arrive in; that one is kept per class is not.
    firstErrors: t.firstErrors.map((m) => m !== null),
  };
}

test('parts folded, sent as JSON and merged give exactly what one process aggregates', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 4 })
        .chain((workers) =>
          fc.tuple(
            fc.array(fc.array(fc.array(eventArb, { maxLength: 12 }), { minLength: 1, maxLength: 4 }), { minLength: workers, maxLength: workers }),
            fc.array(fc.integer({ min: 0, max: 2 }), { minLength: workers, maxLength: workers }),
          ),
        ),
      ([events, partOf]) => {
        const snaps = snapshotsOf(events);
        const whole = feed(snaps);
        const parts = [...new Set(partOf)];
        const merged = parts.map((p) => {
          const log = new SnapshotLog([1, 2]);
          snaps.forEach((s, w) => {
            if (partOf[w] === p) s.forEach((x) => log.add(x));
          });
          const wire = JSON.parse(JSON.stringify(log.wire((i) => emptySnapshot(i, [1, 2], 8)))) as unknown[];
          const checked = wire.map((x) => wireSnapshotSchema.parse(x));
          return checked.map((x, i) => fromWire(x, parts.indexOf(p), i === checked.length - 1));
        });
        const joined = feed(merged);
        assert.deepEqual(view(joined.totals()), view(whole.totals()));
        const strip = (a: Aggregator): unknown => a.intervals().map(({ reports: _r, missingWorkers: _m, ...rest }) => rest);
        assert.deepEqual(strip(joined), strip(whole));
      },
    ),
    { numRuns: 60 },
  );
});
