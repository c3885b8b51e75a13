/**
 * The live progress line, one per interval (pgbench -P), e.g.
 *
 *   progress: 5.0 s, 1234.5 tps, lat p50 1.234 ms p95 3.210 ms p99 4.567 ms max 9.1 ms, 0 failed
 *   progress: 6.0 s, 1000.0 tps, lat p50 2.002 ms p95 31.50 ms p99 40.1 ms max 52.0 ms, 3 failed (connection 3), lag p99 12.3 ms, 2 dropped
 *
 * Stable format: fields always in this order; optional ones (error classes, lag under -R,
 * skipped/dropped/retried) appear only when they apply, always after the fixed ones.
 * "-" stands for a latency that was not measured (no success in the interval).
 */
import type { IntervalStats } from '../metrics/aggregator.js';
import { FAILURE_CLASSES } from '../metrics/types.js';
import type { LiveOutput } from './types.js';

/** What the progress line reads: IntervalStats satisfies it. */
export interface ProgressStats {
  readonly tps: number;
  readonly failed: number;
  readonly errors: readonly number[];
  readonly skipped: number;
  readonly dropped: number;
  readonly retried: number;
  /** p95 shows when present (IntervalStats always has it). */
  readonly latencyMs: { readonly p50: number | null; readonly p95?: number | null; readonly p99: number | null; readonly max: number | null };
  readonly lagMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
  /** Worker threads whose figures the interval lacks (IntervalStats has it). */
  readonly missingWorkers?: number;
}

/** 3 significant-ish digits: 0.123, 1.234, 12.35, 123.5, 1234. Milliseconds. */
function ms(v: number | null): string {
  if (v === null) return '-';
  if (v < 10) return v.toFixed(3);
  if (v < 100) return v.toFixed(2);
  if (v < 1000) return v.toFixed(1);
  return v.toFixed(0);
}

export function formatProgress(stats: ProgressStats, elapsedS: number, openLoop: boolean): string {
  const l = stats.latencyMs;
  const parts = [
    `progress: ${elapsedS.toFixed(1)} s`,
    `${stats.tps.toFixed(1)} tps`,
    `lat p50 ${ms(l.p50)} ms${l.p95 === undefined ? '' : ` p95 ${ms(l.p95)} ms`} p99 ${ms(l.p99)} ms max ${ms(l.max)} ms`,
  ];
  const byClass = FAILURE_CLASSES.flatMap((c, i) => {
    const n = stats.errors[i] ?? 0;
    return n > 0 ? [`${c} ${n}`] : [];
  });
  parts.push(`${stats.failed} failed${byClass.length > 0 ? ` (${byClass.join(', ')})` : ''}`);
  if (openLoop) parts.push(`lag p50 ${ms(stats.lagMs.p50)} ms p99 ${ms(stats.lagMs.p99)} ms`);
  if (stats.retried > 0) parts.push(`${stats.retried} retried`);
  if (stats.skipped > 0) parts.push(`${stats.skipped} skipped`);
  if (stats.dropped > 0) parts.push(`${stats.dropped} dropped`);
  const missing = stats.missingWorkers ?? 0;
  if (missing > 0) parts.push(`without ${missing} worker thread${missing === 1 ? '' : 's'} (stuck or lost)`);
  return parts.join(', ');
}

export interface ProgressOptions {
  /** How often a line is printed (-P), ms; undefined: never. Rounded to whole intervals, at least one. */
  readonly everyMs: number | undefined;
  /** The interval of the timeline (--interval). */
  readonly intervalMs: number;
  /** Open loop (-R): the line shows schedule lag too. */
  readonly openLoop: boolean;
  /** Where a line goes (stderr, like pgbench's). */
  readonly write: (line: string) => void;
}

/**
 * How often the progress line is printed: -P N every N ms; -P 0 never; without -P, every interval
 * when stderr is a terminal and never otherwise.
 */
export function progressEveryMs(progressMs: number | undefined, intervalMs: number, stderrIsTTY: boolean): number | undefined {
  if (progressMs === 0) return undefined;
  return progressMs ?? (stderrIsTTY ? intervalMs : undefined);
}

/** The progress line as a LiveOutput: one line every N intervals, elapsed time at the interval's end. */
export function createProgressOutput(opts: ProgressOptions): LiveOutput {
  const everyN = opts.everyMs === undefined ? 0 : Math.max(1, Math.round(opts.everyMs / opts.intervalMs));
  return {
    name: 'progress',
    interval(s: IntervalStats): void {
      if (everyN > 0 && (s.index + 1) % everyN === 0) opts.write(formatProgress(s, ((s.index + 1) * opts.intervalMs) / 1000, opts.openLoop));
    },
  };
}
