/**
 * The per-type timeline of the HTML report: when a run has more than one transaction type (its
 * intervals carry `types`), three charts with one series per type — throughput, p99 latency and
 * failures — so a type that slows down or fails shows apart from the others (the legend toggles
 * a type on and off). Built from the result only, like every chart.
 */
import { color, intervalEndS, outagesOf, type ChartSeries, type ChartSpec, type HtmlResult } from './html-charts.js';

const r3 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000);
/** Log axes cannot show 0: an interval without a completion of the type is a gap, not a zero. */
const pos = (v: number | null | undefined): number | null => (v === null || v === undefined || v <= 0 ? null : r3(v));

/** The type names in the intervals' order of first appearance; empty unless more than one type ran. */
export function intervalTypeNames(result: HtmlResult): string[] {
  const names = new Set<string>();
  for (const i of result.intervals) for (const name of Object.keys(i.types ?? {})) names.add(name);
  return names.size > 1 ? [...names] : [];
}

/** Throughput, p99 latency and failures per interval, one series per type; none for a single type. */
export function typeCharts(result: HtmlResult, idPrefix = 'c'): ChartSpec[] {
  const names = intervalTypeNames(result);
  if (names.length === 0) return [];
  const iv = result.intervals;
  const x = iv.map(intervalEndS);
  const bands = outagesOf(result);
  const series = (f: (t: NonNullable<(typeof iv)[number]['types']>[string]) => number | null, transform = r3, stepped = false): ChartSeries[] =>
    names.map((name, k) => ({
      label: name,
      color: color(k),
      values: iv.map((i) => {
        const t = i.types?.[name];
        return t === undefined ? null : transform(f(t));
      }),
      ...(stepped ? { stepped } : {}),
    }));
  const chart = (id: string, title: string, yLabel: string, s: ChartSeries[], yLog = false): ChartSpec => ({
    id: `${idPrefix}-${id}`,
    title,
    xKind: 'time',
    x,
    yLabel,
    yLog,
    series: s,
    bands,
  });
  return [
    chart(
      'type-tps',
      'Throughput by transaction type (successful per second)',
      'transactions/s',
      series((t) => t.tps),
    ),
    chart(
      'type-p99',
      'p99 latency by transaction type (ms, log scale)',
      'p99 latency (ms)',
      series((t) => t.latencyMs.p99, pos),
      true,
    ),
    chart(
      'type-errors',
      'Failures per interval by transaction type',
      'failed transactions',
      series((t) => t.failed, r3, true),
    ),
  ];
}
