/**
 * Transactions on sessions that complete every statement at once: what bench/engine-hot-path.ts
 * times to get the JavaScript pgsurge itself runs per transaction, without sockets or a server.
 * (Until the JIT priming on sockets, src/engine/prime/prime.ts, this also primed the worker.)
 */
import type { Session, SessionHandler } from '../../src/driver/types.js';
import { StatementWriter } from '../../src/driver/wire-writer.js';
import { Recorder, type IntervalSnapshot } from '../../src/metrics/recorder.js';
import { FailureIndex, type MetricsLayout } from '../../src/metrics/types.js';
import type { Param, StatementSpec, TxnProgram } from '../../src/workload/types.js';
import { systemClock } from '../../src/engine/clock.js';
import type { WorkerSettings } from '../../src/engine/messages.js';
import { WorkerCore } from '../../src/engine/worker-core.js';
import type { Timers } from '../../src/engine/timers.js';

const CLIENTS = 4;

/** Builds each statement's message like the real session, then completes it at once. */
class InstantSession implements Session {
  readonly protocol = 'prepared' as const;
  readonly backendPid = 0;
  readonly serverVersion = '';
  readonly host = { host: 'instant', port: 0 };
  private handler: SessionHandler | null = null;
  private readonly writers: StatementWriter[];
  constructor(
    statements: readonly StatementSpec[],
    private readonly due: SessionHandler[],
  ) {
    this.writers = statements.map((s, i) => new StatementWriter(s, 'prepared', `instant_${i}`));
  }
  setHandler(h: SessionHandler): void {
    this.handler = h;
  }
  exec(stmt: number, params: readonly Param[], wantsRows: boolean): void {
    this.writers[stmt]?.build(params, wantsRows);
    if (this.handler !== null) this.due.push(this.handler);
  }
  execPipelined(stmt: number, params: readonly Param[]): void {
    this.writers[stmt]?.build(params, false);
  }
  sync(): void {
    if (this.handler !== null) this.due.push(this.handler);
  }
  async close(): Promise<void> {}
  destroy(): void {}
}

/** Timers that never fire: a \sleep in a script just parks that client for the rest of the run. */
const NO_TIMERS: Timers = { set: () => null, block: () => undefined, immediate: () => undefined, clear: () => undefined };

export type InstantSettings = Pick<WorkerSettings, 'scale' | 'defines' | 'seed'>;

/**
 * Run `transactions` transactions of `programs` on CLIENTS clients whose statements complete at
 * once. Returns the transactions that ended (ok or failed).
 */
export async function runInstant(
  programs: readonly TxnProgram[],
  statements: readonly StatementSpec[],
  settings: InstantSettings,
  layout: MetricsLayout,
  transactions: number,
): Promise<number> {
  const due: SessionHandler[] = [];
  const recorder = new Recorder(layout);
  let done = false;
  let ended = 0;
  const count = (snap: IntervalSnapshot): void => {
    for (const t of snap.types) ended += t.ok + t.errors.reduce((a, b) => a + b, 0);
  };
  const core = new WorkerCore({
    worker: 0,
    workers: 1,
    clientIds: Array.from({ length: CLIENTS }, (_, i) => i),
    programs,
    load: { kind: 'closed', durationMs: undefined, transactionsPerClient: Math.ceil(transactions / CLIENTS) },
    startOffsetMs: 0,
    gridDurationMs: undefined,
    typeOffset: 0,
    clientIdBase: 0,
    scale: settings.scale,
    defines: settings.defines,
    maxTries: 1,
    queryTimeoutMs: 60_000,
    graceMs: 0,
    intervalMs: 1000,
    seed: settings.seed,
    clock: systemClock,
    timers: NO_TIMERS,
    recorder,
    classify: () => FailureIndex.Other,
    connect: async () => new InstantSession(statements, due),
    onSnapshot: count,
    onDone: () => void (done = true),
  });
  try {
    await core.connectAll();
    core.start(systemClock.nowUs(), 0);
    // Completions are delivered from this loop, not from inside exec: the stack stays flat. The
    // queue is cut now and then so that it does not hold every statement of the run.
    for (let i = 0; i < due.length && !done; i++) {
      due[i]!.onQueryDone(null, null);
      if (i === 100_000) {
        due.splice(0, i + 1);
        i = -1;
      }
    }
    // Clients parked in a \sleep never finish the run: what they did is still in the recorder.
    if (!done) count(recorder.snapshot(0, 0, true));
    return ended;
  } finally {
    recorder.dispose();
  }
}
