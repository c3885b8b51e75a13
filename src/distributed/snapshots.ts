/**
 * Interval snapshots between processes: the engine's IntervalSnapshot (histograms as HDR bytes)
 * to and from its wire form (histograms as base64 of the same bytes; shard-schema.ts), and the
 * merge of snapshots of one interval into one. Counters add; extremes take the min or max;
 * histograms add bucket by bucket, so nothing is approximated on the way.
 */
import { compressedBytes, decodeBytes, newHistogram, type HistogramBytes } from '../metrics/histogram.js';
import type { IntervalSnapshot, StatementSnapshot, TypeSnapshot } from '../metrics/snapshot.js';
import { StatementHistogram } from '../metrics/statement-histogram.js';
import type { WireSnapshot, WireType } from '../report/shard-schema.js';

const toBase64 = (b: HistogramBytes): string | null => (b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'));
const fromBase64 = (s: string | null): HistogramBytes => (s === null ? null : new Uint8Array(Buffer.from(s, 'base64')));

function typeToWire(t: TypeSnapshot): WireType {
  return {
    ...t,
    errors: [...t.errors],
    latency: toBase64(t.latency),
    lag: toBase64(t.lag),
    service: toBase64(t.service),
    statements: t.statements.map((x) => ({ i: x.index, latency: toBase64(x.latency), failed: x.failed })),
  };
}

function typeFromWire(t: WireType): TypeSnapshot {
  return {
    ...t,
    latency: fromBase64(t.latency),
    lag: fromBase64(t.lag),
    service: fromBase64(t.service),
    // Entries without `i` are positional (one per statement, as earlier versions wrote them).
    statements: t.statements
      .map((x, pos) => ({ index: x.i ?? pos, latency: fromBase64(x.latency), failed: x.failed }))
      .filter((x) => x.latency !== null || x.failed > 0),
  };
}

export function toWire(s: IntervalSnapshot): WireSnapshot {
  return {
    interval: s.interval,
    arrivals: s.arrivals,
    dropped: s.dropped,
    unfinished: s.unfinished,
    unfinishedWaitSumUs: s.unfinishedWaitSumUs,
    unfinishedWaitMinUs: s.unfinishedWaitMinUs,
    unfinishedWaitMaxUs: s.unfinishedWaitMaxUs,
    unfinishedWait: toBase64(s.unfinishedWait),
    connects: s.connects,
    reconnects: s.reconnects,
    connect: toBase64(s.connect),
    types: s.types.map(typeToWire),
    firstErrors: [...s.firstErrors],
  };
}

/** The engine's snapshot of a wire snapshot, as worker `worker` of an aggregator. */
export function fromWire(w: WireSnapshot, worker: number, final: boolean): IntervalSnapshot {
  return {
    v: 1,
    worker,
    interval: w.interval,
    final,
    arrivals: w.arrivals,
    dropped: w.dropped,
    unfinished: w.unfinished,
    unfinishedWaitSumUs: w.unfinishedWaitSumUs,
    unfinishedWaitMinUs: w.unfinishedWaitMinUs,
    unfinishedWaitMaxUs: w.unfinishedWaitMaxUs,
    unfinishedWait: fromBase64(w.unfinishedWait),
    connects: w.connects,
    reconnects: w.reconnects,
    connect: fromBase64(w.connect),
    types: w.types.map(typeFromWire),
    firstErrors: w.firstErrors,
    statementLog: null,
  };
}

/** a + b, in HDR's compressed encoding (null: empty); either may come plain (a worker's) or compressed. */
function addHist(a: HistogramBytes, b: HistogramBytes): HistogramBytes {
  if (a === null && b === null) return null;
  const h = newHistogram('total');
  if (a !== null) h.add(decodeBytes(a));
  if (b !== null) h.add(decodeBytes(b));
  return compressedBytes(h);
}

/** min over the parts that have something (0 stands for "none" in a snapshot's min/max). */
const minOfSome = (a: number, aHas: boolean, b: number, bHas: boolean): number => (aHas && bHas ? Math.min(a, b) : aHas ? a : bHas ? b : 0);

/** The named counters of a and b added. */
function sums<K extends string>(a: Readonly<Record<K, number>>, b: Readonly<Record<K, number>>, keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = a[k] + b[k];
  return out;
}

function addType(a: TypeSnapshot, b: TypeSnapshot): TypeSnapshot {
  const width = Math.max(a.errors.length, b.errors.length);
  return {
    ...sums(a, b, ['ok', 'retried', 'retries', 'skipped', 'latencySumUs', 'lagSumUs', 'serviceSumUs']),
    errors: Array.from({ length: width }, (_, i) => (a.errors[i] ?? 0) + (b.errors[i] ?? 0)),
    latencyMinUs: minOfSome(a.latencyMinUs, a.ok > 0, b.latencyMinUs, b.ok > 0),
    latencyMaxUs: Math.max(a.latencyMaxUs, b.latencyMaxUs),
    lagMaxUs: Math.max(a.lagMaxUs, b.lagMaxUs),
    latency: addHist(a.latency, b.latency),
    lag: addHist(a.lag, b.lag),
    service: addHist(a.service, b.service),
    statements: addStatements(a.statements, b.statements),
  };
}

/** Two sparse statement lists (ascending by index) as one. */
function addStatements(a: readonly StatementSnapshot[], b: readonly StatementSnapshot[]): StatementSnapshot[] {
  if (b.length === 0) return [...a];
  if (a.length === 0) return [...b];
  const byIndex = new Map<number, StatementSnapshot>();
  for (const s of [...a, ...b]) {
    const had = byIndex.get(s.index);
    byIndex.set(s.index, had === undefined ? s : { index: s.index, latency: addHist(had.latency, s.latency), failed: had.failed + s.failed });
  }
  return [...byIndex.values()].sort((x, y) => x.index - y.index);
}

/**
 * A local worker's snapshot with its statement log (snapshot.ts) turned into per-type statement
 * histograms, the form other processes read. `statementCounts`: statements per type, layout order.
 */
export function withLoggedStatements(s: IntervalSnapshot, statementCounts: readonly number[]): IntervalSnapshot {
  const log = s.statementLog;
  if (log === null) return s;
  const byNumber = new Map<number, { h: StatementHistogram; failed: number }>();
  for (let k = 0; k + 1 < log.length; k += 2) {
    const n = log[k]!;
    let e = byNumber.get(n);
    if (e === undefined) byNumber.set(n, (e = { h: new StatementHistogram(), failed: 0 }));
    const us = log[k + 1]!;
    if (us < 0) e.failed += 1;
    else e.h.recordValue(us);
  }
  const perType: StatementSnapshot[][] = statementCounts.map(() => []);
  const numbers = [...byNumber.keys()].sort((x, y) => x - y);
  let t = 0;
  let base = 0;
  for (const n of numbers) {
    while (t < statementCounts.length && n >= base + statementCounts[t]!) base += statementCounts[t++]!;
    const e = byNumber.get(n)!;
    perType[t]?.push({ index: n - base, latency: e.h.totalCount === 0 ? null : compressedBytes(e.h.toHistogram()), failed: e.failed });
  }
  return {
    ...s,
    types: s.types.map((ts, i) => ({ ...ts, statements: addStatements(ts.statements, perType[i] ?? []) })),
    statementLog: null,
  };
}

/** Two snapshots of the same interval as one (worker and final taken from `a`). */
export function addSnapshots(a: IntervalSnapshot, b: IntervalSnapshot): IntervalSnapshot {
  if (a.interval !== b.interval) throw new RangeError(`addSnapshots: intervals ${a.interval} and ${b.interval}`);
  if (a.types.length !== b.types.length) throw new RangeError(`addSnapshots: ${a.types.length} and ${b.types.length} transaction types`);
  return {
    ...a,
    ...sums(a, b, ['arrivals', 'dropped', 'unfinished', 'unfinishedWaitSumUs', 'connects', 'reconnects']),
    unfinishedWaitMinUs: minOfSome(a.unfinishedWaitMinUs, a.unfinished > 0, b.unfinishedWaitMinUs, b.unfinished > 0),
    unfinishedWaitMaxUs: Math.max(a.unfinishedWaitMaxUs, b.unfinishedWaitMaxUs),
    unfinishedWait: addHist(a.unfinishedWait, b.unfinishedWait),
    connect: addHist(a.connect, b.connect),
    types: a.types.map((t, i) => addType(t, b.types[i]!)),
    firstErrors: a.firstErrors.map((m, i) => m ?? b.firstErrors[i] ?? null),
  };
}

/**
 * Snapshots of several workers (threads, shards) folded into one per interval, ascending. Memory
 * is one merged snapshot per interval (encoded), not one per worker.
 */
export class SnapshotLog {
  private readonly byInterval = new Map<number, IntervalSnapshot>();

  /** `statementCounts`: statements per type (layout order), to read local workers' statement logs. */
  constructor(private readonly statementCounts: readonly number[]) {}

  add(logged: IntervalSnapshot): void {
    const s = withLoggedStatements(logged, this.statementCounts);
    const had =
      this.byInterval.get(s.interval) ??
      emptySnapshot(
        s.interval,
        s.types.map((t) => t.statements.length),
        s.firstErrors.length,
      );
    // Kept compressed: a worker's plain encoding is larger and this lives as long as the run.
    this.byInterval.set(s.interval, addSnapshots(had, s));
  }

  /** One interval's merged snapshot, as it stands (an empty one when nobody reported it). */
  wireOf(interval: number, emptyOf: (interval: number) => IntervalSnapshot): WireSnapshot {
    return toWire(this.byInterval.get(interval) ?? emptyOf(interval));
  }

  /** Every interval from 0 to the last one seen (an interval nobody reported is an empty one). */
  wire(emptyOf: (interval: number) => IntervalSnapshot): WireSnapshot[] {
    const last = Math.max(-1, ...this.byInterval.keys());
    return Array.from({ length: last + 1 }, (_, i) => toWire(this.byInterval.get(i) ?? emptyOf(i)));
  }
}

/** An interval nobody reported: zero counts, empty histograms, for `types` transaction types of these statement counts. */
export function emptySnapshot(interval: number, statements: readonly number[], failureClasses: number): IntervalSnapshot {
  return {
    v: 1,
    worker: 0,
    interval,
    final: false,
    arrivals: 0,
    dropped: 0,
    unfinished: 0,
    unfinishedWaitSumUs: 0,
    unfinishedWaitMinUs: 0,
    unfinishedWaitMaxUs: 0,
    unfinishedWait: null,
    connects: 0,
    reconnects: 0,
    connect: null,
    types: statements.map(() => ({
      ok: 0,
      errors: new Array<number>(failureClasses).fill(0),
      retried: 0,
      retries: 0,
      skipped: 0,
      latencySumUs: 0,
      latencyMinUs: 0,
      latencyMaxUs: 0,
      lagSumUs: 0,
      lagMaxUs: 0,
      serviceSumUs: 0,
      latency: null,
      lag: null,
      service: null,
      statements: [],
    })),
    firstErrors: new Array<string | null>(failureClasses).fill(null),
    statementLog: null,
  };
}
