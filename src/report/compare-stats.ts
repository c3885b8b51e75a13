/**
 * Is a difference between two sets of runs beyond run-to-run noise? Judged from run-level values
 * (one value per run: its TPS, its p99, …) with Welch's t-test on the run means, two-sided.
 *
 * Why run-level values: the intervals of one run are not independent samples of how much a run
 * varies from the next (a loaded machine, a checkpoint, a cold cache move a whole run), so a test
 * on intervals calls ordinary run-to-run variation "significant". Only repeated runs measure it.
 * Why Welch's t: it reaches its stated significance with few runs (from 2 a side; a rank test such
 * as Mann-Whitney cannot give p < 0.05 two-sided below 4 runs a side), does not assume both sides
 * vary alike, is deterministic, and run means are far closer to normal than interval values.
 * One run on a side gives no estimate of its variation: no test, and the caller says so.
 */
import type JStat from 'jstat';
import { median } from '../util/median.js';
import { lazyRequire } from '../util/lazy-require.js';

const jStat = lazyRequire<typeof JStat>('jstat');

/** One side's run-level values, described. */
export interface RunSpread {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); null with one run. */
  readonly sd: number | null;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The outcome of testing one side against the baseline (a discriminated union: no verdict without a test). */
export type SideTest =
  | {
      readonly kind: 'welch';
      /** Two-sided p-value. */
      readonly pValue: number;
      readonly t: number;
      /** Welch–Satterthwaite degrees of freedom. */
      readonly df: number;
      readonly n: readonly [number, number];
    }
  | {
      /** A side has fewer than MIN_RUNS runs with a value: its run-to-run variation is unknown. */
      readonly kind: 'too-few-runs';
      readonly n: readonly [number, number];
    };

/** Fewest runs per side that give a variance, and so a test. */
export const MIN_RUNS = 2;

export function describeRuns(values: readonly number[]): RunSpread | null {
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n < 2 ? null : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, median: median(values) ?? mean, min: Math.min(...values), max: Math.max(...values) };
}

/**
 * Welch's t-test of the means of `a` (baseline) and `b`, two-sided. With no spread on either side
 * (every run gave the same value) the means are known exactly: p is 1 when they are equal, else 0.
 */
export function welchTest(a: readonly number[], b: readonly number[]): SideTest {
  const n = [a.length, b.length] as const;
  const da = describeRuns(a);
  const db = describeRuns(b);
  if (da === null || db === null || da.sd === null || db.sd === null) return { kind: 'too-few-runs', n };
  const va = (da.sd * da.sd) / da.n;
  const vb = (db.sd * db.sd) / db.n;
  const se = Math.sqrt(va + vb);
  const diff = db.mean - da.mean;
  if (se === 0) return { kind: 'welch', pValue: diff === 0 ? 1 : 0, t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: da.n + db.n - 2, n };
  const t = diff / se;
  const df = (va + vb) ** 2 / ((va * va) / (da.n - 1) + (vb * vb) / (db.n - 1));
  const pValue = Math.min(1, Math.max(0, 2 * (1 - jStat().studentt.cdf(Math.abs(t), df))));
  return { kind: 'welch', pValue, t, df, n };
}

/** "p = 0.004", "p < 0.0001". */
export function formatP(p: number): string {
  return p < 0.0001 ? 'p < 0.0001' : `p = ${String(Number(p.toPrecision(2)))}`;
}
