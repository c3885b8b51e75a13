/**
 * The hot-path recorder: one per worker thread. Every method called per transaction writes into
 * typed arrays and histograms created at construction — nothing is allocated per call.
 * `snapshot()` (once per interval) encodes everything into plain data and resets.
 *
 * Which transactions go where (pgbench's rule, `accumStats` in pgbench.c):
 * - latency, lag and service histograms (and the exact sums/min/max) hold SUCCESSFUL transactions
 *   only, so the summary's latency percentiles describe work that was acknowledged;
 * - failed transactions are counted by failure class (their final try's class);
 * - `retried`/`retries` count both successful and failed transactions that needed > 1 try;
 * - skipped and dropped are counts only (they never started);
 * - an unfinished transaction (in flight on a client, or an open-loop arrival still queued, when
 *   the load is given up) is right-censored: its wait so far (stop instant − scheduled) goes into a
 *   histogram of its own with exact sum/min/max, which the result merges into the run's latency
 *   figures (a stall past the end must not vanish from them). Recorded only at the stop.
 * Per-statement latencies likewise hold successful executions; failed executions are counted.
 *
 * Per-statement latencies go one of two ways, chosen by the number of statements in the layout:
 * - up to DENSE_STATEMENTS_MAX: one HDR histogram per statement (WebAssembly, 94 KB each), as for
 *   transactions; the snapshot carries the ones that recorded something;
 * - beyond: no histogram per statement (550,000 of them would need 52 GB, more than WebAssembly's
 *   4 GB memory), but a log of (statement, latency) pairs sent with the snapshot and bucketed on
 *   the main thread (statement-histogram.ts). The log holds one interval's executions of this
 *   worker (16 bytes each), so its size follows the rate, not the script or the run's length.
 * Why not the log always: at instant completion (bench/engine-hot-path.ts, tpcb-like, ~3.5 million
 * statements a second) filling and copying the log cost 2316 → 6251 ns per transaction.
 */
import type { FailureIndex, MetricsLayout } from './types.js';
import { FAILURE_CLASSES } from './types.js';
import { clampUs, histogramBytes, newHistogram } from './histogram.js';
import type { Histogram } from './histogram.js';
import type { IntervalSnapshot, StatementSnapshot, TypeSnapshot } from './snapshot.js';

export type { IntervalSnapshot, TypeSnapshot } from './snapshot.js';

const CLASS_COUNT = FAILURE_CLASSES.length;

/**
 * Layouts with at most this many statements keep a histogram per statement in the worker (6 MB of
 * WebAssembly memory at most); larger ones log executions instead (see the file comment).
 */
export const DENSE_STATEMENTS_MAX = 64;

// Per-type counter slots in one Float64Array (doubles: exact integers to 2^53, no overflow).
const OK = 0;
const RETRIED = 1;
const RETRIES = 2;
const SKIPPED = 3;
const LAT_SUM = 4;
const LAT_MIN = 5; // +Infinity while no success was recorded
const LAT_MAX = 6;
const LAG_SUM = 7;
const LAG_MAX = 8;
const SVC_SUM = 9;
const ERR = 10; // ERR + FailureIndex
const STRIDE = ERR + CLASS_COUNT;

// Global counter slots.
const ARRIVALS = 0;
const DROPPED = 1;
const UNFINISHED = 2;
const CONNECTS = 3;
const RECONNECTS = 4;
/** Unfinished transactions' wait so far (µs): sum, min (+Infinity while none), max. */
const UNF_SUM = 5;
const UNF_MIN = 6;
const UNF_MAX = 7;
const GLOBAL_SLOTS = 8;

export interface RecorderOptions {
  /**
   * WebAssembly histograms (default true; bench/recorder.ts compares, see histogram.ts). With
   * false, only recording works: snapshot() needs the WebAssembly encoding (histogramBytes).
   */
  readonly useWebAssembly?: boolean;
}

export class Recorder {
  private readonly typeCount: number;
  private readonly counters: Float64Array;
  private readonly globals = new Float64Array(GLOBAL_SLOTS);
  private readonly latency: Histogram[] = [];
  private readonly lag: Histogram[] = [];
  private readonly service: Histogram[] = [];
  /** Statement s of type t is number stmtBase[t] + s (in stmtLatency / stmtFailed, or in the log). */
  private readonly stmtBase: Int32Array;
  private readonly stmtCount: Int32Array;
  /** Dense mode (see the file comment): histograms per statement, empty in log mode. */
  private readonly stmtLatency: Histogram[] = [];
  private readonly stmtFailed: Float64Array;
  private readonly dense: boolean;
  /** Pairs [statement, latencyUs or −1 when failed] of this interval; grows by doubling, reused. */
  private stmtLog = new Float64Array(1024);
  private stmtLogLen = 0;
  private readonly connectUs: Histogram;
  /** Waits so far of unfinished transactions (µs), all types together: a queued arrival has no type yet. */
  private readonly unfinishedUs: Histogram;
  /** First message per failure class: kept until sent once, then never again (per worker per run). */
  private readonly firstErrors: (string | null)[] = new Array<string | null>(CLASS_COUNT).fill(null);
  private readonly firstErrorSeen = new Uint8Array(CLASS_COUNT);

  constructor(layout: MetricsLayout, opts: RecorderOptions = {}) {
    const wasm = opts.useWebAssembly ?? true;
    this.typeCount = layout.txnTypes.length;
    this.counters = new Float64Array(this.typeCount * STRIDE);
    this.stmtBase = new Int32Array(this.typeCount);
    this.stmtCount = new Int32Array(this.typeCount);
    let stmts = 0;
    layout.txnTypes.forEach((t, i) => {
      this.stmtBase[i] = stmts;
      this.stmtCount[i] = t.statements.length;
      stmts += t.statements.length;
      this.latency.push(newHistogram('interval', wasm));
      this.lag.push(newHistogram('interval', wasm));
      this.service.push(newHistogram('interval', wasm));
    });
    this.dense = stmts <= DENSE_STATEMENTS_MAX;
    if (this.dense) for (let i = 0; i < stmts; i++) this.stmtLatency.push(newHistogram('interval', wasm));
    this.stmtFailed = new Float64Array(this.dense ? stmts : 0);
    this.connectUs = newHistogram('interval', wasm);
    this.unfinishedUs = newHistogram('interval', wasm);
    this.resetCounters();
  }

  /** An arrival (open loop) or a transaction start (closed loop) in the measured phase. */
  arrival(): void {
    this.globals[ARRIVALS]! += 1;
  }

  txnOk(type: number, scheduledUs: number, sentUs: number, endUs: number, tries: number): void {
    const c = this.counters;
    const b = type * STRIDE;
    const latencyUs = clampUs(endUs - scheduledUs);
    const lagUs = clampUs(sentUs - scheduledUs);
    const serviceUs = clampUs(endUs - sentUs);
    c[b + OK]! += 1;
    c[b + LAT_SUM]! += latencyUs;
    if (latencyUs < c[b + LAT_MIN]!) c[b + LAT_MIN] = latencyUs;
    if (latencyUs > c[b + LAT_MAX]!) c[b + LAT_MAX] = latencyUs;
    c[b + LAG_SUM]! += lagUs;
    if (lagUs > c[b + LAG_MAX]!) c[b + LAG_MAX] = lagUs;
    c[b + SVC_SUM]! += serviceUs;
    if (tries > 1) {
      c[b + RETRIED]! += 1;
      c[b + RETRIES]! += tries - 1;
    }
    this.latency[type]!.recordValue(latencyUs);
    this.lag[type]!.recordValue(lagUs);
    this.service[type]!.recordValue(serviceUs);
  }

  /**
   * A transaction whose final try failed. Times are accepted for symmetry with txnOk but not put
   * in the latency histograms (see the file comment). `message`, when given, is kept if it is the
   * first of its class this worker has seen (the caller already holds the string: no allocation).
   */
  txnFailed(type: number, _scheduledUs: number, _sentUs: number, _endUs: number, failure: FailureIndex, tries: number, message?: string): void {
    const c = this.counters;
    const b = type * STRIDE;
    c[b + ERR + failure]! += 1;
    if (tries > 1) {
      c[b + RETRIED]! += 1;
      c[b + RETRIES]! += tries - 1;
    }
    if (message !== undefined) this.noteError(failure, message);
  }

  /**
   * Keep `message` if it is the first of its class this worker has seen: also for errors outside
   * any transaction (a failed reconnect), so that every first error reaches the result this way.
   */
  noteError(failure: FailureIndex, message: string): void {
    if (this.firstErrorSeen[failure] === 0) {
      this.firstErrorSeen[failure] = 1;
      this.firstErrors[failure] = message;
    }
  }

  /** Per-statement latency (-r): latency of successful executions, count of failed ones. */
  stmt(type: number, stmt: number, latencyUs: number, ok: boolean): void {
    if (this.dense) {
      const i = this.stmtBase[type]! + stmt;
      if (ok) this.stmtLatency[i]!.recordValue(clampUs(latencyUs));
      else this.stmtFailed[i]! += 1;
      return;
    }
    const n = this.stmtLogLen;
    if (n === this.stmtLog.length) this.growStmtLog();
    const log = this.stmtLog;
    log[n] = this.stmtBase[type]! + stmt;
    log[n + 1] = ok ? clampUs(latencyUs) : -1;
    this.stmtLogLen = n + 2;
  }

  /** Off the hot path: only until the log fits one interval's executions. */
  private growStmtLog(): void {
    const bigger = new Float64Array(this.stmtLog.length * 2);
    bigger.set(this.stmtLog);
    this.stmtLog = bigger;
  }

  /** -L: the arrival was already later than the limit when a client could start it. */
  skipped(type: number): void {
    this.counters[type * STRIDE + SKIPPED]! += 1;
  }

  /** Open loop: the queue was full. */
  dropped(): void {
    this.globals[DROPPED]! += 1;
  }

  /**
   * At the stop: one transaction still in flight or an arrival still queued, due at `scheduledUs`,
   * given up at `stopUs`. Counted, and its wait so far recorded as a (right-censored) latency.
   */
  unfinished(scheduledUs: number, stopUs: number): void {
    const g = this.globals;
    const waitUs = clampUs(stopUs - scheduledUs);
    g[UNFINISHED]! += 1;
    g[UNF_SUM]! += waitUs;
    if (waitUs < g[UNF_MIN]!) g[UNF_MIN] = waitUs;
    if (waitUs > g[UNF_MAX]!) g[UNF_MAX] = waitUs;
    this.unfinishedUs.recordValue(waitUs);
  }

  /** Connection set-up time (reported apart from transaction latency). */
  connect(us: number): void {
    this.globals[CONNECTS]! += 1;
    this.connectUs.recordValue(clampUs(us));
  }

  reconnect(): void {
    this.globals[RECONNECTS]! += 1;
  }

  /**
   * Drops everything recorded since the last snapshot except connection set-up times: call it at
   * the end of warm-up (warm-up is excluded from results, connect times are reported separately).
   */
  discard(): void {
    this.resetCounters(true);
    for (const h of this.latency) h.reset();
    for (const h of this.lag) h.reset();
    for (const h of this.service) h.reset();
    this.stmtLogLen = 0;
    for (const h of this.stmtLatency) h.reset();
    this.unfinishedUs.reset();
  }

  /** Encodes the interval's data into plain, structured-cloneable form and resets it. */
  snapshot(worker: number, interval: number, final: boolean): IntervalSnapshot {
    const c = this.counters;
    const types: TypeSnapshot[] = [];
    for (let t = 0; t < this.typeCount; t++) {
      const b = t * STRIDE;
      const ok = c[b + OK]!;
      const statements: StatementSnapshot[] = [];
      const base = this.stmtBase[t]!;
      for (let s = 0; this.dense && s < this.stmtCount[t]!; s++) {
        const latency = histogramBytes(this.stmtLatency[base + s]!);
        const failed = this.stmtFailed[base + s]!;
        if (latency !== null || failed > 0) statements.push({ index: s, latency, failed });
      }
      types.push({
        ok,
        errors: Array.from(c.subarray(b + ERR, b + ERR + CLASS_COUNT)),
        retried: c[b + RETRIED]!,
        retries: c[b + RETRIES]!,
        skipped: c[b + SKIPPED]!,
        latencySumUs: c[b + LAT_SUM]!,
        latencyMinUs: ok > 0 ? c[b + LAT_MIN]! : 0,
        latencyMaxUs: c[b + LAT_MAX]!,
        lagSumUs: c[b + LAG_SUM]!,
        lagMaxUs: c[b + LAG_MAX]!,
        serviceSumUs: c[b + SVC_SUM]!,
        latency: histogramBytes(this.latency[t]!),
        lag: histogramBytes(this.lag[t]!),
        service: histogramBytes(this.service[t]!),
        statements,
      });
    }
    const g = this.globals;
    const snap: IntervalSnapshot = {
      v: 1,
      worker,
      interval,
      final,
      arrivals: g[ARRIVALS]!,
      dropped: g[DROPPED]!,
      unfinished: g[UNFINISHED]!,
      unfinishedWaitSumUs: g[UNF_SUM]!,
      unfinishedWaitMinUs: g[UNFINISHED]! > 0 ? g[UNF_MIN]! : 0,
      unfinishedWaitMaxUs: g[UNF_MAX]!,
      unfinishedWait: histogramBytes(this.unfinishedUs),
      connects: g[CONNECTS]!,
      reconnects: g[RECONNECTS]!,
      connect: histogramBytes(this.connectUs),
      types,
      firstErrors: this.firstErrors.slice(),
      statementLog: this.stmtLogLen === 0 ? null : this.stmtLog.slice(0, this.stmtLogLen),
    };
    // The messages have been sent; the "seen" flags stay set so each class is sent once per run.
    this.firstErrors.fill(null);
    this.discard();
    this.globals[CONNECTS] = 0;
    this.connectUs.reset();
    return snap;
  }

  /** Frees the histograms (WebAssembly memory is not garbage-collected); the recorder is unusable after. */
  dispose(): void {
    for (const h of [...this.latency, ...this.lag, ...this.service, ...this.stmtLatency, this.connectUs, this.unfinishedUs]) h.destroy();
  }

  private resetCounters(keepConnect = false): void {
    this.counters.fill(0);
    this.stmtFailed.fill(0);
    for (let t = 0; t < this.typeCount; t++) this.counters[t * STRIDE + LAT_MIN] = Infinity;
    const connects = this.globals[CONNECTS]!;
    this.globals.fill(0);
    this.globals[UNF_MIN] = Infinity;
    if (keepConnect) this.globals[CONNECTS] = connects;
  }
}
