/**
 * One virtual client: a state machine that runs transactions on one session.
 *
 * Hot path: `start` → runner steps → `session.exec` → `onQueryDone` → … → `finish`. No promise, no
 * closure and no object is created per transaction or per statement; everything lives in fields.
 * Times are integer µs on the shared clock (see clock.ts). The clock is read once per statement,
 * when its result arrives: that instant ends the statement, sends the next one, ends the
 * transaction and (closed loop) starts the next. A read costs ~55 ns, a quarter of this file's
 * time per select-only transaction when it was read four times (bench/engine-hot-path.ts).
 *
 * A transaction ends in exactly one of: ok, failed (by class), or — when the run stops before it
 * completes — unfinished (counted by the core). A failed statement is followed by a ROLLBACK (the
 * session's last statement) so the next transaction starts clean, as pgbench does in its error state.
 */
import type { Session, SessionHandler, PgErrorInfo, QueryRows } from '../driver/types.js';
import type { ExecClient } from '../executor/types.js';
import type { Recorder } from '../metrics/recorder.js';
import { FailureIndex } from '../metrics/types.js';
import { StepKind, type TxnRunner } from '../workload/types.js';
import { Outcome, type TxnOutcomeSink } from '../ha/types.js';
import type { Clock } from './clock.js';
import type { HostCounts } from './host-counts.js';
import type { ReadLink, ReadLinkOwner } from './read-link.js';
import type { Timers } from './timers.js';
import type { TxnLog } from './txn-log.js';

/** What a client needs of its owner (the worker core): settings, counters, and two calls back. */
export interface ClientOwner {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly recorder: Recorder;
  readonly hosts: HostCounts;
  /** HA: told about every finished transaction (null: not measuring failover). */
  readonly outcomes: TxnOutcomeSink | null;
  readonly txnLog: TxnLog | null;
  readonly classify: (code: string, message: string) => FailureIndex;
  readonly maxTries: number;
  readonly queryTimeoutUs: number;
  /** Statement index of the first statement of each program in the session's flat list. */
  readonly stmtOffset: readonly number[];
  readonly wantsRows: readonly boolean[];
  /** The hidden ROLLBACK statement, last in the session's list. */
  readonly rollbackStmt: number;
  /** Per program: only reads (routed to a replica when read routing is on). */
  readonly readPrograms: readonly boolean[];
  /** Added to a program's index to get its transaction type in the metrics layout. */
  readonly typeOffset: number;
  readonly measureStartUs: number;
  readonly stopping: boolean;
  /** A 25006 (read-only) makes the client drop its session and find the primary again. */
  readonly rehomeOnReadOnly: boolean;
  /** Keep the first message of a failure class (also one outside any transaction). */
  noteError(cls: FailureIndex, message: string): void;
  /** The client finished a transaction (or connected) at `nowUs`: give it the next one. */
  clientFree(c: Client, nowUs?: number): void;
  /** Re-open the client's lost session. */
  reconnect(c: Client): void;
}

export const enum ClientPhase {
  Idle = 0,
  Query = 1,
  Sleep = 2,
  Rollback = 3,
  Connecting = 4,
  Done = 5,
}

export class Client implements SessionHandler, ReadLinkOwner, ExecClient {
  phase: ClientPhase = ClientPhase.Idle;
  session: Session | null = null;
  /** Transactions finished (ok or failed) by this client, for -t. */
  finished = 0;
  /** True while a transaction is open (from start to finish). */
  busy = false;

  // The current transaction.
  type = 0;
  scheduledUs = 0;
  sentUs = -1;
  stmtSentUs = 0;
  tries = 1;
  /** Global statement index in flight (program offset + statement). */
  private globalStmt = 0;
  private localStmt = 0;
  private runner: TxnRunner | null = null;
  /** After the ROLLBACK: retry (true) or finish as failed with `failure`. */
  private retryAfterRollback = false;
  private failure: FailureIndex = FailureIndex.Other;
  private failureMessage = '';
  /** --log's transaction_no: this client's measured transactions so far. */
  private loggedTxns = 0;
  private sleepTimer: unknown = null;
  /** When the session was lost (for reconnect times), -1 while connected. */
  lostUs = -1;
  /** Read routing: the replica session (null when reads are not routed). */
  readLink: ReadLink | null = null;
  /** The current transaction runs on the replica. */
  private onReplica = false;
  /** Index of the primary session's host in the worker's host table. */
  private hostIdx = 0;
  private readonly wake = (): void => {
    this.sleepTimer = null;
    this.advance(this.core.clock.nowUs());
  };
  /** A zero sleep (a pass with no statement) yields to I/O only: a timer would wait ≥1 ms per pass. */
  private readonly wakeAfterIo = (): void => {
    if (this.sleepTimer !== AFTER_IO) return; // cleared meanwhile: the load is over
    this.wake();
  };

  constructor(
    readonly id: number,
    readonly index: number,
    private readonly core: ClientOwner,
    private readonly runners: readonly TxnRunner[],
  ) {}

  attach(session: Session): void {
    this.session = session;
    this.hostIdx = this.core.hosts.indexOf(session);
    session.setHandler(this);
  }

  /** The session the current transaction runs on. */
  private active(): Session {
    return (this.onReplica ? this.readLink!.session : this.session)!;
  }

  /** Begin transaction `type`, due at `scheduledUs` (latency counts from there); `nowUs`: the clock now. */
  start(type: number, scheduledUs: number, nowUs: number): void {
    this.busy = true;
    this.type = type;
    this.scheduledUs = scheduledUs;
    this.sentUs = -1;
    this.tries = 1;
    // Reads go to the replica when there is one up; otherwise (or while it reconnects) to the primary.
    this.onReplica = this.readLink !== null && this.readLink.session !== null && this.core.readPrograms[type] === true;
    const runner = this.runners[type]!;
    this.runner = runner;
    runner.begin();
    this.advance(nowUs);
  }

  /** Run the transaction's steps up to the next statement, sleep or end; `now`: the clock now. */
  private advance(now: number): void {
    const runner = this.runner!;
    const core = this.core;
    for (;;) {
      switch (runner.next()) {
        case StepKind.Query: {
          if (this.sentUs < 0) this.sentUs = now;
          const globalStmt = core.stmtOffset[this.type]! + runner.stmt;
          if (runner.pipelined === true) {
            // Inside a pipeline: send and go on; the results come with the next Sync step.
            this.active().execPipelined(globalStmt, runner.params);
            continue;
          }
          this.stmtSentUs = now;
          this.localStmt = runner.stmt;
          this.globalStmt = globalStmt;
          this.phase = ClientPhase.Query;
          this.active().exec(globalStmt, runner.params, core.wantsRows[globalStmt]!);
          return;
        }
        case StepKind.Sync: {
          if (this.sentUs < 0) this.sentUs = now;
          this.stmtSentUs = now;
          this.localStmt = -1; // a pipeline's results: no single statement to time
          this.phase = ClientPhase.Query;
          this.active().sync();
          return;
        }
        case StepKind.Sleep:
          if (this.sentUs < 0) this.sentUs = now;
          this.phase = ClientPhase.Sleep;
          if (runner.sleepUs > 0) this.sleepTimer = core.timers.set(this.wake, runner.sleepUs / 1000);
          else {
            this.sleepTimer = AFTER_IO;
            core.timers.immediate(this.wakeAfterIo);
          }
          return;
        case StepKind.End:
          this.finish(true, false, now);
          return;
        case StepKind.Error:
          this.fail(FailureIndex.Other, runner.error);
          this.retryAfterRollback = false;
          this.rollback(now);
          return;
      }
    }
  }

  private rollback(now: number): void {
    this.phase = ClientPhase.Rollback;
    this.stmtSentUs = now;
    this.active().exec(this.core.rollbackStmt, NO_PARAMS, false);
  }

  onQueryDone(err: PgErrorInfo | null, rows: QueryRows | null): void {
    const core = this.core;
    const now = core.clock.nowUs();
    if (this.phase === ClientPhase.Rollback) {
      if (this.retryAfterRollback) {
        this.tries++;
        this.runner!.rewind();
        this.advance(now);
      } else {
        // On a standby (25006) with several hosts to choose from: drop the session, find the primary again.
        if (this.failure === FailureIndex.ReadOnly && core.rehomeOnReadOnly && !this.onReplica && this.session !== null) {
          const s = this.session;
          this.session = null;
          this.lostUs = now;
          s.destroy();
          this.finish(false, true, now);
          core.reconnect(this);
        } else {
          this.finish(false, false, now);
        }
      }
      return;
    }
    if (this.scheduledUs >= core.measureStartUs && this.localStmt >= 0)
      core.recorder.stmt(core.typeOffset + this.type, this.localStmt, now - this.stmtSentUs, err === null);
    if (err === null) {
      if (rows !== null) this.runner!.onRows(rows.columns, rows.rows);
      this.advance(now);
      return;
    }
    const cls = core.classify(err.code, err.message);
    this.fail(cls, err.message);
    this.retryAfterRollback = (cls === FailureIndex.Serialization || cls === FailureIndex.Deadlock) && this.tries < core.maxTries && !core.stopping;
    this.rollback(now);
  }

  onClose(err: PgErrorInfo): void {
    this.session = null;
    this.lostUs = this.core.clock.nowUs();
    this.clearSleep();
    this.fail(FailureIndex.Connection, err.message);
    if (this.busy) {
      // The outcome of a statement in flight is unknown; for the counters it is a connection failure.
      this.finish(false, true);
    }
    this.core.reconnect(this);
  }

  /** The replica session went away: a transaction on it fails (unknown outcome); the client goes on. */
  onReplicaLost(err: PgErrorInfo): void {
    if (!this.busy || !this.onReplica) {
      this.core.noteError(FailureIndex.Connection, err.message);
      return;
    }
    this.clearSleep();
    this.fail(FailureIndex.Connection, err.message);
    this.finish(false);
  }

  /** A client-side timeout: drop the connection; the transaction fails as `timeout`. */
  timeOut(): void {
    this.clearSleep();
    this.fail(FailureIndex.Timeout, `no answer within ${this.core.queryTimeoutUs / 1e6} s (client-side timeout)`);
    if (this.onReplica) {
      // The replica session is re-opened in the background; the client goes on with the primary.
      this.readLink!.drop();
      if (this.busy) this.finish(false);
      return;
    }
    const s = this.session;
    this.session = null;
    this.lostUs = this.core.clock.nowUs();
    s?.destroy();
    if (this.busy) this.finish(false, true);
    this.core.reconnect(this);
  }

  private fail(cls: FailureIndex, message: string): void {
    this.failure = cls;
    this.failureMessage = message;
    this.core.noteError(cls, message);
  }

  /** Cancel a \sleep in progress (also when the load is over: the client must not wake after it). */
  clearSleep(): void {
    if (this.sleepTimer !== null) {
      if (this.sleepTimer !== AFTER_IO) this.core.timers.clear(this.sleepTimer);
      this.sleepTimer = null;
    }
  }

  private finish(ok: boolean, lostSession = false, endUs = this.core.clock.nowUs()): void {
    const core = this.core;
    const sentUs = this.sentUs < 0 ? endUs : this.sentUs;
    if (this.scheduledUs >= core.measureStartUs) {
      const type = core.typeOffset + this.type;
      if (ok) core.recorder.txnOk(type, this.scheduledUs, sentUs, endUs, this.tries);
      else core.recorder.txnFailed(type, this.scheduledUs, sentUs, endUs, this.failure, this.tries, this.failureMessage);
      core.txnLog?.txn(this.id, this.loggedTxns++, ok ? endUs - this.scheduledUs : null, type, endUs, sentUs - this.scheduledUs);
      core.hosts.add(this.onReplica ? this.readLink!.hostIdx : this.hostIdx, ok, endUs - this.scheduledUs);
    }
    const sink = core.outcomes;
    if (sink !== null) {
      // The sink decides which failures leave the outcome unknown (connection, timeout).
      sink.txn(
        this.id,
        core.typeOffset + this.type,
        ok ? Outcome.Ok : Outcome.Failed,
        ok ? -1 : this.failure,
        this.scheduledUs,
        endUs,
        this.runner?.writeId ?? -1,
      );
    }
    this.busy = false;
    this.finished++;
    this.phase = lostSession ? ClientPhase.Connecting : ClientPhase.Idle;
    if (!lostSession) core.clientFree(this, endUs);
  }
}

const NO_PARAMS: readonly never[] = [];
/** The sleep handle of a zero sleep waiting for setImmediate (not a timer: nothing to clear). */
const AFTER_IO: unique symbol = Symbol('after I/O');
