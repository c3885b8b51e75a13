/**
 * Is a difference between two runs beyond run-to-run noise? Judged from per-interval values with
 * the Mann-Whitney U rank test (two-sided, normal approximation with tie and continuity
 * corrections).
 *
 * Why this test: interval TPS and interval p99 are not normally distributed (p99 has a long right
 * tail, a stall gives a few huge values), so a t-test would be misled; a rank test only asks
 * whether values of one run tend to be larger than those of the other, needs no distribution
 * assumption, is exact enough from ~8 intervals per run, and is a few lines with no dependency.
 * A bootstrap of the median would do as well but is random (a seed) and slower on hour-long runs.
 * Caveat: neighbouring intervals are correlated (a checkpoint spans several), which makes any
 * test on them somewhat optimistic; hence the strict default alpha of 0.01 and the separate
 * relative-change threshold (--fail-on-regression) that a difference must also exceed.
 */
import { median } from '../util/median.js';

export interface RankTest {
  readonly method: 'mann-whitney-u';
  /** Two-sided p-value; null when either side has fewer than MIN_SAMPLES values. */
  readonly pValue: number | null;
  readonly n: readonly [number, number];
  /** Medians of the two samples (the direction of a difference). */
  readonly medians: readonly [number | null, number | null];
}

/** Below this many intervals per run, the normal approximation is not trusted. */
const MIN_SAMPLES = 5;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export function mannWhitneyU(a: readonly number[], b: readonly number[]): RankTest {
  const n1 = a.length;
  const n2 = b.length;
  const medians = [median(a), median(b)] as const;
  if (n1 < MIN_SAMPLES || n2 < MIN_SAMPLES) return { method: 'mann-whitney-u', pValue: null, n: [n1, n2], medians };
  const all = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v);
  const n = all.length;
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1]?.v === all[i]?.v) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tied group, 1-based
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    for (let k = i; k <= j; k++) if (all[k]?.first === true) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { method: 'mann-whitney-u', pValue: 1, n: [n1, n2], medians };
  const diff = Math.abs(u - mean);
  const z = Math.max(0, diff - 0.5) / Math.sqrt(variance);
  return { method: 'mann-whitney-u', pValue: Math.min(1, 2 * (1 - normalCdf(z))), n: [n1, n2], medians };
}
