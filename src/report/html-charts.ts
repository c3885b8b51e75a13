/**
 * Chart data for the HTML reports, built from the result file only. A ChartSpec is plain data (it
 * goes into the page as JSON); html-client.ts turns each into a uPlot chart. Arrays are columnar,
 * one value per interval, so an hour-long run (3,600 intervals) is a few hundred kB and draws fast.
 */
import { FAILURE_CLASSES } from '../metrics/types.js';
import { decodeHistogram, type Histogram } from '../metrics/histogram.js';
import type { ResultV1 } from './result.js';
import { FAILURE_CLASS_LABELS } from './html-labels.js';

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  /** Steps for counts (errors), each over its interval [start, end]; lines for rates and latencies. */
  readonly stepped?: boolean;
}

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  /**
   * time: seconds from the start of the measured phase, each interval at its END (a value measured
   * over [start, end] is known at the end; drawn at the start, a dip would lead the outage that
   * caused it); percentile: 1/(1−q), on a log axis.
   */
  readonly xKind: 'time' | 'percentile';
  readonly x: readonly number[];
  readonly yLabel: string;
  readonly yLog: boolean;
  readonly series: readonly ChartSeries[];
  /** Shaded windows (failover outages), seconds. */
  readonly bands: readonly { readonly startS: number; readonly endS: number }[];
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
export const color = (i: number): string => PALETTE[i % PALETTE.length] ?? '#333';

type Interval = ResultV1['intervals'][number];
export type Outage = { readonly startS: number; readonly endS: number };

/**
 * What the HTML report reads. A ResultV1 is one; the sections it reads shape-tolerantly (server
 * samples of any observer, failover, findings) are widened, so it also renders results whose
 * sections come from elsewhere, and draws fields it has never heard of.
 */
export type HtmlResult = Omit<ResultV1, 'server' | 'failover' | 'findings'> & {
  readonly server: readonly Readonly<Record<string, unknown>>[];
  readonly failover?: unknown;
  readonly findings?: unknown;
};

/** Results may carry fields newer than schema v1 knows; read them defensively. */
export function extra(result: HtmlResult, key: string): unknown {
  return (result as Readonly<Record<string, unknown>>)[key];
}

/** `result.failover.outages`, when present and well-formed. */
export function outagesOf(result: HtmlResult): Outage[] {
  const failover = extra(result, 'failover');
  if (typeof failover !== 'object' || failover === null) return [];
  const outages = (failover as Record<string, unknown>)['outages'];
  if (!Array.isArray(outages)) return [];
  return outages.flatMap((o: unknown) => {
    if (typeof o !== 'object' || o === null) return [];
    const { startS, endS } = o as Record<string, unknown>;
    return typeof startS === 'number' && typeof endS === 'number' ? [{ startS, endS }] : [];
  });
}

const r3 = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1000) / 1000);
/** Log axes cannot show 0: an interval without a measurement is a gap, not a zero. */
const pos = (v: number | null | undefined): number | null => (v === null || v === undefined || v <= 0 ? null : r3(v));

function timeChart(id: string, title: string, yLabel: string, x: readonly number[], series: ChartSeries[], bands: readonly Outage[], yLog = false): ChartSpec {
  return { id, title, xKind: 'time', x, yLabel, yLog, series, bands };
}

/** Where an interval is drawn: its end. */
export const intervalEndS = (i: Pick<Interval, 'tS' | 'durationS'>): number => Math.round((i.tS + i.durationS) * 1e6) / 1e6;

/**
 * An open loop at one rate (-R without stages or a scenario): the rate asked for over each interval,
 * following the changes made while it ran (a live page's, --find-limit's) — time-weighted within
 * the interval a change falls in, so it compares with that interval's TPS. Undefined otherwise.
 */
function targetRates(result: HtmlResult): (number | null)[] | undefined {
  const rate = result.config['rateHz'];
  if (typeof rate !== 'number' || result.config['stages'] !== undefined || result.config['scenario'] !== undefined) return undefined;
  const changes = (result.loadChanges ?? []).filter((c) => c.kind === 'rate');
  const rateAt = (t: number): number => changes.filter((c) => c.atS <= t).reduce((_r, c) => c.target, rate);
  return result.intervals.map((i) => {
    const end = i.tS + i.durationS;
    const cuts = [i.tS, ...changes.map((c) => c.atS).filter((t) => t > i.tS && t < end), end];
    let sum = 0;
    for (let k = 0; k + 1 < cuts.length; k++) sum += rateAt(cuts[k]!) * (cuts[k + 1]! - cuts[k]!);
    return i.durationS > 0 ? r3(sum / i.durationS) : rateAt(i.tS);
  });
}

/** Throughput, latency percentiles, failures by class and schedule lag over time. */
export function intervalCharts(result: HtmlResult, idPrefix = 'c'): ChartSpec[] {
  const iv = result.intervals;
  const x = iv.map(intervalEndS);
  const bands = outagesOf(result);
  const col = (f: (i: Interval) => number | null | undefined, transform = r3): (number | null)[] => iv.map((i) => transform(f(i)));
  const charts: ChartSpec[] = [];
  const tpsSeries: ChartSeries[] = [{ label: 'successful/s', color: color(0), values: col((i) => i.tps) }];
  if (iv.some((i) => i.failed > 0)) tpsSeries.push({ label: 'failed/s', color: color(1), values: col((i) => (i.durationS > 0 ? i.failed / i.durationS : 0)) });
  const target = targetRates(result);
  if (target !== undefined) tpsSeries.push({ label: 'target rate/s', color: '#888888', values: target, stepped: true });
  charts.push(timeChart(`${idPrefix}-tps`, 'Throughput (transactions per second)', 'transactions/s', x, tpsSeries, bands));
  charts.push(
    timeChart(
      `${idPrefix}-latency`,
      'Latency per interval (ms, log scale)',
      'latency (ms)',
      x,
      [
        { label: 'p50 latency (ms)', color: color(0), values: col((i) => i.latencyMs.p50, pos) },
        { label: 'p90 latency (ms)', color: color(2), values: col((i) => i.latencyMs.p90, pos) },
        { label: 'p99 latency (ms)', color: color(3), values: col((i) => i.latencyMs.p99, pos) },
        { label: 'max latency (ms)', color: color(1), values: col((i) => i.latencyMs.max, pos) },
      ],
      bands,
      true,
    ),
  );
  const classes = FAILURE_CLASSES.filter((c) => iv.some((i) => (i.errors[c] ?? 0) > 0));
  const errSeries: ChartSeries[] = classes.map((c, k) => ({
    label: FAILURE_CLASS_LABELS[c],
    color: color(k + 1),
    values: col((i) => i.errors[c] ?? 0),
    stepped: true,
  }));
  if (iv.some((i) => i.dropped > 0)) errSeries.push({ label: 'dropped arrivals', color: color(8), values: col((i) => i.dropped), stepped: true });
  if (iv.some((i) => i.skipped > 0))
    errSeries.push({ label: 'skipped (over the latency limit)', color: color(9), values: col((i) => i.skipped), stepped: true });
  // A flat zero line says "no failures" more plainly than an empty chart.
  if (errSeries.length === 0) errSeries.push({ label: 'failed transactions', color: color(1), values: col((i) => i.failed), stepped: true });
  charts.push(timeChart(`${idPrefix}-errors`, 'Failures per interval, by class', 'transactions', x, errSeries, bands));
  charts.push(
    timeChart(
      `${idPrefix}-lag`,
      'Schedule lag (ms): time from scheduled start to sent',
      'lag (ms)',
      x,
      [
        { label: 'p50 lag (ms)', color: color(0), values: col((i) => i.lagMs.p50) },
        { label: 'p99 lag (ms)', color: color(3), values: col((i) => i.lagMs.p99) },
        { label: 'max lag (ms)', color: color(1), values: col((i) => i.lagMs.max) },
      ],
      bands,
    ),
  );
  return charts;
}

/** Histograms of every transaction type, merged ('' entries are empty histograms). */
export function mergedHistogram(result: HtmlResult): Histogram | null {
  let merged: Histogram | null = null;
  for (const enc of Object.values(result.histograms)) {
    if (enc === '') continue;
    const h = decodeHistogram(enc);
    if (merged === null) merged = h;
    else merged.add(h);
  }
  return merged;
}

/**
 * x positions of a percentile plot: 1/(1−q), log-spaced from q = 0 up to the point where one
 * transaction in `count` is left (beyond that every percentile is the maximum), at most 99.9999 %.
 */
export function percentileAxis(maxCount: number, points = 160): number[] {
  const top = Math.max(10, Math.min(1e6, maxCount));
  const out: number[] = [];
  for (let k = 0; k < points; k++) out.push(Math.round(Math.pow(top, k / (points - 1)) * 1e6) / 1e6);
  return out;
}

/** Latency (ms) at each x = 1/(1−q) of the axis. */
export function percentileCurve(h: Histogram, axis: readonly number[]): (number | null)[] {
  if (h.totalCount === 0) return axis.map(() => null);
  return axis.map((x) => pos(Math.max(1, h.getValueAtPercentile(100 * (1 - 1 / x))) / 1000));
}

/** The latency distribution of the run (all types) and of each type when there are several. */
export function distributionChart(result: HtmlResult, idPrefix = 'c'): ChartSpec | null {
  const curves: { label: string; h: Histogram }[] = [];
  const all = mergedHistogram(result);
  if (all === null || all.totalCount === 0) return null;
  curves.push({ label: 'all transactions', h: all });
  const types = Object.entries(result.histograms).filter(([, enc]) => enc !== '');
  if (types.length > 1) for (const [name, enc] of types) curves.push({ label: name, h: decodeHistogram(enc) });
  const axis = percentileAxis(all.totalCount);
  return {
    id: `${idPrefix}-distribution`,
    title: 'Latency by percentile (ms, log scales), from the HDR histograms',
    xKind: 'percentile',
    x: axis,
    yLabel: 'latency (ms)',
    yLog: true,
    series: curves.map((c, k) => ({ label: c.label, color: color(k), values: percentileCurve(c.h, axis) })),
    bands: [],
  };
}
