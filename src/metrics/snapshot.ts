/**
 * What a worker thread sends to the main thread once per interval: plain, structured-cloneable
 * data (no classes, no typed arrays shared with the recorder), histograms HDR-encoded (uncompressed
 * bytes, null when empty: see HistogramBytes), all times in integer microseconds.
 *
 * Counting rule (DESIGN.md, contract), summed over all workers and intervals:
 *   arrivals = ok + failed + skipped + dropped + unfinished
 * where failed = Σ errors[class]. Retries do not add arrivals: a retried transaction is counted
 * once, by its final outcome.
 */
import type { HistogramBytes } from './histogram.js';

export interface IntervalSnapshot {
  readonly v: 1;
  readonly worker: number;
  /** Index on the interval grid from the start of the measured phase (0, 1, 2, …). */
  readonly interval: number;
  /** The worker's last snapshot: it will send no more. */
  readonly final: boolean;
  readonly arrivals: number;
  readonly dropped: number;
  readonly unfinished: number;
  /**
   * Unfinished transactions' waits so far (µs, stop instant − scheduled): exact sum, min and max
   * (0 when none) and their histogram (right-censored latencies; see recorder.ts).
   */
  readonly unfinishedWaitSumUs: number;
  readonly unfinishedWaitMinUs: number;
  readonly unfinishedWaitMaxUs: number;
  readonly unfinishedWait: HistogramBytes;
  readonly connects: number;
  readonly reconnects: number;
  /** Connection set-up times, µs. */
  readonly connect: HistogramBytes;
  /** Indexed like MetricsLayout.txnTypes. */
  readonly types: readonly TypeSnapshot[];
  /**
   * Indexed by FailureIndex: the first error message this worker saw for the class, sent once per
   * worker per run (null afterwards and when none was given).
   */
  readonly firstErrors: readonly (string | null)[];
  /**
   * Per-statement executions of a local worker thread in this interval when the layout has more
   * statements than a worker keeps histograms for (recorder.ts, DENSE_STATEMENTS_MAX), in the order
   * they ended: pairs [statement, latencyUs], `statement` numbered over all types in layout order
   * (type 0's statements, then type 1's, …), latencyUs −1 for a failed execution. Every execution
   * is in it. Null otherwise: then `TypeSnapshot.statements` carries them.
   */
  readonly statementLog: Float64Array | null;
}

/** One statement's executions in one interval, as another process sends them. */
export interface StatementSnapshot {
  /** Index in the type's statements. */
  readonly index: number;
  /** Successful executions' latency (HDR bytes, null when none). */
  readonly latency: HistogramBytes;
  readonly failed: number;
}

export interface TypeSnapshot {
  readonly ok: number;
  /** Failed transactions by FailureIndex (their final try failed). */
  readonly errors: readonly number[];
  /** Transactions (ok or failed) that needed more than one try, and the sum of (tries − 1). */
  readonly retried: number;
  readonly retries: number;
  readonly skipped: number;
  /** Exact sums and extremes over successful transactions (µs); min/max are 0 when ok = 0. */
  readonly latencySumUs: number;
  readonly latencyMinUs: number;
  readonly latencyMaxUs: number;
  readonly lagSumUs: number;
  readonly lagMaxUs: number;
  readonly serviceSumUs: number;
  /** Successful transactions only: latency = end − scheduled, lag = sent − scheduled, service = end − sent. */
  readonly latency: HistogramBytes;
  readonly lag: HistogramBytes;
  readonly service: HistogramBytes;
  /**
   * Sparse, ascending by index: only statements that ended in this interval (latency of successful
   * executions, count of failed ones). Empty when the snapshot has a statementLog.
   */
  readonly statements: readonly StatementSnapshot[];
}
