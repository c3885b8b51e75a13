/**
 * The HA module's TxnOutcomeSink: one per worker thread. It keeps, compactly,
 *
 * - outage windows per client: from the first failed or unknown *write* to the client's first
 *   acknowledged write after it (reads neither open nor close a window), with the errors by class
 *   the client saw inside it and the first successful read (by any client of this worker) that
 *   started after the window opened;
 * - reconnect times per client;
 * - the write ledger: per (client, transaction type), the outcome of every write id as 2 bits in a
 *   growable byte array (0 none, 1 ok, 2 failed, 3 unknown), so an hour-long run at 10k writes/s
 *   costs about 9 MB, not millions of objects.
 *
 * Counting rules (documented in README "Failover runs"):
 * - A transaction type is a *read* when its program says so (TxnProgram.read: a module's
 *   `read: true`, else src/workload/read-only.ts: only SELECTs without FOR UPDATE/SHARE).
 * - Only failures that say "the server is not there for writes" open a window: unknown outcomes and
 *   the classes connection, timeout, read_only and capacity. A serialization failure, a deadlock or a
 *   constraint violation is the server working, not an outage.
 * - A failed write of class connection or timeout is recorded as *unknown* in the ledger: the
 *   connection went away, so whether it committed is not known (57P01 during a commit is the case).
 * - A window starts at max(the write's scheduled time, the client's previous finish): the failure
 *   cannot have begun before the client's previous transaction ended.
 *
 * Hot path (`txn`): typed arrays and preallocated state only; objects are made when a window opens,
 * a ledger array grows (doubling), or a client reconnects — events, not transactions.
 */
import { FAILURE_CLASSES, FailureIndex } from '../metrics/types.js';
import { Outcome, type TxnOutcomeSink } from './types.js';

const FAILURE_COUNT = FAILURE_CLASSES.length;
/** Windows kept per worker; beyond this only their count grows (a flapping server). */
const MAX_WINDOWS = 10_000;
/**
 * An acknowledged write that waited this long with no other write of the worker acknowledged is a
 * stall: the server (or a pooler holding the clients, as PgBouncer does through a failover) took
 * the writes and answered none. Far above a healthy write's latency on a server that keeps up.
 */
export const STALL_MIN_US = 250_000;
/** Reconnect durations kept per client for percentiles; count and max stay exact beyond it. */
const MAX_RECONNECTS_KEPT = 512;

export interface WindowRecord {
  clientId: number;
  startUs: number;
  /** -1 while open (still open at the end of the run: the client never wrote again). */
  endUs: number;
  /** First successful read that started after startUs (any client of this worker), -1 if none. */
  firstReadUs: number;
  /** Failures by class (FAILURE_CLASSES order) of this client inside the window. */
  errors: number[];
}

/** A span of µs. */
export interface Span {
  readonly startUs: number;
  readonly endUs: number;
}

/** An acknowledged write that took at least STALL_MIN_US from its start to its acknowledgement. */
export interface HungWrite extends Span {
  readonly clientId: number;
}

export interface LedgerEntry {
  readonly clientId: number;
  /** Transaction type (index in the run's layout). */
  readonly type: number;
  /** Highest write id reported. */
  readonly maxId: number;
  /** 2 bits per id, id i at byte i>>2, bits (i&3)*2: 0 none, 1 ok, 2 failed, 3 unknown. */
  readonly bits: Uint8Array;
}

export interface ClientReconnects {
  readonly clientId: number;
  readonly count: number;
  readonly maxUs: number;
  /** Up to MAX_RECONNECTS_KEPT durations, µs. */
  readonly durationsUs: number[];
}

/** What a worker hands to the main thread at the end (structured-clone data). */
export interface HaSinkSnapshot {
  readonly kind: 'pgsurge.ha/v1';
  readonly windows: WindowRecord[];
  readonly windowsDropped: number;
  /**
   * Spans of at least STALL_MIN_US in which a write of this worker hung and none of its writes was
   * acknowledged (disjoint, in order), and the writes that hung that long. Absent in older snapshots.
   */
  readonly stalls?: Span[];
  readonly hung?: HungWrite[];
  /** Writes this worker had acknowledged (a worker without any has no say in a stall). */
  readonly acks?: number;
  readonly reconnects: ClientReconnects[];
  readonly reconnectHosts: Record<string, number>;
  readonly ledger: LedgerEntry[];
  /** Per type of this worker: [type, ok, failed, unknown] outcomes of writes (ledger or not). */
  readonly outcomes: [number, number, number, number][];
}

export interface HaSinkOptions {
  readonly clientIds: readonly number[];
  /** First transaction type of this worker and whether each of its types only reads. */
  readonly typeOffset: number;
  readonly readTypes: readonly boolean[];
}

export class HaOutcomeSink implements TxnOutcomeSink {
  private readonly baseId: number;
  /** clientId - baseId → local slot (-1: not ours). */
  private readonly slotOf: Int32Array;
  private readonly clientIds: readonly number[];
  private readonly typeOffset: number;
  private readonly types: number;
  private readonly isRead: Uint8Array;
  private readonly lastEndUs: Float64Array;
  private readonly open: (WindowRecord | null)[];
  private readonly windows: WindowRecord[] = [];
  private windowsDropped = 0;
  private readonly stalls: Span[] = [];
  private readonly hung: HungWrite[] = [];
  /** End of the latest acknowledged write of this worker, µs (-1: none yet). */
  private lastAckUs = -1;
  private acks = 0;
  /** Windows still waiting for their first successful read. */
  private readonly readPending: WindowRecord[] = [];
  private readonly bits: (Uint8Array | null)[];
  private readonly maxId: Int32Array;
  /** [local type × 3 + outcome] counts of writes. */
  private readonly counts: Float64Array;
  private readonly reconnectCount: Uint32Array;
  private readonly reconnectMaxUs: Float64Array;
  private readonly reconnectDurations: number[][];
  private readonly hosts = new Map<string, number>();
  /** Windows or reconnects changed since the last liveSnapshot (set off the ok path only). */
  private changed = false;

  constructor(opts: HaSinkOptions) {
    const ids = opts.clientIds;
    this.clientIds = ids;
    this.baseId = ids.length === 0 ? 0 : Math.min(...ids);
    const span = ids.length === 0 ? 0 : Math.max(...ids) - this.baseId + 1;
    this.slotOf = new Int32Array(span).fill(-1);
    ids.forEach((id, i) => (this.slotOf[id - this.baseId] = i));
    this.typeOffset = opts.typeOffset;
    this.types = opts.readTypes.length;
    this.isRead = Uint8Array.from(opts.readTypes, (r) => (r ? 1 : 0));
    const n = ids.length;
    this.lastEndUs = new Float64Array(n).fill(-1);
    this.open = new Array<WindowRecord | null>(n).fill(null);
    this.bits = new Array<Uint8Array | null>(n * this.types).fill(null);
    this.maxId = new Int32Array(n * this.types).fill(-1);
    this.counts = new Float64Array(this.types * 3);
    this.reconnectCount = new Uint32Array(n);
    this.reconnectMaxUs = new Float64Array(n);
    this.reconnectDurations = ids.map(() => []);
  }

  txn(clientId: number, type: number, outcome: Outcome, failure: FailureIndex | -1, scheduledUs: number, endUs: number, writeId: number): void {
    const slot = this.slotOf[clientId - this.baseId] ?? -1;
    const local = type - this.typeOffset;
    if (slot < 0 || local < 0 || local >= this.types) return;
    let o = outcome;
    // The connection went away: whether the write committed is unknown (see the counting rules).
    if (o === Outcome.Failed && (failure === FailureIndex.Connection || failure === FailureIndex.Timeout)) o = Outcome.Unknown;
    const startUs = Math.max(scheduledUs, this.lastEndUs[slot]!);
    this.lastEndUs[slot] = endUs;
    const w = this.open[slot]!;
    if (this.isRead[local] === 1) {
      if (o === Outcome.Ok) {
        if (this.readPending.length > 0) this.noteRead(scheduledUs, endUs);
      } else if (w !== null && failure >= 0) {
        w.errors[failure]!++;
        this.changed = true;
      }
      return;
    }
    this.counts[local * 3 + o]!++;
    if (writeId >= 0) this.record(slot * this.types + local, writeId, o);
    if (o === Outcome.Ok) {
      // A write that hung while no other write of this worker was acknowledged: a stall.
      // (Writes are told here in the order they end: no write of this worker ended after lastAckUs.)
      // Only once a write was acknowledged: before that nothing was lost, and slow first writes (a
      // pooler filling its caches, connections warming up) are not an outage.
      const from = Math.max(startUs, this.lastAckUs);
      if (this.lastAckUs >= 0 && endUs - from >= STALL_MIN_US && this.stalls.length < MAX_WINDOWS) {
        this.stalls.push({ startUs: from, endUs });
        this.changed = true;
      }
      if (endUs - startUs >= STALL_MIN_US && this.hung.length < MAX_WINDOWS) {
        this.hung.push({ clientId, startUs, endUs });
        this.changed = true;
      }
      if (endUs > this.lastAckUs) this.lastAckUs = endUs;
      this.acks++;
      if (w !== null) {
        w.endUs = endUs;
        this.open[slot] = null;
        this.changed = true;
      }
      return;
    }
    if (w !== null) {
      if (failure >= 0) w.errors[failure]!++;
      this.changed = true;
      return;
    }
    if (o === Outcome.Unknown || failure === FailureIndex.ReadOnly || failure === FailureIndex.Capacity) this.openWindow(slot, clientId, startUs, failure);
  }

  reconnected(clientId: number, lostUs: number, backUs: number, host: string): void {
    const slot = this.slotOf[clientId - this.baseId] ?? -1;
    if (slot < 0) return;
    const d = backUs - lostUs;
    this.reconnectCount[slot]!++;
    if (d > this.reconnectMaxUs[slot]!) this.reconnectMaxUs[slot] = d;
    const kept = this.reconnectDurations[slot]!;
    if (kept.length < MAX_RECONNECTS_KEPT) kept.push(d);
    this.hosts.set(host, (this.hosts.get(host) ?? 0) + 1);
    this.changed = true;
  }

  /**
   * The outages and reconnects so far, for the live view: undefined when nothing changed since the
   * last call (a run without faults sends nothing). No ledger and no write counts: those are for
   * the end (`snapshot`), and the ledger grows with every write.
   */
  liveSnapshot(): HaSinkSnapshot | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    return { ...this.windowsAndReconnects(), ledger: [], outcomes: [] };
  }

  snapshot(): HaSinkSnapshot {
    const ledger: LedgerEntry[] = [];
    for (let k = 0; k < this.bits.length; k++) {
      const b = this.bits[k];
      const max = this.maxId[k]!;
      if (b === null || b === undefined || max < 0) continue;
      const slot = Math.floor(k / this.types);
      ledger.push({ clientId: this.clientIds[slot]!, type: this.typeOffset + (k % this.types), maxId: max, bits: b.slice(0, (max >> 2) + 1) });
    }
    const outcomes: [number, number, number, number][] = [];
    for (let t = 0; t < this.types; t++) {
      if (this.isRead[t] === 1) continue;
      outcomes.push([this.typeOffset + t, this.counts[t * 3]!, this.counts[t * 3 + 1]!, this.counts[t * 3 + 2]!]);
    }
    return { ...this.windowsAndReconnects(), ledger, outcomes };
  }

  private windowsAndReconnects(): Omit<HaSinkSnapshot, 'ledger' | 'outcomes'> {
    return {
      kind: 'pgsurge.ha/v1',
      windows: this.windows,
      windowsDropped: this.windowsDropped,
      stalls: this.stalls,
      hung: this.hung,
      acks: this.acks,
      reconnects: this.clientIds
        .map((clientId, i) => ({ clientId, count: this.reconnectCount[i]!, maxUs: this.reconnectMaxUs[i]!, durationsUs: this.reconnectDurations[i]! }))
        .filter((r) => r.count > 0),
      reconnectHosts: Object.fromEntries(this.hosts),
    };
  }

  private openWindow(slot: number, clientId: number, startUs: number, failure: FailureIndex | -1): void {
    if (this.windows.length >= MAX_WINDOWS) {
      this.windowsDropped++;
      return;
    }
    const w: WindowRecord = { clientId, startUs, endUs: -1, firstReadUs: -1, errors: new Array<number>(FAILURE_COUNT).fill(0) };
    if (failure >= 0) w.errors[failure]!++;
    this.windows.push(w);
    this.open[slot] = w;
    this.readPending.push(w);
    this.changed = true;
  }

  /** A read succeeded: it is the first read for every pending window it started after. */
  private noteRead(scheduledUs: number, endUs: number): void {
    const pending = this.readPending;
    for (let i = pending.length - 1; i >= 0; i--) {
      const w = pending[i]!;
      if (scheduledUs < w.startUs) continue;
      w.firstReadUs = endUs;
      pending[i] = pending[pending.length - 1]!;
      pending.pop();
      this.changed = true;
    }
  }

  private record(k: number, id: number, o: Outcome): void {
    let b = this.bits[k] ?? null;
    const byte = id >> 2;
    if (b === null || byte >= b.length) {
      // Doubling keeps growth to O(log n) allocations for the whole run.
      const grown = new Uint8Array(Math.max(64, (byte + 1) * 2, b === null ? 0 : b.length * 2));
      if (b !== null) grown.set(b);
      b = grown;
      this.bits[k] = b;
    }
    const shift = (id & 3) * 2;
    b[byte] = (b[byte]! & ~(3 << shift)) | ((o + 1) << shift);
    if (id > this.maxId[k]!) this.maxId[k] = id;
  }
}

/** The 2-bit code of write `id` in a ledger entry (0 none, 1 ok, 2 failed, 3 unknown). */
export function ledgerCode(e: { readonly bits: Uint8Array }, id: number): number {
  const byte = e.bits[id >> 2];
  return byte === undefined ? 0 : (byte >> ((id & 3) * 2)) & 3;
}
