/**
 * Side-by-side comparison of results: headline figures, the relative change of each run against
 * the first (the baseline), whether that change is beyond run-to-run noise (Mann-Whitney U on the
 * per-interval values, compare-stats.ts), regressions, and whether the runs are comparable at all
 * (same workload, scale, clients, protocol, rate, duration, server version and settings).
 */
import { mannWhitneyU, type RankTest } from './compare-stats.js';
import { serverColumns } from './html-server.js';
import { comparabilityDifferences } from './compare-config.js';
import type { ResultV1 } from './result.js';

export interface LabelledResult {
  readonly label: string;
  readonly result: ResultV1;
}

export interface CompareOptions {
  /** Significance level of the noise test (default 0.01). */
  readonly alpha?: number;
  /**
   * A run regresses when TPS is lower or p99 higher than the baseline's beyond noise AND by more
   * than this many percent (default 0: any change beyond noise).
   */
  readonly regressionPct?: number;
}

export type MetricKey = 'tps' | 'p50' | 'p95' | 'p99' | 'max' | 'failed' | 'lagP99' | 'commitsPerS' | 'cacheHitRatio' | 'replLagBytes' | 'serverCpuPct';

export interface MetricRow {
  readonly key: MetricKey;
  readonly label: string;
  readonly better: 'higher' | 'lower';
  /** One per run, in input order; null when not measured. */
  readonly values: readonly (number | null)[];
  /** Relative change vs the baseline, percent; null for the baseline and when not computable. */
  readonly changePct: readonly (number | null)[];
  /** Noise test of each later run's intervals against the baseline's; null where not tested. */
  readonly tests: readonly (RankTest | null)[];
  /** The change is beyond noise (p < alpha). */
  readonly beyondNoise: readonly boolean[];
}

export interface Regression {
  readonly label: string;
  readonly metric: 'tps' | 'p99';
  readonly changePct: number;
  readonly pValue: number;
}

export interface Comparison {
  readonly runs: readonly { readonly label: string; readonly startedAt: string; readonly durationS: number; readonly intervals: number }[];
  readonly metrics: readonly MetricRow[];
  readonly comparable: boolean;
  /** What differs from the baseline, one line each ("clients: 4 → 8 (B)"). */
  readonly differences: readonly string[];
  readonly regressions: readonly Regression[];
  readonly alpha: number;
  readonly regressionPct: number;
  /** The inputs, for the HTML overlays. */
  readonly results: readonly LabelledResult[];
}

type Interval = ResultV1['intervals'][number];

/**
 * Intervals that say something about steady throughput: the last, partial interval is left out
 * (its rate is over a fraction of a step and would look like a dip).
 */
function fullIntervals(r: ResultV1): Interval[] {
  const step = Math.max(...r.intervals.map((i) => i.durationS), 0);
  return r.intervals.filter((i) => i.durationS >= step * 0.9);
}

const nums = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null && Number.isFinite(x));

/** Mean over time of a per-interval figure summed across hosts (by field path). */
function serverFigure(r: ResultV1, match: (path: string) => boolean, agg: 'sum-mean' | 'mean' | 'max'): number | null {
  const { x, columns, fieldOf } = serverColumns(r);
  const cols = [...columns.entries()].filter(([name]) => match(fieldOf.get(name) ?? name)).map(([, c]) => c);
  if (cols.length === 0 || x.length === 0) return null;
  if (agg === 'max') {
    const all = nums(cols.flat());
    return all.length === 0 ? null : Math.max(...all);
  }
  const perT = x.map((_, i) => {
    const vs = nums(cols.map((c) => c[i] ?? null));
    if (vs.length === 0) return null;
    const sum = vs.reduce((a, b) => a + b, 0);
    return agg === 'sum-mean' ? sum : sum / vs.length;
  });
  const vs = nums(perT);
  return vs.length === 0 ? null : Math.round((vs.reduce((a, b) => a + b, 0) / vs.length) * 1000) / 1000;
}

interface MetricDef {
  readonly key: MetricKey;
  readonly label: string;
  readonly better: 'higher' | 'lower';
  readonly value: (r: ResultV1) => number | null;
  /** Per-interval values for the noise test; absent: no test. */
  readonly perInterval?: (i: Interval) => number | null;
}

const METRICS: readonly MetricDef[] = [
  { key: 'tps', label: 'tps', better: 'higher', value: (r) => r.summary.tps, perInterval: (i) => i.tps },
  { key: 'p50', label: 'latency p50 ms', better: 'lower', value: (r) => r.summary.latencyMs.p50, perInterval: (i) => i.latencyMs.p50 },
  { key: 'p95', label: 'latency p95 ms', better: 'lower', value: (r) => r.summary.latencyMs.p95 },
  { key: 'p99', label: 'latency p99 ms', better: 'lower', value: (r) => r.summary.latencyMs.p99, perInterval: (i) => i.latencyMs.p99 },
  { key: 'max', label: 'latency max ms', better: 'lower', value: (r) => r.summary.latencyMs.max, perInterval: (i) => i.latencyMs.max },
  { key: 'failed', label: 'failed', better: 'lower', value: (r) => r.summary.failed, perInterval: (i) => i.failed },
  { key: 'lagP99', label: 'sched. lag p99 ms', better: 'lower', value: (r) => r.summary.lagMs.p99, perInterval: (i) => i.lagMs.p99 },
  { key: 'commitsPerS', label: 'server commits/s', better: 'higher', value: (r) => serverFigure(r, (p) => /commitsPerS$/i.test(p), 'sum-mean') },
  { key: 'cacheHitRatio', label: 'server cache hit ratio', better: 'higher', value: (r) => serverFigure(r, (p) => /cacheHitRatio$/i.test(p), 'mean') },
  { key: 'replLagBytes', label: 'server repl. lag max bytes', better: 'lower', value: (r) => serverFigure(r, (p) => /lag.*bytes$/i.test(p), 'max') },
  { key: 'serverCpuPct', label: 'server CPU % (mean)', better: 'lower', value: (r) => serverFigure(r, (p) => /^process\.cpuPct$/.test(p), 'sum-mean') },
];

function changePct(base: number | null, v: number | null): number | null {
  if (base === null || v === null) return null;
  if (base === 0) return v === 0 ? 0 : null;
  return Math.round(((v - base) / Math.abs(base)) * 100_000) / 1000;
}

export function compareResults(results: readonly LabelledResult[], opts: CompareOptions = {}): Comparison {
  if (results.length < 2) throw new Error('compareResults needs at least two results');
  const alpha = opts.alpha ?? 0.01;
  const regressionPct = opts.regressionPct ?? 0;
  const base = results[0]!;
  const intervals = results.map((r) => fullIntervals(r.result));
  const metrics: MetricRow[] = [];
  for (const m of METRICS) {
    const values = results.map((r) => m.value(r.result));
    // Server figures appear only when some run has them.
    if (values.every((v) => v === null)) continue;
    const baseSeries = m.perInterval === undefined ? null : nums((intervals[0] ?? []).map(m.perInterval));
    const tests = results.map((_, k) => {
      if (k === 0 || m.perInterval === undefined || baseSeries === null) return null;
      return mannWhitneyU(baseSeries, nums((intervals[k] ?? []).map(m.perInterval)));
    });
    metrics.push({
      key: m.key,
      label: m.label,
      better: m.better,
      values,
      changePct: values.map((v, k) => (k === 0 ? null : changePct(values[0] ?? null, v))),
      tests,
      beyondNoise: tests.map((t) => t !== null && t.pValue !== null && t.pValue < alpha),
    });
  }
  const regressions: Regression[] = [];
  for (let k = 1; k < results.length; k++) {
    for (const key of ['tps', 'p99'] as const) {
      const row = metrics.find((m) => m.key === key);
      const test = row?.tests[k];
      const change = row?.changePct[k];
      if (row === undefined || test === null || test === undefined || test.pValue === null || change === null || change === undefined) continue;
      const [mBase, mRun] = test.medians;
      // Worse overall AND worse interval by interval (medians), beyond noise, by more than the threshold.
      const worse =
        key === 'tps'
          ? change < -regressionPct && mBase !== null && mRun !== null && mRun < mBase
          : change > regressionPct && mBase !== null && mRun !== null && mRun > mBase;
      if (worse && row.beyondNoise[k] === true) regressions.push({ label: results[k]!.label, metric: key, changePct: change, pValue: test.pValue });
    }
  }
  const differences = results.slice(1).flatMap((r) => comparabilityDifferences(base.result, r.result, r.label));
  return {
    runs: results.map((r) => ({ label: r.label, startedAt: r.result.startedAt, durationS: r.result.durationS, intervals: r.result.intervals.length })),
    metrics,
    comparable: differences.length === 0,
    differences,
    regressions,
    alpha,
    regressionPct,
    results,
  };
}
