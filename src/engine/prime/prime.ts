/**
 * Priming the worker's hot path (V8's JIT) on real sockets before the load starts, without sending
 * anything to the real server: the run's own clients, in the run's own load mode and rate, run for
 * half a second against a stand-in server on loopback in this thread (stand-in-server.ts).
 *
 * Why: V8 runs new code in its interpreter until it has seen it often enough to compile it, and
 * its compiler threads then take CPU for a few hundred milliseconds (about 0.6 of a core for
 * ~300 ms, perf sched). On a machine where client and server share the cores, that showed as a
 * burst of schedule lag in the first half second of every open-loop run (bench/RESULTS.md, case 3).
 *
 * The priming has to run the same code with the same object shapes as the real run, or V8
 * compiles again once real traffic flows (checked with --trace-opt/--trace-deopt). So its cores
 * come from the caller's own factory (worker-main.ts), with the run's executor, and their sessions
 * are real WireSessions on `net` sockets with `onread`. Two passes: the first, short one takes
 * sessions and cores through their whole life once (open, run, stop, close), because closing flips
 * fields that were constant until then and V8 drops the code that assumed them constant; the code
 * compiled in the second pass then survives its own end.
 *
 * Only for pgbench scripts: a workload module's code is the user's own and may count or write
 * somewhere. Nothing of the priming reaches the results, the real server or the random sequences
 * of the real clients (its cores have their own recorder and seed).
 */
import { openSession } from '../../driver/session.js';
import { parseConnInfo } from '../../driver/conninfo.js';
import type { Protocol, Session } from '../../driver/types.js';
import { Recorder, type IntervalSnapshot } from '../../metrics/recorder.js';
import type { MetricsLayout } from '../../metrics/types.js';
import type { StatementSpec } from '../../workload/types.js';
import { systemClock } from '../clock.js';
import type { LoadModel } from '../messages.js';
import { loadForPass } from '../../executor/registry.js';
import type { WorkerCore, WorkerCoreOptions } from '../worker-core.js';
import { startStandInServer } from './stand-in-server.js';

/**
 * The passes' lengths (ms): a short one for the whole life cycle, then one long enough for V8 to
 * compile what the run needs (about 0.5 s of start-up per run; measurements in bench/RESULTS.md,
 * "Design measurements").
 */
const PRIME_PASSES_MS: readonly number[] = [30, 500];

/**
 * Clients a worker primes with, at most: the code V8 compiles is the same for 64 clients as for
 * 2,500, while each primed client is a session, a socket and the stand-in's socket on this thread.
 * With all of them, a -c 5000 run held 10,000 sockets per worker while priming and its start-up
 * garbage raised the worker's heap for the rest of the run.
 */
export const PRIME_MAX_CLIENTS = 64;

/** What the priming replaces in the real run's core options. */
export type PrimeOverrides = Required<
  Pick<
    WorkerCoreOptions,
    | 'clientIds'
    | 'load'
    | 'startOffsetMs'
    | 'gridDurationMs'
    | 'seed'
    | 'recorder'
    | 'connect'
    | 'connectRead'
    | 'outcomes'
    | 'txnLog'
    | 'rehomeOnReadOnly'
    | 'onSnapshot'
    | 'onDone'
  >
>;

export interface PrimePlan {
  /** The run's load; each pass runs it for its own length (timed, never counted). */
  readonly load: LoadModel;
  /** The run's clients on this worker; the priming takes the first PRIME_MAX_CLIENTS. */
  readonly clientIds: readonly number[];
  readonly seed: number;
  readonly protocol: Protocol;
  /** The session's statement list (as for the real sessions). */
  readonly statements: readonly StatementSpec[];
  readonly layout: MetricsLayout;
  /** Whether the run reads from a replica (then read sessions are primed too). */
  readonly readRouting: boolean;
  /** Builds a core exactly as the real run does, with these options replaced. */
  readonly makeCore: (overrides: PrimeOverrides) => WorkerCore;
}

/** Transactions the priming's passes ended: successfully, or with an error. */
export interface PrimeCount {
  ok: number;
  failed: number;
}

/** Run the passes; returns the transactions they ran (none if the priming could not run). */
export async function primeOnSockets(plan: PrimePlan, passesMs: readonly number[] = PRIME_PASSES_MS): Promise<PrimeCount> {
  const server = await startStandInServer();
  // Through the project's parser, with no environment: PGSSLMODE, PGPASSWORD and the like are the
  // real target's, not the stand-in's.
  const ci = parseConnInfo(`postgres://pgsurge-prime@127.0.0.1:${server.port}/pgsurge-prime?sslmode=disable&application_name=pgsurge-prime`, {});
  const open = (): Promise<Session> => openSession(ci, ci.hosts[0]!, { protocol: plan.protocol, statements: plan.statements });
  const total: PrimeCount = { ok: 0, failed: 0 };
  try {
    for (const ms of passesMs) await pass(plan, open, ms, total);
    return total;
  } catch {
    // A priming that fails changes nothing: the real run goes on (and reports its own errors).
    return total;
  } finally {
    server.close();
  }
}

async function pass(plan: PrimePlan, open: () => Promise<Session>, ms: number, total: PrimeCount): Promise<void> {
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
        clientIds: plan.clientIds.slice(0, PRIME_MAX_CLIENTS),
        load: loadForPass(plan.load, ms),
        // Not the run's timeline: no delayed start (scenarios), and done when its load is (no grid
        // kept going to the run's end, which would hold each pass for the whole run's length).
        startOffsetMs: 0,
        gridDurationMs: undefined,
        // Another seed: the priming's random draws are its own.
        seed: plan.seed + 1,
        recorder,
        connect: open,
        connectRead: plan.readRouting ? open : undefined,
        outcomes: null,
        txnLog: null,
        rehomeOnReadOnly: false,
        onSnapshot: count,
        onDone: () => void core.closeAll().then(resolve, resolve),
      });
      core.connectAll().then(
        () => core.start(systemClock.nowUs(), 0),
        (e: unknown) => void core.closeAll().finally(() => reject(e)),
      );
    });
  } finally {
    recorder.dispose();
  }
}
