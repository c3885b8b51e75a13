/**
 * The one interface of a load model (k6's lib/executor). The worker core owns the clients, the
 * interval grid, reconnects, timeouts and stopping; an executor only decides when and whether the
 * next transaction starts. One executor object per worker, made once (registry.ts): the core's
 * calls into it stay monomorphic, and no executor allocates per transaction.
 *
 * Counting rule (DESIGN.md): arrivals = ok + failed + skipped + dropped + unfinished, for everything
 * scheduled in the measured phase. An executor counts arrivals (and drops, skips, and queued
 * arrivals left at the stop); the clients and the core count the rest.
 */
import type { Clock } from '../engine/clock.js';
import type { Timers } from '../engine/timers.js';
import type { FastRandom } from './random.js';

/** What an executor sees of a client. */
export interface ExecClient {
  /** Global client id (pgbench's :client_id). */
  readonly id: number;
  /** Index of the client in its worker, 0-based. */
  readonly index: number;
  /** Transactions this client finished (ok or failed), for -t. */
  readonly finished: number;
  /** Begin a transaction of `type`, due at `scheduledUs` (latency counts from there). */
  start(type: number, scheduledUs: number, nowUs: number): void;
}

/** The counters an executor adds to (the worker's recorder). */
export interface LoadCounts {
  arrival(): void;
  dropped(): void;
  skipped(type: number): void;
  /** One transaction that will never finish, due at `scheduledUs`, given up at `stopUs` (counted at its wait so far). */
  unfinished(scheduledUs: number, stopUs: number): void;
}

/** What an executor may use of its worker core. */
export interface ExecutorHost {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly recorder: LoadCounts;
  /** The worker's own seeded generator (shared with the choice of transaction type). */
  readonly random: FastRandom;
  /** The worker's seed, for an executor's own draws (with a stream of its own). */
  readonly seed: number;
  readonly clients: readonly ExecClient[];
  /** Worker w of J of its group: how the group's arrivals and clients are split. */
  readonly worker: number;
  readonly workers: number;
  /** First client id of the group: `id - clientIdBase` is a client's place in a ramp. */
  readonly clientIdBase: number;
  /** Added to a program's index to get its transaction type in the metrics layout. */
  readonly typeOffset: number;
  /** Start of the measured phase (µs): nothing due before it is counted. */
  readonly measureStartUs: number;
  /** When this worker's load begins and ends (µs; Infinity: no end, as with -t). */
  readonly loadStartUs: number;
  readonly endUs: number;
  /** Which transaction type to run next (weighted draw). */
  pickType(): number;
  /** A client has run its -t transactions. */
  clientDone(c: ExecClient): void;
  /** A parked client may start again (when it is idle and connected, and the load goes on). */
  wake(c: ExecClient): void;
}

export interface Executor {
  /** The load begins: start the clients or the arrival schedule. */
  begin(nowUs: number): void;
  /**
   * A client is free at `nowUs`: it finished a transaction, or (re)connected. Called only while
   * the load goes on (not after stop).
   */
  clientFree(c: ExecClient, nowUs: number): void;
  /** Periodic (the core's sweep, every 100 ms): e.g. start parked clients a ramp has reached. */
  sweep(nowUs: number): void;
  /** A new target from now on (open loop: arrivals per second; closed: active clients). */
  adjust(target: number, nowUs: number): void;
  /** Start nothing more: cancel timers; queued arrivals of the measured phase become unfinished. */
  stop(): void;
}

/** Part K of N of a run (1-based K), for running one load from several machines. */
export interface ShardPart {
  readonly k: number;
  readonly n: number;
}

/** What a retarget means for a load model. */
export type TargetKind = 'rate' | 'clients';

/** A load model: its config (plain structured-clone data, posted to the workers) and behaviour. */
export interface ExecutorDef<C extends { readonly kind: string; readonly durationMs: number | undefined }> {
  readonly kind: C['kind'];
  /** Arrivals come on a schedule (latency lag, drops and skips apply). */
  readonly openLoop: boolean;
  readonly targetKind: TargetKind;
  /** Problems with the config, one line each (empty: valid). */
  validate(config: C): string[];
  /** For the run's banner: what this load does with `clients` clients, e.g. "8 clients". */
  describe(config: C, clients: number): string;
  /** The same load cut to a timed pass of `passMs` (the JIT priming's passes). */
  forPass(config: C, passMs: number): C;
  /** The load config of part K of N (client ids and seeds: share.ts). */
  share(config: C, part: ShardPart): C;
  create(config: C, host: ExecutorHost): Executor;
}
