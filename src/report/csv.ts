/**
 * Intervals as CSV: one header row, one row per interval, columns in a fixed order (new columns
 * are only ever appended, so scripts that pick columns by position keep working).
 * Times in the column names' units; an unmeasured latency (no success in the interval) is an
 * empty cell, never 0. Failure classes get one column each, in FAILURE_CLASSES order.
 */
import { FAILURE_CLASSES } from '../metrics/types.js';
import type { ResultV1 } from './result.js';

type Interval = ResultV1['intervals'][number];

const COLUMNS: readonly (readonly [string, (i: Interval) => number | null])[] = [
  ['t_s', (i) => i.tS],
  ['duration_s', (i) => i.durationS],
  ['transactions', (i) => i.transactions],
  ['tps', (i) => i.tps],
  ['latency_mean_ms', (i) => i.latencyMs.mean],
  ['latency_p50_ms', (i) => i.latencyMs.p50],
  ['latency_p90_ms', (i) => i.latencyMs.p90],
  ['latency_p99_ms', (i) => i.latencyMs.p99],
  ['latency_max_ms', (i) => i.latencyMs.max],
  ['lag_p50_ms', (i) => i.lagMs.p50],
  ['lag_p99_ms', (i) => i.lagMs.p99],
  ['lag_max_ms', (i) => i.lagMs.max],
  ['failed', (i) => i.failed],
  ['retried', (i) => i.retried],
  ['skipped', (i) => i.skipped],
  ['dropped', (i) => i.dropped],
  ...FAILURE_CLASSES.map((c) => [`errors_${c}`, (i: Interval) => i.errors[c] ?? 0] as const),
  // Appended (not beside p90) so that columns keep their positions; empty in results of older versions.
  ['latency_p95_ms', (i) => i.latencyMs.p95 ?? null],
];

export const INTERVALS_CSV_HEADER = COLUMNS.map(([name]) => name).join(',');

export function formatIntervalsCsv(result: ResultV1): string {
  const rows = result.intervals.map((i) => COLUMNS.map(([, get]) => cell(get(i))).join(','));
  return `${[INTERVALS_CSV_HEADER, ...rows].join('\n')}\n`;
}

function cell(v: number | null): string {
  return v === null ? '' : String(v);
}
