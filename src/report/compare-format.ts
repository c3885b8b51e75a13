/**
 * The comparison as text: one column per side, the baseline first; each side's mean over its runs
 * with the spread between them, each later side's change against the baseline, a mark where the
 * change is beyond run-to-run noise, and for each later side what its verdict rests on ("3 vs 3
 * runs, Welch's t on run means") — or that, with one run a side, it rests on nothing.
 */
import { fmtNum } from './summary.js';
import { formatP } from './compare-stats.js';
import type { Comparison, MetricRow, Regression } from './compare.js';
import type { ImprovementCheck, ImprovementGoal } from './compare-improvement.js';

function fmtValue(row: MetricRow, v: number | null): string {
  if (v === null) return '-';
  if (row.key === 'cacheHitRatio') return v.toFixed(4);
  if (row.key === 'replLagBytes') return fmtNum(Math.round(v));
  if (row.key === 'errorRatePct') return v.toFixed(2);
  return row.key === 'tps' || row.key === 'commitsPerS' || row.key === 'serverCpuPct' ? fmtNum(v, 1) : v.toFixed(3);
}

/** "±2.1%": the standard deviation between a side's runs as a share of their mean; empty with one run. */
function fmtSpread(row: MetricRow, k: number): string {
  const s = row.spreads[k];
  if (s === null || s === undefined || s.sd === null) return '';
  if (s.mean === 0) return s.sd === 0 ? ' ±0%' : '';
  return ` ±${((s.sd / Math.abs(s.mean)) * 100).toFixed(1)}%`;
}

/** "+12.3%", with " better"/" WORSE" when beyond noise (said by the sign and the row's direction). */
function fmtChange(row: MetricRow, k: number): string {
  const c = row.changePct[k];
  if (c === null || c === undefined) return '';
  const sign = c > 0 ? '+' : '';
  const mark = row.beyondNoise[k] === true ? (c > 0 === (row.better === 'higher') ? ' better' : ' WORSE') : '';
  return ` (${sign}${c.toFixed(1)}%${mark})`;
}

const runs = (n: number): string => `${n} run${n === 1 ? '' : 's'}`;

/** "3 vs 3 runs, Welch's t on run means, p = 0.004". */
export function basisText(n: readonly [number, number], pValue: number): string {
  return `${n[0]} vs ${runs(n[1])}, Welch's t on run means, ${formatP(pValue)}`;
}

/** "B: tps lower by 12.3% (3 vs 3 runs, Welch's t on run means, p = 0.0012)". */
export function regressionText(r: Regression): string {
  const what = r.metric === 'tps' ? 'tps lower' : 'p99 higher';
  return `${r.label}: ${what} by ${Math.abs(r.changePct).toFixed(1)}% (${basisText(r.n, r.pValue)})`;
}

/** Why a side gets no verdict, and what to do. */
export function undecidedText(c: Comparison, label: string): string {
  const base = c.sides[0];
  const nBase = base?.runs.length ?? 0;
  const n = c.sides.find((s) => s.label === label)?.runs.length ?? 0;
  const where = nBase === 1 && n === 1 ? 'one run a side' : `one run on the ${nBase === 1 ? 'baseline' : label} side`;
  return (
    `${label} vs ${base?.label ?? 'baseline'}: ${nBase} vs ${runs(n)}: the differences cannot be told from run-to-run noise with ${where}, ` +
    'so no regression or improvement is called; repeat each side (pgsurge run --repeat 3 --json X.json) and compare the runs (pgsurge compare A.json --vs B.json)'
  );
}

/** Per later side: what its verdicts rest on, and each tested figure's change with its p. */
function verdictLines(c: Comparison): string[] {
  const out: string[] = [];
  const tested = c.metrics.filter((m) => m.tested);
  const labelW = Math.max(...tested.map((m) => m.label.length)) + 2;
  for (let k = 1; k < c.sides.length; k++) {
    const side = c.sides[k]!;
    if (c.undecided.includes(side.label)) {
      out.push('', undecidedText(c, side.label));
      continue;
    }
    out.push('', `${side.label} vs ${c.sides[0]?.label ?? 'baseline'}: ${c.sides[0]?.runs.length ?? 0} vs ${runs(side.runs.length)}, Welch's t on run means:`);
    for (const m of tested) {
      const t = m.tests[k];
      const ch = m.changePct[k];
      if (t === null || t === undefined || t.kind !== 'welch' || ch === null || ch === undefined) continue;
      const verdict = m.beyondNoise[k] === true ? (ch > 0 === (m.better === 'higher') ? 'better' : 'WORSE') : 'within noise';
      out.push(`  ${m.label.padEnd(labelW)}${`${ch > 0 ? '+' : ''}${ch.toFixed(1)}%`.padStart(9)}  ${verdict} (${formatP(t.pValue)})`);
    }
  }
  return out;
}

export function formatComparison(c: Comparison): string {
  const labelW = Math.max(...c.metrics.map((m) => m.label.length), 'duration s'.length) + 2;
  const cells: string[][] = c.metrics.map((m) => m.values.map((v, k) => fmtValue(m, v) + fmtSpread(m, k) + (k === 0 ? '' : fmtChange(m, k))));
  const heads = c.sides.map((s, k) => (k === 0 ? `${s.label} (baseline)` : s.label));
  const started = c.sides.map((s) => (s.runs[0]?.startedAt ?? '').replace(/\.\d+Z$/, 'Z'));
  const colW = c.sides.map((_, k) => Math.max(heads[k]?.length ?? 0, started[k]?.length ?? 0, ...cells.map((row) => row[k]?.length ?? 0)) + 2);
  const row = (label: string, values: readonly string[]): string => (label.padEnd(labelW) + values.map((v, k) => v.padStart(colW[k] ?? 0)).join('')).trimEnd();
  const meanDuration = (s: Comparison['sides'][number]): number => s.runs.reduce((a, r) => a + r.durationS, 0) / Math.max(1, s.runs.length);
  const out: string[] = [
    row('', heads),
    row(
      'runs',
      c.sides.map((s) => String(s.runs.length)),
    ),
    row('started', started),
    row(
      'duration s',
      c.sides.map((s) => fmtNum(meanDuration(s), 1)),
    ),
    ...c.metrics.map((m, i) => row(m.label, cells[i] ?? [])),
    '',
    `Each figure is the mean over a side's runs; ±: standard deviation between its runs, as % of the mean. WORSE/better: beyond run-to-run noise (Welch's t-test on the runs' values, p < ${c.alpha}); other changes are within noise or, with one run a side, cannot be judged.`,
    ...verdictLines(c),
  ];
  if (!c.comparable) {
    out.push('', 'not comparable — these differ:', ...c.differences.map((d) => `  ${d}`));
  }
  const judged = c.sides.length - 1 - c.undecided.length;
  if (c.regressions.length > 0) {
    out.push('', `regressions (beyond noise and more than ${c.regressionPct}%):`);
    for (const r of c.regressions) out.push(`  ${regressionText(r)}`);
  } else if (judged > 0) {
    out.push(
      '',
      `no regression (tps lower or p99 higher beyond noise by more than ${c.regressionPct}%)${c.undecided.length > 0 ? ` among ${judged} judged side(s)` : ''}`,
    );
  }
  if (c.undecided.length > 0) out.push('', `no verdict for ${c.undecided.join(', ')}: too few runs to tell a difference from noise`);
  return `${out.join('\n')}\n`;
}

/** "+40%" for tps, "-30%" for a latency: the goal in the direction that is better. */
function goalText(g: ImprovementGoal): string {
  return `${g.metric === 'tps' ? '+' : '-'}${g.pct}%`;
}

const signed = (v: number): string => `${v > 0 ? '+' : ''}${v.toFixed(1)}%`;

/** One line per later side and goal: the change, the goal, and the verdict with what it rests on. */
export function improvementText(c: ImprovementCheck, baseLabel: string, alpha: number): string {
  const head = `${c.label} vs ${baseLabel}: ${c.goal.metric}`;
  switch (c.kind) {
    case 'met':
      return `${head} ${signed(c.changePct)}, at least ${goalText(c.goal)} asked: MET (${basisText(c.n, c.pValue)})`;
    case 'not-met':
      return (
        `${head} ${signed(c.changePct)}, at least ${goalText(c.goal)} asked: NOT MET: ` +
        (c.why === 'too-small' ? 'the change is beyond noise but not that large' : `the change is not beyond run-to-run noise (p ≥ ${alpha})`) +
        ` (${basisText(c.n, c.pValue)})`
      );
    case 'one-run': {
      const shown = c.changePct === null ? 'no change computable' : signed(c.changePct);
      return (
        `${head} ${shown}, at least ${goalText(c.goal)} asked: NO VERDICT: with ${c.n[0]} vs ${runs(c.n[1])} the change cannot be told from run-to-run noise; ` +
        'repeat each side (pgsurge run --repeat 3 --json X.json) and compare the runs (pgsurge compare A.json --vs B.json)'
      );
    }
    case 'not-measured':
      return `${head}: NO VERDICT: not measured on both sides (no successful transaction, or a monitor's result)`;
  }
}

/** The --expect-improvement section, after the comparison. */
export function formatImprovements(checks: readonly ImprovementCheck[], baseLabel: string, alpha: number): string {
  if (checks.length === 0) return '';
  return `\nexpected improvements (better by at least that much, beyond run-to-run noise at p < ${alpha}):\n${checks.map((c) => `  ${improvementText(c, baseLabel, alpha)}`).join('\n')}\n`;
}
