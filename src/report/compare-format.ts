/**
 * The comparison as a text table: one column per run, the baseline first; each later run's value
 * with its change against the baseline and a mark when the change is beyond run-to-run noise.
 */
import { fmtNum } from './summary.js';
import type { Comparison, MetricRow, Regression } from './compare.js';

function fmtValue(row: MetricRow, v: number | null): string {
  if (v === null) return '-';
  if (row.key === 'cacheHitRatio') return v.toFixed(4);
  if (row.key === 'failed' || row.key === 'replLagBytes') return fmtNum(v);
  return row.key === 'tps' || row.key === 'commitsPerS' || row.key === 'serverCpuPct' ? fmtNum(v, 1) : v.toFixed(3);
}

/** "+12.3% *": * beyond noise (and worse or better, said by the sign and the row's direction). */
function fmtChange(row: MetricRow, k: number): string {
  const c = row.changePct[k];
  if (c === null || c === undefined) return '';
  const sign = c > 0 ? '+' : '';
  const mark = row.beyondNoise[k] === true ? (c > 0 === (row.better === 'higher') ? ' better' : ' WORSE') : '';
  return ` (${sign}${c.toFixed(1)}%${mark})`;
}

/** "LABEL: tps lower by 12.3% (p = 0.0012)". */
export function regressionText(r: Regression): string {
  const what = r.metric === 'tps' ? 'tps lower' : 'p99 higher';
  return `${r.label}: ${what} by ${Math.abs(r.changePct).toFixed(1)}% (p = ${r.pValue.toPrecision(2)})`;
}

export function formatComparison(c: Comparison): string {
  const labelW = Math.max(...c.metrics.map((m) => m.label.length), 'started'.length) + 2;
  const cells: string[][] = c.metrics.map((m) => m.values.map((v, k) => fmtValue(m, v) + (k === 0 ? '' : fmtChange(m, k))));
  const heads = c.runs.map((r, k) => (k === 0 ? `${r.label} (baseline)` : r.label));
  const started = c.runs.map((r) => r.startedAt.replace(/\.\d+Z$/, 'Z'));
  const colW = c.runs.map((_, k) => Math.max(heads[k]?.length ?? 0, started[k]?.length ?? 0, ...cells.map((row) => row[k]?.length ?? 0)) + 2);
  const row = (label: string, values: readonly string[]): string => (label.padEnd(labelW) + values.map((v, k) => v.padStart(colW[k] ?? 0)).join('')).trimEnd();
  const out: string[] = [
    row('', heads),
    row('started', started),
    row(
      'duration s',
      c.runs.map((r) => fmtNum(r.durationS, 1)),
    ),
    ...c.metrics.map((m, i) => row(m.label, cells[i] ?? [])),
    '',
    `WORSE/better: beyond run-to-run noise (Mann-Whitney U rank test on per-interval values, p < ${c.alpha}); other changes are within noise.`,
  ];
  if (!c.comparable) {
    out.push('', 'not comparable — these differ from the baseline:', ...c.differences.map((d) => `  ${d}`));
  }
  if (c.regressions.length > 0) {
    out.push('', `regressions (beyond noise and more than ${c.regressionPct}%):`);
    for (const r of c.regressions) out.push(`  ${regressionText(r)}`);
  } else {
    out.push('', `no regression (tps lower or p99 higher beyond noise by more than ${c.regressionPct}%)`);
  }
  return `${out.join('\n')}\n`;
}
