/**
 * `compare --expect-improvement [METRIC:]PCT`: the other side of --fail-on-regression. A later
 * side passes when its mean of METRIC is better than the baseline's by at least PCT percent AND the
 * change is beyond run-to-run noise (Welch's t on the run means, p < alpha: the same test and rule
 * as a regression). Better is higher for tps, lower for latency percentiles.
 *
 * With fewer than two runs on a side there is no estimate of run-to-run noise, so no verdict either
 * way: the check says what the one run showed and that it cannot be told from noise (the caller
 * exits 3, as --fail-on-regression does without repeats). A gate that passed on one run would pass
 * a lucky run; one that failed on it would fail an unlucky one.
 */
import { usageError } from '../errors.js';
import type { MetricKey, MetricRow } from './compare.js';

/** The figures an improvement can be asked of (the judged ones with a direction). */
export const IMPROVEMENT_METRICS = ['tps', 'p50', 'p95', 'p99'] as const;
export type ImprovementMetric = (typeof IMPROVEMENT_METRICS)[number] & MetricKey;

export interface ImprovementGoal {
  readonly metric: ImprovementMetric;
  /** At least this much better, percent of the baseline's mean (> 0; < 100 for a latency). */
  readonly pct: number;
  /** As the user typed it, for messages. */
  readonly text: string;
}

/** One later side against one goal. */
export type ImprovementCheck =
  | {
      /** Better by at least the goal, beyond noise. */
      readonly kind: 'met';
      readonly label: string;
      readonly goal: ImprovementGoal;
      readonly changePct: number;
      readonly pValue: number;
      readonly n: readonly [number, number];
    }
  | {
      /** Judged (several runs a side), and not better by the goal beyond noise. */
      readonly kind: 'not-met';
      readonly label: string;
      readonly goal: ImprovementGoal;
      readonly changePct: number;
      readonly pValue: number;
      readonly n: readonly [number, number];
      /** The change is beyond noise (p < alpha) but smaller than the goal, or not beyond noise. */
      readonly why: 'too-small' | 'within-noise';
    }
  | {
      /** One run on a side (or on the baseline): the change cannot be told from noise. */
      readonly kind: 'one-run';
      readonly label: string;
      readonly goal: ImprovementGoal;
      readonly changePct: number | null;
      readonly n: readonly [number, number];
    }
  | {
      /** A side has no value of the metric (no transaction succeeded, or a monitor's result). */
      readonly kind: 'not-measured';
      readonly label: string;
      readonly goal: ImprovementGoal;
    };

const EXAMPLES = 'e.g. 40%, tps:40%, p99:30%';

/** "40%", "40", "tps:40%", "p99:30%" → the goal; a usage error naming the value otherwise. */
export function parseImprovementGoal(text: string): ImprovementGoal {
  const label = `--expect-improvement ${text}`;
  const m = /^\s*(?:([A-Za-z0-9]+)\s*:\s*)?(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (m === null)
    throw usageError('BAD_OPTION', `${label}: expected [METRIC:]PERCENT (${EXAMPLES}); METRIC is ${IMPROVEMENT_METRICS.join(', ')} (default tps)`);
  const metric = (m[1] ?? 'tps').toLowerCase();
  if (!(IMPROVEMENT_METRICS as readonly string[]).includes(metric)) {
    throw usageError('BAD_OPTION', `${label}: unknown metric "${m[1] ?? ''}"; expected one of ${IMPROVEMENT_METRICS.join(', ')} (${EXAMPLES})`);
  }
  const pct = Number(m[2]);
  if (!(pct > 0)) throw usageError('BAD_OPTION', `${label}: the improvement must be more than 0% (${EXAMPLES})`);
  if (metric !== 'tps' && pct >= 100) {
    throw usageError('BAD_OPTION', `${label}: a latency can fall by less than 100% only (p99:30% means at most 70% of the baseline's)`);
  }
  return { metric: metric as ImprovementMetric, pct, text: text.trim() };
}

/** Each later side (1 … sides−1) against each goal, from the comparison's rows. */
export function checkImprovements(
  rows: readonly MetricRow[],
  sides: readonly { readonly label: string; readonly runs: number }[],
  goals: readonly ImprovementGoal[],
  alpha: number,
): ImprovementCheck[] {
  const out: ImprovementCheck[] = [];
  const baseRuns = sides[0]?.runs ?? 0;
  for (let k = 1; k < sides.length; k++) {
    const label = sides[k]!.label;
    for (const goal of goals) {
      const row = rows.find((r) => r.key === goal.metric);
      const change = row?.changePct[k] ?? null;
      const test = row?.tests[k] ?? null;
      const n = [row?.spreads[0]?.n ?? baseRuns, row?.spreads[k]?.n ?? sides[k]!.runs] as const;
      if (row === undefined || row.values[0] === null || row.values[k] === null) {
        out.push({ kind: 'not-measured', label, goal });
        continue;
      }
      if (test === null || test.kind === 'too-few-runs' || change === null) {
        out.push({ kind: 'one-run', label, goal, changePct: change, n });
        continue;
      }
      const better = row.better === 'higher' ? change : -change;
      const beyondNoise = test.pValue < alpha;
      if (beyondNoise && better >= goal.pct) out.push({ kind: 'met', label, goal, changePct: change, pValue: test.pValue, n: test.n });
      else out.push({ kind: 'not-met', label, goal, changePct: change, pValue: test.pValue, n: test.n, why: beyondNoise ? 'too-small' : 'within-noise' });
    }
  }
  return out;
}
