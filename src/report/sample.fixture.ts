/**
 * A small, deterministic result for report tests (summary, CSV): a 2.5 s, 2-worker open-loop run
 * built through the real Recorder → Aggregator → buildResult path. Test support only.
 */
import { Recorder } from '../metrics/recorder.js';
import { Aggregator } from '../metrics/aggregator.js';
import { FailureIndex } from '../metrics/types.js';
import type { MetricsLayout } from '../metrics/types.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { buildResult } from './result.js';
import type { ResultV1 } from './result.js';

const layout: MetricsLayout = {
  txnTypes: [
    { name: 'tpcb-like', statements: ['UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid', 'END'] },
    { name: 'select-only', statements: ['SELECT abalance FROM pgbench_accounts WHERE aid = :aid'] },
  ],
};

/** A small 2.5 s, 2-worker run: 1 ms .. 10 ms latencies, a few failures, open loop. */
export function sampleResult(): ResultV1 {
  const workers = [new Recorder(layout), new Recorder(layout)];
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  workers.forEach((w) => w.connect(3000));
  for (let interval = 0; interval < 3; interval++) {
    workers.forEach((w, wi) => {
      const n = interval === 2 ? 50 : 100; // last interval is half long
      for (let i = 0; i < n; i++) {
        w.arrival();
        const sched = interval * 1_000_000 + i * 10_000;
        const type = i % 4 === 0 ? 1 : 0;
        w.txnOk(type, sched, sched + 200, sched + 1000 + (i % 10) * 1000, i === 7 ? 2 : 1);
        w.stmt(type, 0, 800, true);
      }
      w.arrival();
      w.txnFailed(0, 0, 0, 0, FailureIndex.Serialization, 3, 'could not serialize access due to concurrent update');
      if (wi === 1 && interval === 2) {
        w.arrival();
        w.dropped();
      }
    });
    for (const [wi, w] of workers.entries()) agg.add(w.snapshot(wi, interval, interval === 2));
  }
  return buildResult({
    tool: { name: 'pgsurge', version: '0.1.0' },
    startedAt: new Date('2025-01-02T03:04:05.000Z'),
    durationS: 2.5,
    target: { serverVersion: '17.2', hosts: ['127.0.0.1:5432'] },
    config: { rate: 200, clients: 4 },
    totals: agg.totals(),
    intervals: agg.intervals(),
    thresholds: ['p95<30ms', 'tps>=8000', 'errors<1%', 'lag.p99<5ms', 'dropped=0'].map(parseThreshold),
    server: [],
  });
}
