/**
 * The comparison as one self-contained HTML page: the side-by-side table with changes and noise
 * marks, what makes the runs not comparable, regressions, and timelines overlaid one colour per
 * run (runs aligned on seconds from the start of their measured phase).
 */
import { chartBox, escapeHtml, renderPage } from './html-page.js';
import { color, mergedHistogram, outagesOf, percentileAxis, percentileCurve, type ChartSpec } from './html-charts.js';
import { table, type Cell } from './html-tables.js';
import { formatComparison, regressionText } from './compare-format.js';
import type { Comparison, MetricRow } from './compare.js';
import type { ResultV1 } from './result.js';

type Interval = ResultV1['intervals'][number];

function overlay(c: Comparison, id: string, title: string, yLabel: string, pick: (i: Interval) => number | null, yLog = false): ChartSpec {
  const x = [...new Set(c.results.flatMap((r) => r.result.intervals.map((i) => i.tS)))].sort((a, b) => a - b);
  const at = new Map(x.map((t, k) => [t, k]));
  const series = c.results.map((r, k) => {
    const values: (number | null)[] = x.map(() => null);
    for (const i of r.result.intervals) {
      const v = pick(i);
      const idx = at.get(i.tS);
      if (idx !== undefined) values[idx] = v === null || (yLog && v <= 0) ? null : Math.round(v * 1000) / 1000;
    }
    return { label: r.label, color: color(k), values };
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
      label: r.label,
      color: color(k),
      values: hs[k] === null || hs[k] === undefined ? axis.map(() => null) : percentileCurve(hs[k], axis),
    })),
    bands: [],
  };
}

function metricsTable(c: Comparison): string {
  const head: Cell[] = [{ text: '', align: 'l' }, ...c.runs.map((r, k) => ({ text: k === 0 ? `${r.label} (baseline)` : r.label }))];
  const cell = (m: MetricRow, k: number): Cell => {
    const v = m.values[k];
    const text = v === null || v === undefined ? '-' : m.key === 'cacheHitRatio' ? v.toFixed(4) : String(Math.round(v * 1000) / 1000);
    const ch = m.changePct[k];
    if (k === 0 || ch === null || ch === undefined) return { text };
    const beyond = m.beyondNoise[k] === true;
    const better = ch > 0 === (m.better === 'higher');
    const p = m.tests[k]?.pValue;
    const note = beyond ? (better ? 'better' : 'worse') : 'within noise';
    return {
      text: `${text}  ${ch > 0 ? '+' : ''}${ch.toFixed(1)}% ${m.tests[k] === null ? '' : `(${note}${p === null || p === undefined ? '' : `, p=${p.toPrecision(2)}`})`}`,
      cls: beyond ? (better ? 'good' : 'bad') : '',
    };
  };
  const rows: Cell[][] = [
    [{ text: 'started', align: 'l' }, ...c.runs.map((r) => ({ text: r.startedAt }))],
    [{ text: 'duration s', align: 'l' }, ...c.runs.map((r) => ({ text: String(r.durationS) }))],
    ...c.metrics.map((m) => [{ text: m.label, align: 'l' as const }, ...c.runs.map((_, k) => cell(m, k))]),
  ];
  return table(head, rows);
}

export function renderCompareHtml(c: Comparison): string {
  const charts: ChartSpec[] = [
    overlay(c, 'cmp-tps', 'Throughput (tps)', 'tps', (i) => i.tps),
    overlay(c, 'cmp-p99', 'Latency p99 per interval (ms, log scale)', 'ms', (i) => i.latencyMs.p99, true),
    overlay(c, 'cmp-p50', 'Latency p50 per interval (ms, log scale)', 'ms', (i) => i.latencyMs.p50, true),
    overlay(c, 'cmp-failed', 'Failed transactions per interval', 'count', (i) => i.failed),
    overlay(c, 'cmp-lag', 'Schedule lag p99 per interval (ms)', 'ms', (i) => i.lagMs.p99),
  ];
  const dist = distribution(c);
  if (dist !== null) charts.push(dist);
  const legend = c.runs.map((r, k) => `<span><span class="swatch" style="background:${color(k)}"></span>${escapeHtml(r.label)}</span>`).join(' &nbsp; ');
  const verdict =
    c.regressions.length === 0
      ? `<p class="good">No regression: no run has lower tps or higher p99 than the baseline beyond noise by more than ${c.regressionPct}%.</p>`
      : `<p class="bad">Regressions: ${c.regressions.map((r) => escapeHtml(regressionText(r))).join('; ')}</p>`;
  const body = [
    `<h1>pgsurge comparison: ${escapeHtml(c.runs.map((r) => r.label).join(' vs '))}</h1>`,
    `<p class="sub">Baseline: ${escapeHtml(c.runs[0]?.label ?? '')}. Changes are relative to it; "within noise" means the Mann-Whitney U rank test on per-interval values found no difference at p &lt; ${c.alpha}.</p>`,
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
    `<pre>${escapeHtml(formatComparison(c))}</pre>`,
  ];
  return renderPage({ title: `pgsurge comparison: ${c.runs.map((r) => r.label).join(' vs ')}`, bodyHtml: body.join('\n'), charts });
}
