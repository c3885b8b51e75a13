/**
 * What one worker thread does, free of worker_threads and real timers so it can be tested with a
 * fake clock: owns its clients, decides WHEN each transaction starts (closed or open loop), cuts
 * interval snapshots on the grid, and stops gracefully.
 *
 * Counting rule (DESIGN.md): arrivals = ok + failed + skipped + dropped + unfinished, for everything
 * scheduled in the measured phase. Closed loop: an arrival is a transaction start. Open loop: an
 * arrival is a due time on the schedule; it waits in a bounded queue for a free client (its latency
 * keeps counting), is dropped when the queue is full, skipped (-L) when it is already later than the
 * limit when a client could start it, and unfinished when the run ends first.
 */
import type { Session } from '../driver/types.js';
import type { Clock } from './clock.js';
import type { Recorder } from '../metrics/recorder.js';
import { FAILURE_CLASSES, FailureIndex } from '../metrics/types.js';
import type { IntervalSnapshot } from '../metrics/recorder.js';
import type { TxnProgram } from '../workload/types.js';
import { ArrivalSchedule, RateProfile } from '../executor/rate-profile.js';
import { FastRandom } from '../executor/random.js';
import { ArrivalQueue } from '../executor/arrival-queue.js';
import { ClientPhase, Client } from './client.js';
import { ReadLink } from './read-link.js';
import { HostCounts, type HostFigures } from './host-counts.js';
import type { WorkerSettings } from './messages.js';
import type { TxnOutcomeSink } from '../ha/types.js';

export interface Timers {
  set(fn: () => void, delayMs: number): unknown;
  /**
   * Block the thread for `us` microseconds (sub-millisecond precision, no CPU spent). Pending I/O
   * waits too: only for the whole wait when nothing is in flight, else for one short nap.
   */
  block(us: number): void;
  /** Run `fn` once the event loop has polled I/O (without waiting for any). */
  immediate(fn: () => void): void;
  clear(handle: unknown): void;
}

/** A cell nobody ever notifies: Atomics.wait on it is a precise sleep. */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

export const realTimers: Timers = {
  set: (fn, delayMs) => setTimeout(fn, Math.max(0, delayMs)),
  block: (us) => {
    if (us > 0) Atomics.wait(sleepCell, 0, 0, us / 1000);
  },
  immediate: (fn) => void setImmediate(fn),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Open-loop waits. A timer waits at least 1 ms and often fires a millisecond late, so the open loop
 * sleeps on a timer only until BLOCK_BELOW_US before the next arrival. The rest is waited in one of
 * two ways. When no client has anything in flight, the thread blocks for exactly the remaining time
 * (Atomics.wait: no CPU, and no I/O can be kept waiting because there is none). Otherwise it naps
 * (NAP_US below), and every response that comes meanwhile pumps the schedule too.
 * Measured alternatives, rejected (select-only, 8 clients, -j 2, on the 2-core machine):
 * - polling with setImmediate and no nap while an arrival is near: ~1 s more client CPU in an 8 s
 *   run at 20k/s and no better lag; on shared cores the CPU a spinning client burns is the server's;
 * - a helper thread per worker that sleeps until the due time and wakes the loop with a message
 *   (p50 150 µs late on its own): at 8k/s lag p99 2.3–3.0 ms against 1.5–1.8 ms for the polling
 *   code before it, and ~20 % more client CPU per transaction (one more thread on two cores).
 */
const BLOCK_BELOW_US = 2000;
/**
 * With I/O in flight and a free client for the next arrival, the last BLOCK_BELOW_US before it are
 * waited in naps of at most NAP_US, with one I/O poll (no wait) between naps: the arrival starts at
 * most a nap late, and a response waits at most a nap before it is read. (A timer would start the
 * arrival 1-2 ms late whenever no response happened to come first.) Measured: select-only at
 * 18k/s, 8 clients, -j 2, 1 s warm-up, 4 alternations: lag p99 median 1.29 ms against 1.80 ms with
 * the timer, at the same client CPU (5.1-5.8 s per 7 s run either way).
 * Where the open loop's CPU goes (select-only at 19k/s, 8 clients, -j 2, steady 4 s of 8 s runs,
 * 3 alternations with pgbench): per transaction user 12.0-12.2 µs against pgbench's 4.0-6.1, sys
 * 17.5-19.1 against 20.3-21.2, voluntary context switches 0.40-0.44 against 0.67-0.79. A worker
 * took 0.39 naps (72 µs on average: most end at the next arrival, not at NAP_US), 0.38 immediates
 * and 0.20 timers per transaction. So it does not wake more often than pgbench; each wake-up costs
 * more user time (Node's way into JavaScript and back, spread thin in perf). The nap's length does
 * not move it: NAP_US 50, 100, 200 and 400 gave 30.4-34.7 µs CPU per transaction alike (4 rounds).
 */
const NAP_US = 100;

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
}

export interface WorkerDoneInfo {
  /** Transactions per host ("host:port"). */
  readonly hosts: Readonly<Record<string, HostFigures>>;
  /** The HA sink's snapshot, when the run measures failover. */
  readonly ha?: unknown;
  /** The first error message seen for each failure class. */
  readonly firstErrors: Partial<Record<(typeof FAILURE_CLASSES)[number], string>>;
  readonly reason: string;
}

const SWEEP_MS = 100;
const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2000;

export class WorkerCore {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly recorder: Recorder;
  readonly classify: (code: string, message: string) => FailureIndex;
  readonly maxTries: number;
  readonly queryTimeoutUs: number;
  /** Statement index of the first statement of each program in the session's flat list. */
  readonly stmtOffset: number[] = [];
  readonly wantsRows: boolean[] = [];
  /** The hidden ROLLBACK statement, last in the session's list. */
  readonly rollbackStmt: number;
  measureStartUs = Infinity;
  stopping = false;
  /** Added to a program's index to get its transaction type in the metrics layout. */
  readonly typeOffset: number;
  readonly outcomes: TxnOutcomeSink | null;
  readonly rehomeOnReadOnly: boolean;
  /** Per program: only reads (routed to a replica when read routing is on). */
  readonly readPrograms: boolean[] = [];
  /** Measured transactions per host the clients ran them on. */
  readonly hosts = new HostCounts();

  private readonly clients: Client[] = [];
  private readonly free: Client[] = [];
  private readonly cumWeights: number[] = [];
  private readonly random: FastRandom;
  /** When this worker's load begins (after its scenario's start offset). */
  private loadStartUs = 0;
  /** When this worker's load ends (no new transactions after it). */
  private endUs = Infinity;
  /** When the run's interval grid ends. */
  private gridEndUs = Infinity;
  /** The load is over (ended, drained or given up after the grace period); snapshots may go on. */
  private loadDone = false;
  private interval = 0;
  private intervalTimer: unknown = null;
  private sweepTimer: unknown = null;
  private arrivalTimer: unknown = null;
  private graceTimer: unknown = null;
  private endTimer: unknown = null;
  private readonly firstErrors: Partial<Record<(typeof FAILURE_CLASSES)[number], string>> = {};
  private readonly reconnectDelayMs = new Map<Client, number>();
  private done = false;
  private stopReason = 'duration';

  // Open loop.
  private schedule: ArrivalSchedule | null = null;
  private nextDueUs = Infinity;
  private queue = new ArrivalQueue(1);
  private pumping = false;
  private repump = false;
  private napPending = false;

  constructor(private readonly opts: WorkerCoreOptions) {
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.recorder = opts.recorder;
    this.classify = opts.classify;
    this.maxTries = opts.maxTries;
    this.queryTimeoutUs = opts.queryTimeoutMs * 1000;
    this.typeOffset = opts.typeOffset;
    this.outcomes = opts.outcomes ?? null;
    this.rehomeOnReadOnly = opts.rehomeOnReadOnly ?? false;
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
      const runners = opts.programs.map((p) =>
        p.createRunner({ clientId: id, scale: opts.scale, defines: opts.defines, randomSeed: BigInt(opts.seed) }),
      );
      this.clients.push(new Client(id, index, this, runners));
    });
  }

  /** Open every client's session (and replica session with read routing); rejects with the first connection error. */
  async connectAll(): Promise<void> {
    const connectRead = this.opts.connectRead;
    await Promise.all(
      this.clients.map(async (c) => {
        const t0 = this.clock.nowUs();
        const s = await this.opts.connect(c.id);
        this.recorder.connect(this.clock.nowUs() - t0);
        c.attach(s);
        if (connectRead !== undefined) {
          const link = new ReadLink(c, () => connectRead(c.id), (x) => this.hosts.indexOf(x), (fn, ms) => this.timers.set(fn, ms));
          c.readLink = link;
          link.attach(await connectRead(c.id));
        }
      }),
    );
  }

  /** Begin at `startUs`; the measured phase starts `warmupMs` later; this worker's load after its offset. */
  start(startUs: number, warmupMs: number): void {
    const load = this.opts.load;
    const offsetUs = this.opts.startOffsetMs * 1000;
    this.measureStartUs = startUs + warmupMs * 1000;
    this.loadStartUs = startUs + offsetUs;
    this.endUs = load.durationMs === undefined ? Infinity : this.measureStartUs + offsetUs + load.durationMs * 1000;
    this.gridEndUs = this.opts.gridDurationMs === undefined ? this.endUs : this.measureStartUs + this.opts.gridDurationMs * 1000;
    this.armInterval();
    this.sweepTimer = this.timers.set(this.sweep, SWEEP_MS);
    if (this.endUs !== Infinity) this.endTimer = this.timers.set(() => this.stop('duration'), (this.endUs - this.clock.nowUs()) / 1000);
    if (offsetUs > 0) {
      this.timers.set(() => this.beginLoad(), (this.loadStartUs - this.clock.nowUs()) / 1000);
      return;
    }
    this.beginLoad();
  }

  private beginLoad(): void {
    if (this.stopping || this.loadDone) return;
    const load = this.opts.load;
    if (load.kind === 'open') {
      const profile = load.stages === undefined ? RateProfile.constant(load.rateHz) : RateProfile.stages(load.rateHz, load.stages);
      this.schedule = new ArrivalSchedule(profile, {
        workers: this.opts.workers,
        worker: this.opts.worker,
        poisson: load.arrivals === 'poisson',
        random: () => this.random.next(),
      });
      this.queue = new ArrivalQueue(load.maxQueue);
      this.nextDueUs = this.loadStartUs + this.schedule.next();
      for (const c of this.clients) this.free.push(c);
      this.pump();
    } else {
      for (const c of this.clients) this.clientFree(c);
    }
  }

  private pickType(): number {
    const cw = this.cumWeights;
    if (cw.length === 1) return 0;
    const x = this.random.next() * cw[cw.length - 1]!;
    let i = 0;
    while (x >= cw[i]!) i++;
    return i;
  }

  /** Clients active at time t under closed-loop stages (all of them without stages). */
  private activeClients(nowUs: number): number {
    const load = this.opts.load;
    if (load.kind !== 'closed' || load.stages === undefined) return Infinity;
    let t = (nowUs - this.loadStartUs) / 1000;
    let from = 0;
    for (const st of load.stages) {
      if (t < st.durationMs) return Math.round(from + ((st.target - from) * t) / st.durationMs);
      t -= st.durationMs;
      from = st.target;
    }
    return Math.round(from);
  }

  /** A client finished a transaction (or just connected) at `now` (µs): give it the next one. */
  clientFree(c: Client, now = this.clock.nowUs()): void {
    if (this.loadDone) return;
    const load = this.opts.load;
    if (this.stopping) {
      this.maybeFinish();
      return;
    }
    if (load.kind === 'open') {
      this.free.push(c);
      this.pump(now);
      return;
    }
    if (load.transactionsPerClient !== undefined && c.finished >= load.transactionsPerClient) {
      c.phase = ClientPhase.Done;
      if (this.clients.every((x) => x.phase === ClientPhase.Done)) this.stop('transactions');
      return;
    }
    if (now < this.loadStartUs) return; // a scenario that starts later: beginLoad starts its clients
    if (c.id - this.opts.clientIdBase >= this.activeClients(now)) return; // parked until the ramp reaches it (see sweep)
    if (now >= this.measureStartUs) this.recorder.arrival();
    c.start(this.pickType(), now, now);
  }

  /**
   * Open loop: move due arrivals into the queue, hand queued arrivals to free clients, re-arm.
   * Not re-entrant: a transaction that ends at once (a script without SQL) frees its client inside
   * pump, and a short block is followed by another round; both repeat the loop here instead of
   * recursing, so the stack stays flat however long the run. `now`: the clock for the first round
   * (a caller that just read it); later rounds read it again.
   */
  private pump(now = this.clock.nowUs()): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    try {
      this.repump = false;
      this.pumpOnce(now);
      while (this.repump) {
        this.repump = false;
        this.pumpOnce(this.clock.nowUs());
      }
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(now: number): void {
    if (this.stopping || this.schedule === null) return;
    const load = this.opts.load;
    if (load.kind !== 'open') return;
    while (this.nextDueUs <= now && this.nextDueUs < this.endUs) {
      const due = this.nextDueUs;
      const measured = due >= this.measureStartUs;
      if (measured) this.recorder.arrival();
      if (!this.queue.push(due) && measured) this.recorder.dropped();
      this.nextDueUs = this.loadStartUs + this.schedule.next();
    }
    const limitUs = load.latencyLimitMs === undefined ? Infinity : load.latencyLimitMs * 1000;
    while (this.queue.length > 0 && this.free.length > 0) {
      const due = this.queue.shift();
      const type = this.pickType();
      if (now - due > limitUs) {
        if (due >= this.measureStartUs) this.recorder.skipped(this.typeOffset + type);
        continue;
      }
      this.free.pop()!.start(type, due, now);
    }
    if (this.nextDueUs >= this.endUs) return;
    const waitUs = this.nextDueUs - now;
    if (waitUs <= BLOCK_BELOW_US && this.free.length > 0) {
      if (this.arrivalTimer !== null) this.timers.clear(this.arrivalTimer);
      this.arrivalTimer = null;
      if (this.free.length === this.clients.length) {
        this.timers.block(waitUs);
        this.repump = true;
      } else if (!this.napPending) {
        this.napPending = true;
        this.timers.immediate(this.onNap);
      }
      return;
    }
    if (this.arrivalTimer === null) {
      this.arrivalTimer = this.timers.set(this.onArrivalTimer, (waitUs > BLOCK_BELOW_US ? waitUs - BLOCK_BELOW_US : waitUs) / 1000);
    }
  }

  private readonly onNap = (): void => {
    this.napPending = false;
    // The responses polled since the nap was asked for may have started the arrival, or taken every
    // free client: then there is nothing to nap for.
    const waitUs = this.nextDueUs - this.clock.nowUs();
    if (waitUs > 0 && waitUs <= BLOCK_BELOW_US && this.free.length > 0) this.timers.block(Math.min(waitUs, NAP_US));
    this.pump();
  };

  private readonly onArrivalTimer = (): void => {
    this.arrivalTimer = null;
    this.pump();
  };

  private armInterval(): void {
    const nextBoundaryUs = this.measureStartUs + (this.interval + 1) * this.opts.intervalMs * 1000;
    this.intervalTimer = this.timers.set(this.onInterval, (nextBoundaryUs - this.clock.nowUs()) / 1000);
  }

  private readonly onInterval = (): void => {
    if (this.done) return;
    const last = this.lastIntervalIndex();
    if (this.loadDone && this.interval >= last) {
      this.complete();
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

  /** Periodic: client-side timeouts, and parked clients of a closed-loop ramp. */
  private readonly sweep = (): void => {
    if (this.loadDone) return;
    const now = this.clock.nowUs();
    for (const c of this.clients) {
      if (c.phase === ClientPhase.Query && now - c.stmtSentUs > this.queryTimeoutUs) c.timeOut();
      else if (c.phase === ClientPhase.Idle && !c.busy && !this.stopping && this.opts.load.kind === 'closed' && c.session !== null) {
        if (c.id - this.opts.clientIdBase < this.activeClients(now)) this.clientFree(c);
      }
    }
    this.sweepTimer = this.timers.set(this.sweep, SWEEP_MS);
  };

  noteError(cls: FailureIndex, message: string): void {
    const name = FAILURE_CLASSES[cls];
    if (this.firstErrors[name] === undefined) this.firstErrors[name] = message;
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
  stop(reason: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    if (this.arrivalTimer !== null) this.timers.clear(this.arrivalTimer);
    if (this.endTimer !== null) this.timers.clear(this.endTimer);
    this.arrivalTimer = null;
    // Queued arrivals of the measured phase will never start.
    const queuedMeasured = this.queue.clear(this.measureStartUs);
    if (queuedMeasured > 0) this.recorder.unfinished(queuedMeasured);
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
    let inFlight = 0;
    for (const c of this.clients) {
      if (c.busy && c.scheduledUs >= this.measureStartUs) inFlight++;
    }
    if (inFlight > 0) this.recorder.unfinished(inFlight);
    // A client in a \sleep would otherwise wake after the sessions are closed.
    for (const c of this.clients) c.clearSleep();
    for (const t of [this.sweepTimer, this.graceTimer, this.arrivalTimer, this.endTimer]) {
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
    this.opts.onDone({ firstErrors: this.firstErrors, reason: this.stopReason, hosts: this.hosts.figures(), ...(this.outcomes === null ? {} : { ha: this.outcomes.snapshot() }) });
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
