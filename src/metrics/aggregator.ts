/**
 * Main-thread aggregation of worker snapshots: per interval (merged across workers, emitted in
 * order once every worker has reported it) and cumulative (merged across workers and intervals).
 *
 * Invariants:
 * - percentiles always come from merged histograms, never from averaged percentiles;
 * - memory does not grow per transaction: per interval we keep only the small IntervalStats (compactly), and
 *   the merge buffers of intervals still waiting for a worker (reused through a pool);
 * - each worker sends its intervals in increasing order; an interval is emitted when every worker
 *   has reported it or a later one (or has sent its final snapshot). An interval nobody reported
 *   (e.g. a gap) is emitted empty, so the grid has no holes (DESIGN.md);
 * - a worker that stops reporting (lost, or stuck in a workload module's code) does not hold the
 *   others back: `workerLost` and `emitDue` emit without it, and each such interval counts the
 *   workers whose figures it lacks in `missingWorkers` (a late snapshot still counts in the totals).
 */
import { FAILURE_CLASSES } from './types.js';
import type { MetricsLayout } from './types.js';
import { decodeInto, newHistogram, percentileUs, usToMs } from './histogram.js';
import type { Histogram } from './histogram.js';
import { StatementHistogram } from './statement-histogram.js';
import type { IntervalSnapshot, TypeSnapshot } from './snapshot.js';
import { CompactLog } from '../util/compact-log.js';

/** Counts and histograms of transactions (µs); the same shape overall, per type and per interval. */
export interface TxnTotals {
  ok: number;
  /** Σ errors. */
  failed: number;
  /** Failed transactions by FailureIndex. */
  errors: number[];
  retried: number;
  retries: number;
  skipped: number;
  /** Exact, over successful transactions; latencyMinUs is Infinity while ok = 0. */
  latencySumUs: number;
  latencyMinUs: number;
  latencyMaxUs: number;
  lagSumUs: number;
  lagMaxUs: number;
  serviceSumUs: number;
  latency: Histogram;
  lag: Histogram;
  service: Histogram;
}

export interface TypeTotals extends TxnTotals {
  readonly name: string;
  /** Sparse histograms (statement-histogram.ts): a script may have 550,000 statements. */
  readonly statements: { readonly sql: string; readonly latency: StatementHistogram; failed: number }[];
}

/** Cumulative totals over the measured phase. A live view: read it, do not mutate it. */
export interface Totals extends TxnTotals {
  arrivals: number;
  dropped: number;
  unfinished: number;
  /**
   * Unfinished transactions' waits so far at the stop (µs): right-censored latencies, exact
   * sum/min/max (min Infinity while none) and their histogram. Kept apart from `latency` (which
   * holds successful transactions); the result merges both into the run's latency figures.
   */
  unfinishedWaitSumUs: number;
  unfinishedWaitMinUs: number;
  unfinishedWaitMaxUs: number;
  unfinishedWait: Histogram;
  connects: number;
  reconnects: number;
  /** Connection set-up times, µs. */
  connect: Histogram;
  /** By FailureIndex: the first message seen for the class, or null. */
  firstErrors: (string | null)[];
  types: TypeTotals[];
}

/** What one interval shows (all transaction types together). Latencies in ms, null when ok = 0. */
export interface IntervalStats {
  readonly index: number;
  /** Start of the interval, seconds from the start of the measured phase (index × intervalMs). */
  readonly tS: number;
  readonly durationMs: number;
  /** Snapshots merged into this interval (0 for an interval nobody reported). */
  readonly reports: number;
  /** Worker threads whose figures for this interval are missing (lost or stuck; 0 normally). */
  readonly missingWorkers: number;
  readonly arrivals: number;
  readonly ok: number;
  readonly failed: number;
  /** By FailureIndex. */
  readonly errors: readonly number[];
  readonly retried: number;
  readonly retries: number;
  readonly skipped: number;
  readonly dropped: number;
  readonly unfinished: number;
  /** Successful transactions per second of the interval. */
  readonly tps: number;
  readonly latencyMs: IntervalLatencyMs;
  readonly lagMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
  /**
   * Each transaction type's share of the interval, indexed like MetricsLayout.txnTypes (always one
   * per type, also for a single type). Latencies come from the type's merged interval histogram.
   */
  readonly types: readonly IntervalTypeStats[];
}

/** One transaction type in one interval: outcomes and latency of its successful transactions. */
export interface IntervalTypeStats {
  readonly name: string;
  readonly ok: number;
  readonly failed: number;
  /** By FailureIndex. */
  readonly errors: readonly number[];
  /** Successful transactions of the type per second of the interval. */
  readonly tps: number;
  readonly latencyMs: IntervalLatencyMs;
}

export interface IntervalLatencyMs {
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

interface Pending extends TxnTotals {
  arrivals: number;
  dropped: number;
  unfinished: number;
  reports: number;
  /** Per type (indexed like the layout; empty for a single type); only counts and the latency histogram are kept. */
  types: TxnTotals[];
}

function newTxnTotals(kind: 'interval' | 'total'): TxnTotals {
  return {
    ok: 0,
    failed: 0,
    errors: new Array<number>(FAILURE_CLASSES.length).fill(0),
    retried: 0,
    retries: 0,
    skipped: 0,
    latencySumUs: 0,
    latencyMinUs: Infinity,
    latencyMaxUs: 0,
    lagSumUs: 0,
    lagMaxUs: 0,
    serviceSumUs: 0,
    latency: newHistogram(kind),
    lag: newHistogram(kind),
    service: newHistogram(kind),
  };
}

function resetTxnTotals(a: TxnTotals): void {
  a.ok = a.failed = a.retried = a.retries = a.skipped = 0;
  a.errors.fill(0);
  a.latencySumUs = a.latencyMaxUs = a.lagSumUs = a.lagMaxUs = a.serviceSumUs = 0;
  a.latencyMinUs = Infinity;
  a.latency.reset();
  a.lag.reset();
  a.service.reset();
}

/** Adds the counters of one type snapshot (histograms are added by the caller, decoded once). */
function addCounts(into: TxnTotals, t: TypeSnapshot): void {
  into.ok += t.ok;
  for (let i = 0; i < into.errors.length; i++) {
    const n = t.errors[i] ?? 0;
    into.errors[i]! += n;
    into.failed += n;
  }
  into.retried += t.retried;
  into.retries += t.retries;
  into.skipped += t.skipped;
  into.latencySumUs += t.latencySumUs;
  if (t.ok > 0) {
    into.latencyMinUs = Math.min(into.latencyMinUs, t.latencyMinUs);
    into.latencyMaxUs = Math.max(into.latencyMaxUs, t.latencyMaxUs);
  }
  into.lagSumUs += t.lagSumUs;
  into.lagMaxUs = Math.max(into.lagMaxUs, t.lagMaxUs);
  into.serviceSumUs += t.serviceSumUs;
}

export class Aggregator {
  private readonly intervalMs: number;
  private readonly workers: number;
  /** Last interval each worker reported; +Infinity once it sent its final snapshot. */
  private readonly lastByWorker: number[];
  /** Workers that ended without their final snapshot: no interval waits for them. */
  private readonly lost: boolean[];
  private readonly pending = new Map<number, Pending>();
  private readonly pool: Pending[] = [];
  private nextIndex = 0;
  private maxSeen = -1;
  private readonly total: Totals;
  /** The timeline, kept compactly until the result is written. */
  private readonly emitted = new CompactLog<IntervalStats>();
  /** Where each snapshot histogram is decoded before it is added (decodeInto); valid until the next decode. */
  private readonly scratch = newHistogram('total');
  private readonly typeNames: readonly string[];
  /** For the statement log: statement number (over all types) → its type, and each type's first number. */
  private readonly stmtType: Int32Array;
  private readonly stmtBase: Int32Array;

  constructor(layout: MetricsLayout, opts: { workers: number; intervalMs: number }) {
    if (!(opts.workers >= 1) || !(opts.intervalMs > 0)) {
      throw new RangeError(`Aggregator: workers must be ≥ 1 and intervalMs > 0 (got ${opts.workers}, ${opts.intervalMs})`);
    }
    this.workers = opts.workers;
    this.intervalMs = opts.intervalMs;
    this.lastByWorker = new Array<number>(opts.workers).fill(-1);
    this.lost = new Array<boolean>(opts.workers).fill(false);
    this.typeNames = layout.txnTypes.map((t) => t.name);
    this.stmtBase = new Int32Array(layout.txnTypes.length);
    this.stmtType = new Int32Array(layout.txnTypes.reduce((n, t) => n + t.statements.length, 0));
    let stmts = 0;
    layout.txnTypes.forEach((t, i) => {
      this.stmtBase[i] = stmts;
      this.stmtType.fill(i, stmts, stmts + t.statements.length);
      stmts += t.statements.length;
    });
    this.total = {
      ...newTxnTotals('total'),
      arrivals: 0,
      dropped: 0,
      unfinished: 0,
      unfinishedWaitSumUs: 0,
      unfinishedWaitMinUs: Infinity,
      unfinishedWaitMaxUs: 0,
      unfinishedWait: newHistogram('total'),
      connects: 0,
      reconnects: 0,
      connect: newHistogram('total'),
      firstErrors: new Array<string | null>(FAILURE_CLASSES.length).fill(null),
      types: layout.txnTypes.map((t) => ({
        ...newTxnTotals('total'),
        name: t.name,
        statements: t.statements.map((sql) => ({ sql, latency: new StatementHistogram(), failed: 0 })),
      })),
    };
  }

  /** Merges a snapshot; returns the intervals it completed, in order (possibly none). */
  add(s: IntervalSnapshot): IntervalStats[] {
    if (!Number.isInteger(s.worker) || s.worker < 0 || s.worker >= this.workers) {
      throw new RangeError(`Aggregator: snapshot from unknown worker ${s.worker} (workers: ${this.workers})`);
    }
    if (s.interval < this.nextIndex) {
      // Already emitted (a worker was declared late by finish()); count it in the totals only.
      this.mergeTotals(s);
      return [];
    }
    const p = this.pendingFor(s.interval);
    p.reports += 1;
    p.arrivals += s.arrivals;
    p.dropped += s.dropped;
    p.unfinished += s.unfinished;
    this.mergeTotals(s, p);
    this.maxSeen = Math.max(this.maxSeen, s.interval);
    this.lastByWorker[s.worker] = s.final ? Infinity : Math.max(this.lastByWorker[s.worker]!, s.interval);
    return this.emitThrough(this.readyThrough());
  }

  /** The last interval every worker still reporting has reported. */
  private readyThrough(): number {
    let ready = Infinity;
    this.lastByWorker.forEach((last, w) => {
      if (!this.lost[w]) ready = Math.min(ready, last);
    });
    return ready === Infinity ? this.maxSeen : ready;
  }

  /**
   * Worker `w` ended without its final snapshot: the intervals go on without it (each one after
   * its last report counts it in missingWorkers). Returns the intervals that waited only for it.
   */
  workerLost(w: number): IntervalStats[] {
    if (this.lost[w] === true || this.lastByWorker[w] === Infinity) return [];
    this.lost[w] = true;
    return this.emitThrough(this.readyThrough());
  }

  /**
   * Emit every interval up to `index` now, whether or not every worker has reported it: for a
   * caller whose clock says a worker is overdue (stuck in code that never returns). Returns them.
   */
  emitDue(index: number): IntervalStats[] {
    return this.emitThrough(Math.max(index, this.readyThrough()));
  }

  /** Emits every interval still waiting (e.g. a worker died); returns them in order. */
  finish(): IntervalStats[] {
    return this.emitThrough(this.maxSeen);
  }

  totals(): Totals {
    return this.total;
  }

  /** Every interval emitted so far, in order. */
  intervals(): readonly IntervalStats[] {
    return this.emitted.toArray();
  }

  private mergeTotals(s: IntervalSnapshot, p?: Pending): void {
    const tot = this.total;
    tot.arrivals += s.arrivals;
    tot.dropped += s.dropped;
    tot.unfinished += s.unfinished;
    if (s.unfinished > 0) {
      tot.unfinishedWaitSumUs += s.unfinishedWaitSumUs;
      tot.unfinishedWaitMinUs = Math.min(tot.unfinishedWaitMinUs, s.unfinishedWaitMinUs);
      tot.unfinishedWaitMaxUs = Math.max(tot.unfinishedWaitMaxUs, s.unfinishedWaitMaxUs);
      if (s.unfinishedWait !== null) tot.unfinishedWait.add(decodeInto(this.scratch, s.unfinishedWait));
    }
    tot.connects += s.connects;
    tot.reconnects += s.reconnects;
    if (s.connect !== null) tot.connect.add(decodeInto(this.scratch, s.connect));
    s.firstErrors.forEach((msg, i) => {
      if (msg !== null && tot.firstErrors[i] === null) tot.firstErrors[i] = msg;
    });
    s.types.forEach((ts, t) => {
      const tt = tot.types[t];
      if (tt === undefined) throw new RangeError(`Aggregator: snapshot has transaction type ${t}, layout has ${tot.types.length}`);
      addCounts(tt, ts);
      addCounts(tot, ts);
      const pt = p?.types[t];
      if (p !== undefined) addCounts(p, ts);
      if (pt !== undefined) addCounts(pt, ts);
      for (const [field, enc] of [
        ['latency', ts.latency],
        ['lag', ts.lag],
        ['service', ts.service],
      ] as const) {
        if (enc === null) continue;
        const h = decodeInto(this.scratch, enc); // decoded once, added three or four times
        tt[field].add(h);
        tot[field].add(h);
        p?.[field].add(h);
        // Per type and interval only latency is shown; lag and service stay run-wide.
        if (field === 'latency') pt?.latency.add(h);
      }
      for (const st of ts.statements) {
        const target = tt.statements[st.index];
        if (target === undefined) continue;
        if (st.latency !== null) target.latency.addHistogram(decodeInto(this.scratch, st.latency));
        target.failed += st.failed;
      }
    });
    if (s.statementLog !== null) this.addStatementLog(s.statementLog);
  }

  /** A local worker's per-statement executions (snapshot.ts, statementLog) into the totals. */
  private addStatementLog(log: Float64Array): void {
    const types = this.total.types;
    for (let k = 0; k + 1 < log.length; k += 2) {
      const n = log[k]!;
      const t = this.stmtType[n];
      if (t === undefined) throw new RangeError(`Aggregator: snapshot has statement ${n}, layout has ${this.stmtType.length}`);
      const target = types[t]!.statements[n - this.stmtBase[t]!]!;
      const us = log[k + 1]!;
      if (us < 0) target.failed += 1;
      else target.latency.recordValue(us);
    }
  }

  private pendingFor(index: number): Pending {
    let p = this.pending.get(index);
    if (p === undefined) {
      p = this.pool.pop() ?? {
        ...newTxnTotals('interval'),
        arrivals: 0,
        dropped: 0,
        unfinished: 0,
        reports: 0,
        // With one type the interval's own figures are the type's: no second histogram to keep.
        types: this.typeNames.length > 1 ? this.typeNames.map(() => newTxnTotals('interval')) : [],
      };
      this.pending.set(index, p);
    }
    return p;
  }

  private emitThrough(lastIndex: number): IntervalStats[] {
    const out: IntervalStats[] = [];
    for (; this.nextIndex <= lastIndex; this.nextIndex++) {
      const p = this.pending.get(this.nextIndex);
      const stats = this.statsOf(this.nextIndex, p);
      if (p !== undefined) {
        this.pending.delete(this.nextIndex);
        resetTxnTotals(p);
        p.types.forEach(resetTxnTotals);
        p.arrivals = p.dropped = p.unfinished = p.reports = 0;
        this.pool.push(p);
      }
      out.push(stats);
      this.emitted.push(stats);
    }
    return out;
  }

  private statsOf(index: number, p: Pending | undefined): IntervalStats {
    const ok = p?.ok ?? 0;
    const ms = (h: Histogram | undefined, pct: number, maxUs: number): number | null =>
      h === undefined || ok === 0 ? null : usToMs(percentileUs(h, pct, maxUs));
    const latMax = p?.latencyMaxUs ?? 0;
    const lagMax = p?.lagMaxUs ?? 0;
    const lenS = this.intervalMs / 1000;
    const failed = p?.failed ?? 0;
    const errors = p === undefined ? new Array<number>(FAILURE_CLASSES.length).fill(0) : p.errors.slice();
    const latencyMs: IntervalLatencyMs = {
      mean: p === undefined || ok === 0 ? null : usToMs(p.latencySumUs / ok),
      p50: ms(p?.latency, 50, latMax),
      p90: ms(p?.latency, 90, latMax),
      p95: ms(p?.latency, 95, latMax),
      p99: ms(p?.latency, 99, latMax),
      max: ok === 0 ? null : usToMs(latMax),
    };
    const tps = ok / lenS;
    const several = this.typeNames.length > 1;
    return {
      index,
      tS: (index * this.intervalMs) / 1000,
      durationMs: this.intervalMs,
      reports: p?.reports ?? 0,
      missingWorkers: this.lastByWorker.filter((last) => last < index).length,
      arrivals: p?.arrivals ?? 0,
      ok,
      failed,
      errors,
      retried: p?.retried ?? 0,
      retries: p?.retries ?? 0,
      skipped: p?.skipped ?? 0,
      dropped: p?.dropped ?? 0,
      unfinished: p?.unfinished ?? 0,
      tps,
      latencyMs,
      lagMs: {
        p50: ms(p?.lag, 50, lagMax),
        p99: ms(p?.lag, 99, lagMax),
        max: ok === 0 ? null : usToMs(lagMax),
      },
      types: this.typeNames.map((name, t) => (several ? typeStatsOf(name, p?.types[t], lenS) : { name, ok, failed, errors: errors.slice(), tps, latencyMs })),
    };
  }
}

function typeStatsOf(name: string, t: TxnTotals | undefined, lenS: number): IntervalTypeStats {
  const ok = t?.ok ?? 0;
  const maxUs = t?.latencyMaxUs ?? 0;
  const ms = (pct: number): number | null => (t === undefined || ok === 0 ? null : usToMs(percentileUs(t.latency, pct, maxUs)));
  return {
    name,
    ok,
    failed: t?.failed ?? 0,
    errors: t === undefined ? new Array<number>(FAILURE_CLASSES.length).fill(0) : t.errors.slice(),
    tps: ok / lenS,
    latencyMs: {
      mean: t === undefined || ok === 0 ? null : usToMs(t.latencySumUs / ok),
      p50: ms(50),
      p90: ms(90),
      p95: ms(95),
      p99: ms(99),
      max: ok === 0 ? null : usToMs(maxUs),
    },
  };
}
