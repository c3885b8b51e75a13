/**
 * Side-by-side comparison of sets of runs: each side is one or more runs of one configuration,
 * the first side is the baseline. For each figure: every side's mean over its runs with their
 * spread, the relative change against the baseline, and — only where each side has at least two
 * runs — whether that change is beyond run-to-run noise (Welch's t-test on the run-level values,
 * compare-stats.ts). With one run on a side nothing is called a regression or an improvement:
 * one run says nothing about how much the next would differ. Also lists what makes the runs not
 * comparable (workload, scale, clients, protocol, rate, duration, server version and settings).
 */
import { describeRuns, MIN_RUNS, welchTest, type RunSpread, type SideTest } from './compare-stats.js';
import { serverColumns } from './html-server.js';
import { comparabilityDifferences, differsInWorkload } from './compare-config.js';
import type { ResultV1 } from './result.js';

export interface LabelledResult {
  readonly label: string;
  readonly result: ResultV1;
}

/** One side of a comparison: runs of one configuration (repetitions), in input order. */
export interface CompareSide {
  readonly label: string;
  readonly runs: readonly LabelledResult[];
}

export interface CompareOptions {
  /** Significance level of the test between runs (default 0.05). */
  readonly alpha?: number;
  /**
   * A side regresses when its mean TPS is lower or mean p99 higher than the baseline's beyond
   * noise AND by more than this many percent (default 0: any change beyond noise).
   */
  readonly regressionPct?: number;
}

export type MetricKey =
  'tps' | 'p50' | 'p95' | 'p99' | 'errorRatePct' | 'max' | 'lagP99' | 'commitsPerS' | 'cacheHitRatio' | 'replLagBytes' | 'serverCpuPct' | 'rtoS' | 'lostWrites';

export interface MetricRow {
  readonly key: MetricKey;
  readonly label: string;
  readonly better: 'higher' | 'lower';
  /** Changes of this figure get a verdict when the runs allow one; the others are description only. */
  readonly tested: boolean;
  /** Per side: its runs' values described (mean, sd, min, max); null when no run has one. */
  readonly spreads: readonly (RunSpread | null)[];
  /** Per side, the figure shown: the mean over its runs; null when not measured. */
  readonly values: readonly (number | null)[];
  /** Relative change of each side's mean vs the baseline's, percent; null for the baseline and when not computable. */
  readonly changePct: readonly (number | null)[];
  /** Test of each later side against the baseline; null for the baseline and untested figures. */
  readonly tests: readonly (SideTest | null)[];
  /** The change is beyond run-to-run noise (a test was possible and p < alpha). */
  readonly beyondNoise: readonly boolean[];
}

export interface Regression {
  readonly label: string;
  readonly metric: 'tps' | 'p99';
  readonly changePct: number;
  readonly pValue: number;
  /** Runs of the baseline and of this side. */
  readonly n: readonly [number, number];
}

export interface SideInfo {
  readonly label: string;
  readonly runs: readonly { readonly label: string; readonly startedAt: string; readonly durationS: number; readonly intervals: number }[];
}

export interface Comparison {
  readonly sides: readonly SideInfo[];
  readonly metrics: readonly MetricRow[];
  readonly comparable: boolean;
  /** What differs from the baseline (or, within a side, from its first run), one line each. */
  readonly differences: readonly string[];
  /** A later side ran another workload (other transaction types) than the baseline. */
  readonly workloadDiffers: boolean;
  readonly regressions: readonly Regression[];
  /** Later sides no test could judge: they or the baseline have fewer than MIN_RUNS runs. */
  readonly undecided: readonly string[];
  readonly alpha: number;
  readonly regressionPct: number;
  /** Every run with its side's index, for the HTML overlays. */
  readonly results: readonly (LabelledResult & { readonly side: number })[];
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

/** Failed transactions as a percentage of those that ran (failed / (ok + failed)); null when none ran. */
function errorRatePct(r: ResultV1): number | null {
  const ran = r.summary.transactions + r.summary.failed;
  return ran === 0 ? null : (r.summary.failed / ran) * 100;
}

interface MetricDef {
  readonly key: MetricKey;
  readonly label: string;
  readonly better: 'higher' | 'lower';
  /** One value per run. */
  readonly value: (r: ResultV1) => number | null;
  readonly tested: boolean;
}

const METRICS: readonly MetricDef[] = [
  { key: 'tps', label: 'tps', better: 'higher', value: (r) => r.summary.tps, tested: true },
  { key: 'p50', label: 'latency p50 ms', better: 'lower', value: (r) => r.summary.latencyMs.p50, tested: true },
  { key: 'p95', label: 'latency p95 ms', better: 'lower', value: (r) => r.summary.latencyMs.p95, tested: true },
  { key: 'p99', label: 'latency p99 ms', better: 'lower', value: (r) => r.summary.latencyMs.p99, tested: true },
  { key: 'errorRatePct', label: 'errors %', better: 'lower', value: errorRatePct, tested: true },
  { key: 'max', label: 'latency max ms', better: 'lower', value: (r) => r.summary.latencyMs.max, tested: false },
  { key: 'lagP99', label: 'sched. lag p99 ms', better: 'lower', value: (r) => r.summary.lagMs.p99, tested: false },
  { key: 'commitsPerS', label: 'server commits/s', better: 'higher', value: (r) => serverFigure(r, (p) => /commitsPerS$/i.test(p), 'sum-mean'), tested: false },
  {
    key: 'cacheHitRatio',
    label: 'server cache hit ratio',
    better: 'higher',
    value: (r) => serverFigure(r, (p) => /cacheHitRatio$/i.test(p), 'mean'),
    tested: false,
  },
  {
    key: 'replLagBytes',
    label: 'server repl. lag max bytes',
    better: 'lower',
    value: (r) => serverFigure(r, (p) => /lag.*bytes$/i.test(p), 'max'),
    tested: false,
  },
  {
    key: 'serverCpuPct',
    label: 'server CPU % (mean)',
    better: 'lower',
    value: (r) => serverFigure(r, (p) => /^process\.cpuPct$/.test(p), 'sum-mean'),
    tested: false,
  },
  // Failover runs (--failover, --verify-writes): what the clients behind each target saw.
  { key: 'rtoS', label: 'longest outage s', better: 'lower', value: (r) => r.failover?.rtoS ?? null, tested: false },
  {
    key: 'lostWrites',
    label: 'lost writes',
    better: 'lower',
    value: (r) => {
      const v = r.failover?.verification;
      return v !== undefined && 'lost' in v ? v.lost : null;
    },
    tested: false,
  },
];

function changePct(base: number | null, v: number | null): number | null {
  if (base === null || v === null) return null;
  if (base === 0) return v === 0 ? 0 : null;
  return Math.round(((v - base) / Math.abs(base)) * 100_000) / 1000;
}

/** Each result its own side of one run (several targets, or results given one by one). */
export function compareResults(results: readonly LabelledResult[], opts: CompareOptions = {}): Comparison {
  return compareSides(
    results.map((r) => ({ label: r.label, runs: [r] })),
    opts,
  );
}

export function compareSides(sides: readonly CompareSide[], opts: CompareOptions = {}): Comparison {
  if (sides.length < 2) throw new Error('compareSides needs at least two sides');
  if (sides.some((s) => s.runs.length === 0)) throw new Error('compareSides: every side needs at least one run');
  const alpha = opts.alpha ?? 0.05;
  const regressionPct = opts.regressionPct ?? 0;
  const metrics: MetricRow[] = [];
  for (const m of METRICS) {
    const perSide = sides.map((s) => nums(s.runs.map((r) => m.value(r.result))));
    // Server figures appear only when some run has them.
    if (perSide.every((v) => v.length === 0)) continue;
    const spreads = perSide.map(describeRuns);
    const values = spreads.map((d) => (d === null ? null : d.mean));
    const base = perSide[0] ?? [];
    const tests = perSide.map((v, k) => (k === 0 || !m.tested ? null : welchTest(base, v)));
    metrics.push({
      key: m.key,
      label: m.label,
      better: m.better,
      tested: m.tested,
      spreads,
      values,
      changePct: values.map((v, k) => (k === 0 ? null : changePct(values[0] ?? null, v))),
      tests,
      beyondNoise: tests.map((t) => t !== null && t.kind === 'welch' && t.pValue < alpha),
    });
  }
  const regressions: Regression[] = [];
  for (let k = 1; k < sides.length; k++) {
    for (const key of ['tps', 'p99'] as const) {
      const row = metrics.find((m) => m.key === key);
      const test = row?.tests[k];
      const change = row?.changePct[k];
      if (row === undefined || test === null || test === undefined || test.kind !== 'welch' || change === null || change === undefined) continue;
      const worse = key === 'tps' ? change < -regressionPct : change > regressionPct;
      if (worse && row.beyondNoise[k] === true) regressions.push({ label: sides[k]!.label, metric: key, changePct: change, pValue: test.pValue, n: test.n });
    }
  }
  const undecided = sides.slice(1).flatMap((s) => (s.runs.length < MIN_RUNS || sides[0]!.runs.length < MIN_RUNS ? [s.label] : []));
  const baseRun = sides[0]!.runs[0]!;
  const within = sides.flatMap((s) => s.runs.slice(1).flatMap((r) => comparabilityDifferences(s.runs[0]!.result, r.result, r.label)));
  const between = sides.slice(1).flatMap((s) => comparabilityDifferences(baseRun.result, s.runs[0]!.result, s.label));
  const differences = [...between, ...within];
  return {
    sides: sides.map((s) => ({
      label: s.label,
      runs: s.runs.map((r) => ({ label: r.label, startedAt: r.result.startedAt, durationS: r.result.durationS, intervals: r.result.intervals.length })),
    })),
    metrics,
    comparable: differences.length === 0,
    differences,
    workloadDiffers: sides.slice(1).some((s) => differsInWorkload(baseRun.result, s.runs[0]!.result)),
    regressions,
    undecided,
    alpha,
    regressionPct,
    results: sides.flatMap((s, side) => s.runs.map((r) => ({ ...r, side }))),
  };
}
