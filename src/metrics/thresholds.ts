/**
 * Pass/fail thresholds on the run's summary, k6-style: `METRIC OP VALUE[UNIT]`.
 *
 *   metrics  p50 p90 p95 p99 p999 min max mean (latency of successful transactions and of the
 *            unfinished ones at their wait so far), tps,
 *            errors (transactions that ran and failed: a count, or with % failed / (ok + failed)
 *            × 100; arrivals that never ran — dropped, skipped, unfinished — are not errors),
 *            errors.CLASS (the same for one failure class: errors.timeout, errors.serialization …),
 *            failed (= the errors count), dropped, skipped, unfinished (counts),
 *            success_rate (transactions / arrivals: every drop, skip, failure and unfinished
 *            transaction lowers it; `success_rate>=99.9%` or as a ratio, `success_rate>=0.999`),
 *            lag.p50 lag.p99 lag.max (schedule lag),
 *            rto (longest failover outage, a time; needs --failover), lost (acknowledged writes
 *            missing after the run; needs --verify-writes — without it the threshold fails, n/a)
 *   ops      < <= > >= = ==
 *   units    us ms s for times (default ms); % for errors, errors.CLASS and success_rate
 *
 * Examples: `p95<30ms`, `tps>=8000`, `errors<1%`, `errors.timeout==0`, `success_rate>=99.9%`,
 * `lag.p99<5ms`, `dropped=0`; on the server's figures (src/metrics/server-thresholds.ts):
 * `max(server.cpu)<80%`, `min(server.cache_hit)>=99%`, `max(replication[replica].lag)<10ms`.
 * A threshold with nothing to measure (no latency, no arrival, a figure not sampled) fails
 * (actual "n/a", with the reason when there is one).
 */
import { usageError } from '../errors.js';
import { round } from '../util/round.js';
import { FAILURE_CLASSES, type FailureClass } from './types.js';
import type { ServerSample } from '../report/server-schema.js';
import { AGGREGATE_FORM, SERVER_FIGURES, SERVER_NAME, evaluateServerThreshold, parseServerThreshold, type ServerThreshold } from './server-thresholds.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==';
export type ThresholdMetric =
  | 'p50'
  | 'p90'
  | 'p95'
  | 'p99'
  | 'p999'
  | 'min'
  | 'max'
  | 'mean'
  | 'tps'
  | 'errors'
  | `errors.${FailureClass}`
  | 'failed'
  | 'dropped'
  | 'skipped'
  | 'unfinished'
  | 'success_rate'
  | 'lag.p50'
  | 'lag.p99'
  | 'lag.max'
  | 'rto'
  | 'lost';

/** A threshold on the run's summary (client figures), or on the server's sampled figures. */
export type Threshold = SummaryThreshold | ServerThreshold;
export type { ServerThreshold } from './server-thresholds.js';

export interface SummaryThreshold {
  readonly kind: 'summary';
  /** As the user wrote it (trimmed): reported back verbatim. */
  readonly expr: string;
  readonly metric: ThresholdMetric;
  readonly op: ThresholdOp;
  /** Milliseconds for time metrics, percent for `errors%` and success_rate (either form), a plain number otherwise. */
  readonly value: number;
  /** errors with %: compare the failed percentage instead of the count; always true for success_rate. */
  readonly percent: boolean;
}

/** The part of a result summary thresholds look at (ResultV1['summary'] satisfies it). */
export interface ThresholdSubject {
  readonly transactions: number;
  readonly failed: number;
  readonly dropped: number;
  readonly skipped: number;
  readonly unfinished: number;
  /** Everything scheduled in the measured phase: transactions + failed + skipped + dropped + unfinished. */
  readonly arrivals: number;
  readonly tps: number;
  readonly latencyMs: Readonly<Record<'min' | 'mean' | 'p50' | 'p90' | 'p95' | 'p99' | 'p999' | 'max', number | null>>;
  readonly lagMs: Readonly<Record<'p50' | 'p99' | 'max', number | null>>;
  /** Failover runs (src/ha): the longest outage and the lost writes; absent → the threshold is n/a. */
  readonly rtoMs?: number | null;
  readonly lost?: number | null;
  /** Failures by class (errors.CLASS); absent → those thresholds are n/a. */
  readonly errors?: Readonly<Partial<Record<FailureClass, number>>>;
  /** The server samples of the measured phase (server thresholds); absent → those are n/a. */
  readonly server?: readonly ServerSample[];
}

export interface ThresholdResult {
  readonly expr: string;
  readonly ok: boolean;
  /** The measured value with its unit, e.g. "27.113ms", "0.42%", "8123.4", or "n/a". */
  readonly actual: string;
  /** Why it is n/a, when that needs saying (a server figure that was not sampled). */
  readonly reason?: string | undefined;
}

const TIME_METRICS = new Set<string>(['p50', 'p90', 'p95', 'p99', 'p999', 'min', 'max', 'mean', 'lag.p50', 'lag.p99', 'lag.max', 'rto']);
const COUNT_METRICS = new Set<string>(['tps', 'errors', ...FAILURE_CLASSES.map((c) => `errors.${c}`), 'failed', 'dropped', 'skipped', 'unfinished', 'lost']);
/** errors and errors.CLASS: a count, or with % a share of the transactions that ran. */
const takesPercent = (metric: string): boolean => metric === 'errors' || metric.startsWith('errors.');
const UNIT_TO_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

const GRAMMAR = /^\s*([a-z][a-z0-9._]*)\s*(<=|>=|==|<|>|=)\s*([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*(us|ms|s|%)?\s*$/i;

export function parseThreshold(expr: string): Threshold {
  const bad = (why: string) =>
    usageError('bad-threshold', `bad threshold "${expr}": ${why}`, [
      'expected METRIC OP VALUE[UNIT], e.g. p95<30ms, tps>=8000, errors<1%, errors.timeout==0, success_rate>=99.9%, lag.p99<5ms, dropped=0,',
      '  or on the server AGG(FIGURE) OP VALUE[UNIT], e.g. max(server.cpu)<80%, min(server.cache_hit)>=99%, max(replication[replica].lag)<10ms',
      'metrics: p50 p90 p95 p99 p999 min max mean tps errors errors.CLASS failed dropped skipped unfinished success_rate lag.p50 lag.p99 lag.max rto lost',
      `server figures (with max, min, avg or p95): ${SERVER_FIGURES.join(' ')}; a host as server[primary].cpu, server[replica].cpu or server[HOST:PORT].cpu`,
    ]);
  if (AGGREGATE_FORM.test(expr)) return parseServerThreshold(expr, bad);
  if (SERVER_NAME.test(expr)) throw bad('a server figure is sampled per interval: say which aggregate, e.g. max(server.cpu)<80%');
  const m = GRAMMAR.exec(expr);
  if (m === null) throw bad('does not read as METRIC OP VALUE[UNIT]');
  const metric = m[1]!.toLowerCase();
  const op = m[2] === '=' ? '==' : (m[2] as ThresholdOp);
  const raw = Number(m[3]);
  const unit = m[4]?.toLowerCase();
  if (!Number.isFinite(raw)) throw bad('the value is not a number');
  if (TIME_METRICS.has(metric)) {
    if (unit === '%') throw bad(`${metric} is a time: use us, ms or s`);
    return { kind: 'summary', expr: expr.trim(), metric: metric as ThresholdMetric, op, value: raw * UNIT_TO_MS[unit ?? 'ms']!, percent: false };
  }
  if (metric === 'success_rate') {
    if (unit !== undefined && unit !== '%') throw bad('success_rate is a share of the arrivals: write a percentage (99.9%) or a ratio (0.999)');
    const pct = unit === '%' ? raw : raw * 100;
    if (unit === undefined && raw > 1) throw bad(`success_rate without % is a ratio from 0 to 1: did you mean ${raw}%?`);
    if (pct > 100) throw bad('success_rate is at most 100%');
    return { kind: 'summary', expr: expr.trim(), metric: 'success_rate', op, value: pct, percent: true };
  }
  if (COUNT_METRICS.has(metric)) {
    if (unit === '%' && !takesPercent(metric)) throw bad(`only errors, errors.CLASS and success_rate take %`);
    if (unit !== undefined && unit !== '%') throw bad(`${metric} takes no time unit`);
    return { kind: 'summary', expr: expr.trim(), metric: metric as ThresholdMetric, op, value: raw, percent: unit === '%' };
  }
  if (metric.startsWith('errors.')) throw bad(`unknown failure class "${metric.slice(7)}": use ${FAILURE_CLASSES.join(', ')}`);
  throw bad(`unknown metric "${metric}"`);
}

function compare(actual: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}

/** The measured value in the threshold's unit (ms, %, or plain), or null when there is none. */
function measure(t: SummaryThreshold, s: ThresholdSubject): number | null {
  switch (t.metric) {
    case 'p50':
    case 'p90':
    case 'p95':
    case 'p99':
    case 'p999':
    case 'min':
    case 'max':
    case 'mean':
      return s.latencyMs[t.metric];
    case 'lag.p50':
      return s.lagMs.p50;
    case 'lag.p99':
      return s.lagMs.p99;
    case 'lag.max':
      return s.lagMs.max;
    case 'tps':
      return s.tps;
    case 'errors': {
      if (!t.percent) return s.failed;
      const done = s.transactions + s.failed;
      return done === 0 ? 0 : (s.failed / done) * 100;
    }
    case 'errors.serialization':
    case 'errors.deadlock':
    case 'errors.connection':
    case 'errors.timeout':
    case 'errors.read_only':
    case 'errors.capacity':
    case 'errors.constraint':
    case 'errors.other': {
      const n = s.errors?.[t.metric.slice(7) as FailureClass];
      if (n === undefined) return null;
      if (!t.percent) return n;
      const done = s.transactions + s.failed;
      return done === 0 ? 0 : (n / done) * 100;
    }
    case 'failed':
      return s.failed;
    case 'dropped':
      return s.dropped;
    case 'skipped':
      return s.skipped;
    case 'unfinished':
      return s.unfinished;
    case 'success_rate':
      return s.arrivals === 0 ? null : (s.transactions / s.arrivals) * 100;
    case 'rto':
      return s.rtoMs ?? null;
    case 'lost':
      return s.lost ?? null;
  }
}

function formatActual(t: SummaryThreshold, v: number): string {
  if (TIME_METRICS.has(t.metric)) return `${round(v, 3)}ms`;
  if (t.percent) return `${round(v, 3)}%`;
  return String(round(v, 1));
}

export function evaluateThresholds(list: readonly Threshold[], summary: ThresholdSubject): ThresholdResult[] {
  return list.map((t): ThresholdResult => {
    if (t.kind === 'server') {
      if (summary.server === undefined) return { expr: t.expr, ok: false, actual: 'n/a', reason: `${t.figure}: no server samples were given to judge it` };
      return evaluateServerThreshold(t, summary.server);
    }
    const v = measure(t, summary);
    if (v === null) return { expr: t.expr, ok: false, actual: 'n/a' };
    return { expr: t.expr, ok: compare(v, t.op, t.value), actual: formatActual(t, v) };
  });
}
