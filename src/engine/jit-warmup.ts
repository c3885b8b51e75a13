/**
 * Warming the worker's hot path on real sockets before the load starts, without sending anything
 * to the real server: the run's own clients, in the run's own load mode and rate, run for half a
 * second against a stand-in server on loopback in this thread (warmup-server.ts).
 *
 * Why: V8 runs new code in its interpreter until it has seen it often enough to compile it, and
 * its compiler threads then take CPU for a few hundred milliseconds (about 0.6 of a core for
 * ~300 ms, perf sched). On a machine where client and server share the cores, that showed as a
 * burst of schedule lag in the first half second of every open-loop run (bench/RESULTS.md, case 3).
 *
 * The warm-up has to run the same code with the same object shapes as the real run, or V8
 * compiles again once real traffic flows. Found with --trace-opt/--trace-deopt:
 * - The warm-up this replaced ran the scripts on sessions that completed every statement at once
 *   (now bench/lib/instant-run.ts). It left about 60 functions per worker to compile after the
 *   start: Node's socket, stream and timer code, the session's read side, the open-loop pump, and
 *   functions it had warmed, again, for the real sessions' other shapes.
 * - So the warm-up's cores come from the caller's own factory (worker-main.ts), and their
 *   sessions are real WireSessions on `net` sockets with `onread`. The load object is made by
 *   loadLike for both; one taken as the worker received it has another shape ("wrong map" in
 *   pumpOnce and clientFree).
 * - Two passes. The first, short one takes sessions and cores through their whole life once
 *   (open, run, stop, close). Closing flips fields that were constant until then (a session's
 *   `closed`, a stream's ending state), and V8 throws away the code that assumed them constant
 *   ("code dependencies"). After the first pass they are known to change, so the code compiled in
 *   the second pass survives its own end.
 *
 * Only for pgbench scripts: a workload module's code is the user's own and may count or write
 * somewhere. Nothing of the warm-up reaches the results, the real server or the random sequences
 * of the real clients (its cores have their own recorder and seed).
 */
import { openSession } from '../driver/session.js';
import { parseConnInfo } from '../driver/conninfo.js';
import type { Protocol, Session } from '../driver/types.js';
import { Recorder, type IntervalSnapshot } from '../metrics/recorder.js';
import type { MetricsLayout } from '../metrics/types.js';
import type { StatementSpec } from '../workload/types.js';
import { systemClock } from './clock.js';
import type { LoadModel } from './messages.js';
import type { WorkerCore, WorkerCoreOptions } from './worker-core.js';
import { startWarmupServer } from './warmup-server.js';

/**
 * The passes' lengths (ms): see the header. Measured (select-only -R 18000, 8 clients, -j 2, 2 s
 * runs, 6 alternations; lag p99 of the whole run): no socket warm-up 20-114 ms, median 56; a 250 ms
 * second pass 2.9-21 ms, median 8.1; a 500 ms one 2.8-18 ms, median 4.9 (the worst 100 ms interval
 * after the first 0.5 s was 3.4-27 ms, median 6.3, in those runs). It costs about 0.5 s of start-up
 * per run (run -t 1 -c 8 -j 2: 1.3-1.4 s wall against 0.7-1.0 s).
 */
const WARMUP_PASSES_MS: readonly number[] = [30, 500];

/** What the warm-up replaces in the real run's core options. */
export type WarmupOverrides = Required<Pick<WorkerCoreOptions, 'load' | 'startOffsetMs' | 'gridDurationMs' | 'seed' | 'recorder' | 'connect' | 'connectRead' | 'outcomes' | 'rehomeOnReadOnly' | 'onSnapshot' | 'onDone'>>;

export interface SocketWarmupPlan {
  /** The run's load; each pass runs it for its own length. */
  readonly load: LoadModel;
  readonly seed: number;
  readonly protocol: Protocol;
  /** The session's statement list (as for the real sessions). */
  readonly statements: readonly StatementSpec[];
  readonly layout: MetricsLayout;
  /** Whether the run reads from a replica (then read sessions are warmed too). */
  readonly readRouting: boolean;
  /** Builds a core exactly as the real run does, with these options replaced. */
  readonly makeCore: (overrides: WarmupOverrides) => WorkerCore;
}

/**
 * The run's load as it is (`passMs` undefined), or cut to a pass of `passMs` (closed loop: timed,
 * not counted). The real core's load is made here too, not taken as the worker received it: the
 * warm-up's loads and the real one must share one object shape, or the code compiled in the
 * warm-up fails its shape checks on the first real transactions and V8 compiles it again
 * (measured with --trace-deopt: "wrong map" on `opts.load` in pumpOnce and clientFree).
 */
export function loadLike(load: LoadModel, passMs?: number): LoadModel {
  if (load.kind === 'open') return { ...load, durationMs: passMs ?? load.durationMs };
  return { ...load, durationMs: passMs ?? load.durationMs, transactionsPerClient: passMs === undefined ? load.transactionsPerClient : undefined };
}

/** Transactions the warm-up's passes ended: successfully, or with an error. */
export interface WarmupCount {
  ok: number;
  failed: number;
}

/** Run the passes; returns the transactions they ran (none if the warm-up could not run). */
export async function warmUpOnSockets(plan: SocketWarmupPlan, passesMs: readonly number[] = WARMUP_PASSES_MS): Promise<WarmupCount> {
  const server = await startWarmupServer();
  // Through the project's parser, with no environment: PGSSLMODE, PGPASSWORD and the like are the
  // real target's, not the stand-in's.
  const ci = parseConnInfo(`postgres://pgsurge-warmup@127.0.0.1:${server.port}/pgsurge-warmup?sslmode=disable&application_name=pgsurge-warmup`, {});
  const open = (): Promise<Session> => openSession(ci, ci.hosts[0]!, { protocol: plan.protocol, statements: plan.statements });
  const total: WarmupCount = { ok: 0, failed: 0 };
  try {
    for (const ms of passesMs) await pass(plan, open, ms, total);
    return total;
  } catch {
    // A warm-up that fails changes nothing: the real run goes on (and reports its own errors).
    return total;
  } finally {
    server.close();
  }
}

async function pass(plan: SocketWarmupPlan, open: () => Promise<Session>, ms: number, total: WarmupCount): Promise<void> {
  const recorder = new Recorder(plan.layout);
  const count = (snap: IntervalSnapshot): void => {
    for (const t of snap.types) {
      total.ok += t.ok;
      total.failed += t.errors.reduce((a, b) => a + b, 0);
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const core = plan.makeCore({
        load: loadLike(plan.load, ms),
        // Not the run's timeline: no delayed start (scenarios), and done when its load is (no grid
        // kept going to the run's end, which would hold each pass for the whole run's length).
        startOffsetMs: 0,
        gridDurationMs: undefined,
        // Another seed: the warm-up's random draws are its own.
        seed: plan.seed + 1,
        recorder,
        connect: open,
        connectRead: plan.readRouting ? open : undefined,
        outcomes: null,
        rehomeOnReadOnly: false,
        onSnapshot: count,
        onDone: () => void core.closeAll().then(resolve, resolve),
      });
      core.connectAll().then(() => core.start(systemClock.nowUs(), 0), (e: unknown) => void core.closeAll().finally(() => reject(e)));
    });
  } finally {
    recorder.dispose();
  }
}
