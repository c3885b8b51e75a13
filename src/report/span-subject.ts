/**
 * The figures of a span of a run's intervals as a threshold subject: what `--find-limit` judges a
 * step on while it runs, and what the run's thresholds are judged on afterwards (the step that
 * held), from the result alone so `pgsurge report` agrees.
 *
 * Counts are summed and tps is over the span's seconds. Interval histograms are not kept, so a
 * latency or lag percentile (and max) is the highest of the intervals': a `p95<30ms` holds for the
 * span when it holds in each interval, never less strictly than the merged percentile would. The
 * mean is weighted by transactions; `min` and `p999` are not kept per interval and are n/a.
 */
import type { ThresholdSubject } from '../metrics/thresholds.js';
import { FAILURE_CLASSES, type FailureClass } from '../metrics/types.js';
import type { ServerSample } from './server-schema.js';

type Ms = number | null;

/** The fields of one result interval the subject reads (the result's `intervals[]` has them). */
export interface SpanInterval {
  readonly tS: number;
  readonly durationS: number;
  readonly transactions: number;
  readonly failed: number;
  readonly errors: Readonly<Partial<Record<FailureClass, number>>>;
  readonly skipped: number;
  readonly dropped: number;
  readonly latencyMs: { readonly mean: Ms; readonly p50: Ms; readonly p90: Ms; readonly p95?: Ms | undefined; readonly p99: Ms; readonly max: Ms };
  readonly lagMs: { readonly p50: Ms; readonly p99: Ms; readonly max: Ms };
}

const highest = (values: readonly Ms[]): Ms => values.reduce<Ms>((m, v) => (v === null ? m : m === null ? v : Math.max(m, v)), null);

export function spanSubject(intervals: readonly SpanInterval[], server?: readonly ServerSample[]): ThresholdSubject {
  let transactions = 0;
  let failed = 0;
  let skipped = 0;
  let dropped = 0;
  let seconds = 0;
  let weighted = 0;
  const errors = Object.fromEntries(FAILURE_CLASSES.map((c) => [c, 0])) as Record<FailureClass, number>;
  for (const i of intervals) {
    transactions += i.transactions;
    failed += i.failed;
    skipped += i.skipped;
    dropped += i.dropped;
    seconds += i.durationS;
    if (i.latencyMs.mean !== null) weighted += i.latencyMs.mean * i.transactions;
    for (const c of FAILURE_CLASSES) errors[c] += i.errors[c] ?? 0;
  }
  const of = (pick: (i: SpanInterval) => Ms): Ms => highest(intervals.map(pick));
  const subject: ThresholdSubject = {
    transactions,
    failed,
    dropped,
    skipped,
    unfinished: 0,
    arrivals: transactions + failed + skipped + dropped,
    tps: seconds > 0 ? transactions / seconds : 0,
    latencyMs: {
      min: null,
      mean: transactions > 0 ? weighted / transactions : null,
      p50: of((i) => i.latencyMs.p50),
      p90: of((i) => i.latencyMs.p90),
      p95: of((i) => i.latencyMs.p95 ?? null),
      p99: of((i) => i.latencyMs.p99),
      p999: null,
      max: of((i) => i.latencyMs.max),
    },
    lagMs: { p50: of((i) => i.lagMs.p50), p99: of((i) => i.lagMs.p99), max: of((i) => i.lagMs.max) },
    errors,
  };
  if (server === undefined) return subject;
  // The server samples on the same grid, within the span's time.
  const from = intervals[0]?.tS ?? 0;
  const to = intervals.at(-1)?.tS ?? -1;
  return { ...subject, server: server.filter((s) => s.tS >= from - 1e-9 && s.tS <= to + 1e-9) };
}
