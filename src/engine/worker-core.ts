/**
 * What one worker thread does, free of worker_threads and real timers so it can be tested with a
 * fake clock: owns its clients, cuts interval snapshots on the grid, re-opens lost connections,
 * times statements out, and stops gracefully. WHEN each transaction starts is its executor's
 * decision (src/executor: closed loop, ramping clients, open rate, think time).
 *
 * Counting rule (DESIGN.md): arrivals = ok + failed + skipped + dropped + unfinished, for everything
 * scheduled in the measured phase; the executor counts arrivals, drops and skips, the clients
 * their outcomes, and the stop what never finished.
 */
import type { Session } from '../driver/types.js';
import type { Clock } from './clock.js';
import type { Recorder } from '../metrics/recorder.js';
import { FailureIndex } from '../metrics/types.js';
import type { IntervalSnapshot } from '../metrics/recorder.js';
import type { TxnProgram } from '../workload/types.js';
import { createExecutor } from '../executor/registry.js';
import { FastRandom } from '../executor/random.js';
import type { Executor, ExecutorHost } from '../executor/types.js';
import { ClientPhase, Client, type ClientOwner } from './client.js';
import { ReadLink } from './read-link.js';
import { HostCounts } from './host-counts.js';
import type { WorkerSettings } from './messages.js';
import type { Timers } from './timers.js';
import type { StopReason, WorkerDoneInfo } from './worker-info.js';
import type { TxnOutcomeSink } from '../ha/types.js';
import type { TxnLog } from './txn-log.js';

export interface WorkerCoreOptions extends WorkerSettings {
  readonly programs: readonly TxnProgram[];
  readonly clock: Clock;
  readonly timers: Timers;
  readonly recorder: Recorder;
  readonly classify: (code: string, message: string) => FailureIndex;
  /** HA: told about every finished transaction and reconnect (null: not measuring failover). */
  readonly outcomes?: TxnOutcomeSink | null;
  /** With several hosts: a 25006 (read-only) makes the client drop its session and find the primary again. */
  readonly rehomeOnReadOnly?: boolean;
  /** Read routing: open a session to a replica for a client (read-only transaction types go there). */
  readonly connectRead?: ((clientId: number) => Promise<Session>) | undefined;
  /** Open a session for a client (initially and after a lost connection). */
  readonly connect: (clientId: number) => Promise<Session>;
  readonly onSnapshot: (s: IntervalSnapshot) => void;
  readonly onDone: (info: WorkerDoneInfo) => void;
  /** --log: every measured transaction, one line each (txn-log.ts). */
  readonly txnLog?: TxnLog | null;
}

const SWEEP_MS = 100;
/**
 * Connections a worker opens at once. Enough that a fast server connects hundreds of clients in
 * well under a second; few enough that, at a server accepting one connection per 20 ms, the last
 * of a lane's attempts waits 8 × 20 ms, not clients × 20 ms (test/integration/connect-pacing).
 */
const CONNECT_IN_FLIGHT = 8;
const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2000;

export class WorkerCore implements ClientOwner, ExecutorHost {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly recorder: Recorder;
  readonly classify: (code: string, message: string) => FailureIndex;
  readonly maxTries: number;
  readonly queryTimeoutUs: number;
  readonly stmtOffset: number[] = [];
  readonly wantsRows: boolean[] = [];
  readonly rollbackStmt: number;
  measureStartUs = Infinity;
  stopping = false;
  readonly typeOffset: number;
  readonly outcomes: TxnOutcomeSink | null;
  readonly txnLog: TxnLog | null;
  readonly rehomeOnReadOnly: boolean;
  readonly readPrograms: boolean[] = [];
  /** Measured transactions per host the clients ran them on. */
  readonly hosts = new HostCounts();
  readonly clients: Client[] = [];
  readonly random: FastRandom;
  readonly seed: number;
  readonly worker: number;
  readonly workers: number;
  readonly clientIdBase: number;
  /** When this worker's load begins (after its scenario's start offset). */
  loadStartUs = 0;
  /** When this worker's load ends (no new transactions after it). */
  endUs = Infinity;

  private readonly executor: Executor;
  private readonly cumWeights: number[] = [];
  /** When the run's interval grid ends. */
  private gridEndUs = Infinity;
  /** The load is over (ended, drained or given up after the grace period); snapshots may go on. */
  private loadDone = false;
  private interval = 0;
  private intervalTimer: unknown = null;
  private sweepTimer: unknown = null;
  private graceTimer: unknown = null;
  private endTimer: unknown = null;
  private readonly reconnectDelayMs = new Map<Client, number>();
  private done = false;
  private stopReason: StopReason = 'duration';

  constructor(private readonly opts: WorkerCoreOptions) {
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.recorder = opts.recorder;
    this.classify = opts.classify;
    this.maxTries = opts.maxTries;
    this.queryTimeoutUs = opts.queryTimeoutMs * 1000;
    this.typeOffset = opts.typeOffset;
    this.outcomes = opts.outcomes ?? null;
    this.txnLog = opts.txnLog ?? null;
    this.rehomeOnReadOnly = opts.rehomeOnReadOnly ?? false;
    this.seed = opts.seed;
    this.worker = opts.worker;
    this.workers = opts.workers;
    this.clientIdBase = opts.clientIdBase;
    let offset = 0;
    let totalWeight = 0;
    for (const p of opts.programs) {
      this.stmtOffset.push(offset);
      for (const s of p.statements) this.wantsRows.push(s.wantsRows);
      offset += p.statements.length;
      totalWeight += p.weight;
      this.readPrograms.push(p.read === true);
      this.cumWeights.push(totalWeight);
    }
    this.rollbackStmt = offset;
    this.wantsRows.push(false);
    this.random = new FastRandom(opts.seed, 1000 + opts.worker);
    opts.clientIds.forEach((id, index) => {
      const runners = opts.programs.map((p) => p.createRunner({ clientId: id, scale: opts.scale, defines: opts.defines, randomSeed: BigInt(opts.seed) }));
      this.clients.push(new Client(id, index, this, runners));
    });
    this.executor = createExecutor(opts.load, this);
  }

  /** Open every client's session (and replica session with read routing); rejects with the first connection error. */
  /**
   * Opens every client's session. `intervalUs` (--connect-rate): the k-th connection of this
   * worker starts no earlier than k × intervalUs after the first, so a pooler or a server is not
   * stormed.
   */
  async connectAll(intervalUs = 0): Promise<void> {
    const connectRead = this.opts.connectRead;
    // A few at a time, as pgbench opens its clients one after another per thread: connect_timeout
    // then bounds one attempt at a server slow to accept, not a queue of hundreds behind it.
    const queue = [...this.clients];
    const lanes = Math.min(CONNECT_IN_FLIGHT, queue.length);
    const firstUs = this.clock.nowUs();
    let started = 0;
    const lane = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        const dueUs = firstUs + started++ * intervalUs;
        const waitMs = (dueUs - this.clock.nowUs()) / 1000;
        if (waitMs > 0) await new Promise<void>((resolve) => this.timers.set(resolve, waitMs));
        await connectOne(c);
      }
    };
    const connectOne = async (c: Client): Promise<void> => {
      const t0 = this.clock.nowUs();
      const s = await this.opts.connect(c.id);
      this.recorder.connect(this.clock.nowUs() - t0);
      c.attach(s);
      if (connectRead !== undefined) {
        const link = new ReadLink(
          c,
          () => connectRead(c.id),
          (x) => this.hosts.indexOf(x),
          (fn, ms) => this.timers.set(fn, ms),
        );
        c.readLink = link;
        link.attach(await connectRead(c.id));
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  /** Begin at `startUs`; the measured phase starts `warmupMs` later; this worker's load after its offset. */
  start(startUs: number, warmupMs: number): void {
    const durationMs = this.opts.load.durationMs;
    const offsetUs = this.opts.startOffsetMs * 1000;
    this.measureStartUs = startUs + warmupMs * 1000;
    this.loadStartUs = startUs + offsetUs;
    this.endUs = durationMs === undefined ? Infinity : this.measureStartUs + offsetUs + durationMs * 1000;
    this.gridEndUs = this.opts.gridDurationMs === undefined ? this.endUs : this.measureStartUs + this.opts.gridDurationMs * 1000;
    this.armInterval();
    this.sweepTimer = this.timers.set(this.sweep, SWEEP_MS);
    if (this.endUs !== Infinity) this.endTimer = this.timers.set(this.atEnd, (this.endUs - this.clock.nowUs()) / 1000);
    if (offsetUs > 0) {
      this.timers.set(() => this.beginLoad(), (this.loadStartUs - this.clock.nowUs()) / 1000);
      return;
    }
    this.beginLoad();
  }

  private beginLoad(): void {
    if (this.stopping || this.loadDone) return;
    const now = this.clock.nowUs();
    // A timer may fire up to a millisecond early on this clock; the executors start nothing before the load's start.
    if (now < this.loadStartUs) {
      this.timers.set(() => this.beginLoad(), Math.max(1, Math.ceil((this.loadStartUs - now) / 1000)));
      return;
    }
    this.executor.begin(now);
  }

  /** A new target from now on (rate or active clients, by load model). */
  adjust(target: number): void {
    if (this.stopping || this.loadDone) return;
    this.executor.adjust(target, this.clock.nowUs());
  }

  pickType(): number {
    const cw = this.cumWeights;
    if (cw.length === 1) return 0;
    const x = this.random.next() * cw[cw.length - 1]!;
    let i = 0;
    while (x >= cw[i]!) i++;
    return i;
  }

  /** A client finished a transaction (or just connected) at `now` (µs): its executor gives it the next one. */
  clientFree(c: Client, now = this.clock.nowUs()): void {
    if (this.loadDone) return;
    if (this.stopping) {
      this.maybeFinish();
      return;
    }
    this.executor.clientFree(c, now);
  }

  clientDone(c: Client): void {
    c.phase = ClientPhase.Done;
    if (this.clients.every((x) => x.phase === ClientPhase.Done)) this.stop('transactions');
  }

  wake(c: Client): void {
    if (c.phase === ClientPhase.Idle && !c.busy && !this.stopping && !this.loadDone && c.session !== null) this.clientFree(c);
  }

  private armInterval(): void {
    const nextBoundaryUs = this.measureStartUs + (this.interval + 1) * this.opts.intervalMs * 1000;
    this.intervalTimer = this.timers.set(this.onInterval, (nextBoundaryUs - this.clock.nowUs()) / 1000);
  }

  private readonly onInterval = (): void => {
    if (this.done) return;
    const last = this.lastIntervalIndex();
    if (this.interval >= last) {
      // The last interval's figures go with the final snapshot only, whichever of this boundary and
      // the end of the load comes first: sent here as well, it could complete the interval at the
      // main thread before transactions finishing in the grace arrive, which then reach the totals
      // but not the interval.
      if (this.loadDone) this.complete();
      else this.intervalTimer = null;
      return;
    }
    this.opts.onSnapshot(this.recorder.snapshot(this.opts.worker, this.interval, false));
    this.interval++;
    if (this.interval <= last) this.armInterval();
    else this.intervalTimer = null;
  };

  private lastIntervalIndex(): number {
    return this.gridEndUs === Infinity ? Infinity : Math.ceil((this.gridEndUs - this.measureStartUs) / (this.opts.intervalMs * 1000)) - 1;
  }

  /** Periodic: client-side timeouts, and the executor's own round (parked clients of a ramp). */
  private readonly sweep = (): void => {
    if (this.loadDone) return;
    const now = this.clock.nowUs();
    for (const c of this.clients) {
      if (c.phase === ClientPhase.Query && now - c.stmtSentUs > this.queryTimeoutUs) c.timeOut();
    }
    if (!this.stopping) this.executor.sweep(now);
    this.sweepTimer = this.timers.set(this.sweep, SWEEP_MS);
  };

  /** The first message of each failure class goes to the result through the recorder's snapshots. */
  noteError(cls: FailureIndex, message: string): void {
    this.recorder.noteError(cls, message);
  }

  /** Re-open a lost connection with exponential backoff, then put the client back to work. */
  reconnect(c: Client): void {
    if (this.loadDone) return;
    if (this.stopping) {
      this.maybeFinish();
      return;
    }
    c.phase = ClientPhase.Connecting;
    const delayMs = this.reconnectDelayMs.get(c) ?? RECONNECT_MIN_MS;
    this.timers.set(() => {
      if (this.loadDone || this.stopping) {
        this.maybeFinish();
        return;
      }
      this.opts.connect(c.id).then(
        (s) => {
          if (this.loadDone) {
            void s.close();
            return;
          }
          this.reconnectDelayMs.delete(c);
          this.recorder.reconnect();
          if (this.outcomes !== null && c.lostUs >= 0) this.outcomes.reconnected(c.id, c.lostUs, this.clock.nowUs(), `${s.host.host}:${s.host.port}`);
          c.lostUs = -1;
          c.attach(s);
          c.phase = ClientPhase.Idle;
          this.clientFree(c);
        },
        (e: unknown) => {
          const info = (e as { info?: { code: string; message: string } }).info;
          this.noteError(info === undefined ? FailureIndex.Connection : this.classify(info.code, info.message), e instanceof Error ? e.message : String(e));
          this.reconnectDelayMs.set(c, Math.min(RECONNECT_MAX_MS, delayMs * 2));
          this.reconnect(c);
        },
      );
    }, delayMs);
  }

  /** Stop starting transactions; let those in flight finish within the grace period. */
  /**
   * The end of -T. Timers may fire up to a millisecond early on this clock: wait until the end has
   * really come, or the arrivals due in its last millisecond would never be made.
   */
  private readonly atEnd = (): void => {
    const leftUs = this.endUs - this.clock.nowUs();
    if (leftUs > 0) this.endTimer = this.timers.set(this.atEnd, leftUs / 1000);
    else this.stop('duration');
  };

  stop(reason: StopReason): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    if (this.endTimer !== null) this.timers.clear(this.endTimer);
    this.executor.stop();
    this.graceTimer = this.timers.set(() => this.finishNow(), this.opts.graceMs);
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.loadDone || !this.stopping) return;
    if (this.clients.some((c) => c.busy)) return;
    this.finishNow();
  }

  /** The load is over: count what never finished; complete now, or when the run's grid ends. */
  private finishNow(): void {
    if (this.loadDone) return;
    this.loadDone = true;
    // In flight now and never to finish: counted, with their wait so far as a censored latency.
    const stopUs = this.clock.nowUs();
    for (const c of this.clients) {
      if (c.busy && c.scheduledUs >= this.measureStartUs) this.recorder.unfinished(c.scheduledUs, stopUs);
    }
    // A client in a \sleep would otherwise wake after the sessions are closed.
    for (const c of this.clients) c.clearSleep();
    for (const t of [this.sweepTimer, this.graceTimer, this.endTimer]) {
      if (t !== null) this.timers.clear(t);
    }
    // Other scenarios may still be running: keep the grid going (empty intervals) until the run ends,
    // unless the whole run is being stopped (interrupt, -t done) or the grid is already over.
    const gridOver = this.interval >= this.lastIntervalIndex() || this.clock.nowUs() >= this.gridEndUs;
    if (this.stopReason !== 'duration' || gridOver || this.intervalTimer === null) this.complete();
  }

  private complete(): void {
    if (this.done) return;
    this.done = true;
    if (this.intervalTimer !== null) this.timers.clear(this.intervalTimer);
    const index = Math.max(0, Math.min(this.interval, this.lastIntervalIndex()));
    this.opts.onSnapshot(this.recorder.snapshot(this.opts.worker, index, true));
    this.opts.onDone({ reason: this.stopReason, hosts: this.hosts.figures(), ...(this.outcomes === null ? {} : { ha: this.outcomes.snapshot() }) });
  }

  /** Close every session (after onDone). */
  async closeAll(): Promise<void> {
    await Promise.all(
      this.clients.map(async (c) => {
        await c.readLink?.close(c.busy);
        const s = c.session;
        c.session = null;
        if (s === null) return;
        if (c.busy) s.destroy();
        else await s.close().catch(() => undefined);
      }),
    );
  }
}
