/**
 * The comparison as one self-contained HTML page: the side-by-side table with changes and noise
 * marks, what each verdict rests on, what makes the runs not comparable, regressions, and
 * timelines overlaid one line per run, one colour per side (runs aligned on seconds from the
 * start of their measured phase).
 */
import { chartBox, escapeHtml, renderPage, type PageInput } from './html-page.js';
import { color, intervalEndS, mergedHistogram, outagesOf, percentileAxis, percentileCurve, type ChartSpec } from './html-charts.js';
import { table, type Cell } from './html-tables.js';
import { basisText, formatComparison, formatImprovements, improvementText, regressionText, undecidedText } from './compare-format.js';
import type { ImprovementCheck } from './compare-improvement.js';
import type { Comparison, MetricRow } from './compare.js';
import type { ResultV1 } from './result.js';

type Interval = ResultV1['intervals'][number];

/** A run's line label: the side's label when it has one run, else "side/run". */
function runLabel(c: Comparison, r: Comparison['results'][number]): string {
  const side = c.sides[r.side];
  return side === undefined || side.runs.length === 1 ? (side?.label ?? r.label) : `${side.label}/${r.label}`;
}

/** Every run's intervals on one time axis, each drawn at its end (as the run's own report draws it). */
function overlay(c: Comparison, id: string, title: string, yLabel: string, pick: (i: Interval) => number | null, yLog = false): ChartSpec {
  const x = [...new Set(c.results.flatMap((r) => r.result.intervals.map(intervalEndS)))].sort((a, b) => a - b);
  const at = new Map(x.map((t, k) => [t, k]));
  const series = c.results.map((r) => {
    const values: (number | null)[] = x.map(() => null);
    for (const i of r.result.intervals) {
      const v = pick(i);
      const idx = at.get(intervalEndS(i));
      if (idx !== undefined) values[idx] = v === null || (yLog && v <= 0) ? null : Math.round(v * 1000) / 1000;
    }
    return { label: runLabel(c, r), color: color(r.side), values };
  });
  // Outages of every run, shaded alike: the colours say which run a line is, the shading when.
  const bands = c.results.flatMap((r) => outagesOf(r.result));
  return { id, title, xKind: 'time', x, yLabel, yLog, series, bands };
}

function distribution(c: Comparison): ChartSpec | null {
  const hs = c.results.map((r) => mergedHistogram(r.result));
  const maxCount = Math.max(0, ...hs.map((h) => h?.totalCount ?? 0));
  if (maxCount === 0) return null;
  const axis = percentileAxis(maxCount);
  return {
    id: 'cmp-distribution',
    title: 'Latency by percentile (ms, log scales), all transaction types',
    xKind: 'percentile',
    x: axis,
    yLabel: 'ms',
    yLog: true,
    series: c.results.map((r, k) => ({
      label: runLabel(c, r),
      color: color(r.side),
      values: hs[k] === null || hs[k] === undefined ? axis.map(() => null) : percentileCurve(hs[k], axis),
    })),
    bands: [],
  };
}

function metricsTable(c: Comparison): string {
  const head: Cell[] = [{ text: '', align: 'l' }, ...c.sides.map((s, k) => ({ text: k === 0 ? `${s.label} (baseline)` : s.label }))];
  const cell = (m: MetricRow, k: number): Cell => {
    const v = m.values[k];
    const spread = m.spreads[k];
    const sd = spread?.sd ?? null;
    const text =
      (v === null || v === undefined ? '-' : m.key === 'cacheHitRatio' ? v.toFixed(4) : String(Math.round(v * 1000) / 1000)) +
      (sd === null || v === null || v === undefined || v === 0 ? '' : ` ±${((sd / Math.abs(v)) * 100).toFixed(1)}%`);
    const ch = m.changePct[k];
    if (k === 0 || ch === null || ch === undefined) return { text };
    const t = m.tests[k];
    const beyond = m.beyondNoise[k] === true;
    const better = ch > 0 === (m.better === 'higher');
    const note =
      t === null || t === undefined
        ? ''
        : t.kind === 'welch'
          ? ` (${beyond ? (better ? 'better' : 'worse') : 'within noise'}, ${basisText(t.n, t.pValue)})`
          : ' (cannot be judged)';
    return { text: `${text}  ${ch > 0 ? '+' : ''}${ch.toFixed(1)}%${note}`, cls: beyond ? (better ? 'good' : 'bad') : '' };
  };
  const rows: Cell[][] = [
    [{ text: 'runs', align: 'l' }, ...c.sides.map((s) => ({ text: String(s.runs.length) }))],
    [{ text: 'started (first run)', align: 'l' }, ...c.sides.map((s) => ({ text: s.runs[0]?.startedAt ?? '' }))],
    ...c.metrics.map((m) => [{ text: m.label, align: 'l' as const }, ...c.sides.map((_, k) => cell(m, k))]),
  ];
  return table(head, rows);
}

/** Each --expect-improvement check as a verdict line: met (good), not met (bad), no verdict (warn). */
function improvementLines(c: Comparison, checks: readonly ImprovementCheck[]): string[] {
  const base = c.sides[0]?.label ?? 'baseline';
  const cls = (x: ImprovementCheck): string => (x.kind === 'met' ? 'good' : x.kind === 'not-met' ? 'bad' : 'warn');
  return checks.map((x) => `<p class="${cls(x)}">Expected improvement ${escapeHtml(x.goal.text)}: ${escapeHtml(improvementText(x, base, c.alpha))}</p>`);
}

/** The comparison page; `improvements` are compare --expect-improvement's checks, shown with the verdicts. */
export function renderCompareHtml(c: Comparison, improvements: readonly ImprovementCheck[] = []): string {
  return renderPage(compareView(c, improvements));
}

/** The comparison's title, body and charts: the file's page and the live page (src/ui) show this view. */
export function compareView(c: Comparison, improvements: readonly ImprovementCheck[] = []): PageInput {
  const charts: ChartSpec[] = [
    overlay(c, 'cmp-tps', 'Throughput (tps)', 'tps', (i) => i.tps),
    overlay(c, 'cmp-p99', 'Latency p99 per interval (ms, log scale)', 'ms', (i) => i.latencyMs.p99, true),
    overlay(c, 'cmp-p50', 'Latency p50 per interval (ms, log scale)', 'ms', (i) => i.latencyMs.p50, true),
    overlay(c, 'cmp-failed', 'Failed transactions per interval', 'count', (i) => i.failed),
    overlay(c, 'cmp-lag', 'Schedule lag p99 per interval (ms)', 'ms', (i) => i.lagMs.p99),
  ];
  const dist = distribution(c);
  if (dist !== null) charts.push(dist);
  const legend = c.sides.map((s, k) => `<span><span class="swatch" style="background:${color(k)}"></span>${escapeHtml(s.label)}</span>`).join(' &nbsp; ');
  const judged = c.sides.length - 1 - c.undecided.length;
  const verdict = [
    c.regressions.length > 0
      ? `<p class="bad">Regressions: ${c.regressions.map((r) => escapeHtml(regressionText(r))).join('; ')}</p>`
      : judged > 0
        ? `<p class="good">No regression: no side judged has lower tps or higher p99 than the baseline beyond noise by more than ${c.regressionPct}%.</p>`
        : '',
    ...c.undecided.map((label) => `<p class="warn">${escapeHtml(undecidedText(c, label))}</p>`),
    ...improvementLines(c, improvements),
  ].join('');
  const body = [
    `<h1>pgsurge comparison: ${escapeHtml(c.sides.map((s) => s.label).join(' vs '))}</h1>`,
    `<p class="sub">Baseline: ${escapeHtml(c.sides[0]?.label ?? '')}. Each figure is the mean over a side's runs (± the standard deviation between them); changes are relative to the baseline; "within noise" means Welch's t-test on the runs' values found no difference at p &lt; ${c.alpha}. With one run on a side no difference can be told from run-to-run noise.</p>`,
    verdict,
    c.comparable
      ? ''
      : `<h2 class="warn">Not comparable</h2><p>These differ from the baseline, so differences in the figures may come from them:</p><ul>${c.differences
          .map((d) => `<li>${escapeHtml(d)}</li>`)
          .join('')}</ul>`,
    '<h2>Side by side</h2>',
    metricsTable(c),
    '<h2>Timelines</h2>',
    `<p>${legend}</p>`,
    `<div class="grid">${charts.map((s) => chartBox(s)).join('')}</div>`,
    '<h2>As text</h2>',
    `<pre>${escapeHtml(formatComparison(c) + formatImprovements(improvements, c.sides[0]?.label ?? 'baseline', c.alpha))}</pre>`,
  ];
  return { title: `pgsurge comparison: ${c.sides.map((s) => s.label).join(' vs ')}`, bodyHtml: body.join('\n'), charts };
}
