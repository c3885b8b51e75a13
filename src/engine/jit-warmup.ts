/**
 * Warming the hot path before the load starts, without sending anything to the server.
 *
 * Why: V8 runs new code in its interpreter until it has seen it often enough to compile it; for the
 * first few hundred milliseconds of a run a worker's per-transaction JavaScript is many times
 * slower, and on a machine where client and server share the cores that shows as a burst of
 * schedule lag in the first second of every open-loop run (bench/RESULTS.md, case 3).
 *
 * How: before the worker reports ready, a throwaway WorkerCore runs the run's own programs
 * (pgbench scripts only: a workload module's code is the user's, and may count or write
 * somewhere) for a few thousand transactions on sessions that complete every statement at once,
 * with their own runners, random generators and recorder, all dropped afterwards. The functions
 * are the ones the real clients run, so V8 compiles them before the first real transaction. Nothing
 * of it reaches the results, the server or the random sequences of the real clients.
 *
 * What it does not cover (measured with --trace-opt/--trace-deopt and perf, -R 18000, -j 2): once
 * real traffic flows V8 still compiles about 60 functions per worker, Node's socket code, the
 * session's read side, the open-loop pump, and again some of the functions warmed here (new maps
 * from the real sessions). Those TurboFan jobs take about 0.6 of a core for ~300 ms. On that day,
 * with and without this warm-up (4 alternations each, 100 ms intervals) the worst interval of the
 * first 0.5 s had max lag 38-117 ms either way; an earlier measurement had lag p99 107 → 34 ms
 * (3 runs). Tried without effect on top of it:
 * Sync round trips on the real sockets before the start, warming after the real sessions exist,
 * 200 ms of idle before "ready", --v8-pool-size=1. What removes the burst is real load before the
 * measured phase (--warmup 0.3s: whole-run lag p99 2.4-3.9 ms against 12-97 ms).
 */
import type { Session, SessionHandler } from '../driver/types.js';
import { StatementWriter } from '../driver/wire-writer.js';
import { Recorder, type IntervalSnapshot } from '../metrics/recorder.js';
import { FailureIndex, type MetricsLayout } from '../metrics/types.js';
import type { Param, StatementSpec, TxnProgram } from '../workload/types.js';
import { systemClock } from './clock.js';
import type { WorkerSettings } from './messages.js';
import { WorkerCore, type Timers } from './worker-core.js';

/**
 * Enough for V8 to optimise the per-transaction functions: ~10–50 ms of CPU per worker (20,000 ×
 * 0.5–2.3 µs, bench/engine-hot-path.ts).
 */
const WARMUP_TRANSACTIONS = 20_000;
const CLIENTS = 4;

/** Builds each statement's message like the real session, then completes it at once. */
class InstantSession implements Session {
  readonly protocol = 'prepared' as const;
  readonly backendPid = 0;
  readonly serverVersion = '';
  readonly host = { host: 'warm-up', port: 0 };
  private handler: SessionHandler | null = null;
  private readonly writers: StatementWriter[];
  constructor(
    statements: readonly StatementSpec[],
    private readonly due: SessionHandler[],
  ) {
    this.writers = statements.map((s, i) => new StatementWriter(s, 'prepared', `warmup_${i}`));
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

/** Timers that never fire: a \sleep in a script just ends that client's warm-up. */
const NO_TIMERS: Timers = { set: () => null, block: () => undefined, immediate: () => undefined, clear: () => undefined };

/**
 * Run the warm-up for the programs a worker will run (skipped unless they are all pgbench scripts,
 * `isScript`). `statements`: the session's statement list (programs' statements, then ROLLBACK).
 * Returns the transactions it ran (0 when skipped or when a script failed it).
 */
export async function warmUp(
  programs: readonly TxnProgram[],
  isScript: boolean,
  statements: readonly StatementSpec[],
  settings: InstantSettings,
  layout: MetricsLayout,
): Promise<number> {
  if (!isScript || programs.length === 0) return 0;
  try {
    // Another seed: the warm-up's random draws are its own.
    return await runInstant(programs, statements, { ...settings, seed: settings.seed + 1 }, layout, WARMUP_TRANSACTIONS);
  } catch {
    // A warm-up that fails (a script error, say) changes nothing: the real run reports it.
    return 0;
  }
}

export type InstantSettings = Pick<WorkerSettings, 'scale' | 'defines' | 'seed'>;

/**
 * Run `transactions` transactions of `programs` on CLIENTS clients whose statements complete at
 * once (also used by bench/engine-hot-path.ts to time the JavaScript of a transaction). Returns
 * the transactions that ended (ok or failed).
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
    load: { kind: 'closed', durationMs: undefined, transactionsPerClient: Math.ceil(transactions / CLIENTS), stages: undefined },
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
