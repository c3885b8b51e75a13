/**
 * Messages between the main thread and worker threads (structured-clone data only). Workers
 * share nothing but these: one snapshot per interval, never a message per transaction.
 */
import type { ConnInfo, HostSpec, Protocol } from '../driver/types.js';
import type { LoadModel } from '../executor/registry.js';
import type { IntervalSnapshot } from '../metrics/recorder.js';
import type { MetricsLayout } from '../metrics/types.js';
import type { WorkloadSource } from '../workload/sources.js';
import type { StopReason, WorkerDoneInfo } from './worker-info.js';

export type { LoadModel } from '../executor/registry.js';

/** A worker's part of the run, as plain data (the worker core's settings). */
export interface WorkerSettings {
  readonly worker: number;
  readonly workers: number;
  /** Global client ids of this worker (pgbench's :client_id). */
  readonly clientIds: readonly number[];
  readonly load: LoadModel;
  /** Scenarios: this worker's load starts this long after the run's start. */
  readonly startOffsetMs: number;
  /**
   * Scenarios: length of the run's measured timeline; a worker whose load ends earlier keeps
   * sending (empty) interval snapshots until then, so every interval is complete on time.
   */
  readonly gridDurationMs: number | undefined;
  /** Index of this worker's first transaction type in the run's metrics layout. */
  readonly typeOffset: number;
  /** First client id of this worker's scenario (client ids are unique across the run). */
  readonly clientIdBase: number;
  /** pgbench's :scale and -D definitions, for the scripts. */
  readonly scale: number;
  readonly defines: Readonly<Record<string, string>>;
  readonly maxTries: number;
  /** --connect-rate: this worker's connections start this far apart (µs); absent: as fast as they open. */
  readonly connectIntervalUs?: number;
  readonly queryTimeoutMs: number;
  /** How long in-flight transactions may take to finish after the end. */
  readonly graceMs: number;
  readonly intervalMs: number;
  readonly seed: number;
  /** --log: the file every measured transaction is appended to (txn-log.ts). */
  readonly txnLogFile?: string;
}

export interface WorkerInit extends WorkerSettings {
  readonly scripts: readonly WorkloadSource[];
  readonly layout: MetricsLayout;
  readonly conn: ConnInfo;
  readonly host: HostSpec;
  /** Read routing: where read-only transaction types go (undefined: everything on the primary). */
  readonly replicaConn: ConnInfo | undefined;
  readonly protocol: Protocol;
  /** Failover measurement (src/ha): the worker keeps an outcome sink and sends its snapshot when done. */
  readonly ha: boolean;
}

export type ToWorker =
  | { readonly type: 'go'; readonly startUs: number; readonly warmupMs: number }
  | { readonly type: 'stop'; readonly reason: StopReason }
  /** A new target from now on: arrivals per second (open loop) or active clients (closed). */
  | { readonly type: 'adjust'; readonly target: number };

export type FromWorker =
  /** Every client of the worker is connected: it began at `fromUs` and ended at `atUs` (the shared clock). */
  | { readonly type: 'ready'; readonly fromUs: number; readonly atUs: number }
  | { readonly type: 'connect-failed'; readonly code: string; readonly message: string }
  /** `ha`: the failover measurement's outages so far (src/ha), when they changed since the last interval. */
  | { readonly type: 'snapshot'; readonly snapshot: IntervalSnapshot; readonly ha?: unknown }
  | { readonly type: 'done'; readonly info: WorkerDoneInfo }
  | { readonly type: 'fatal'; readonly message: string };
