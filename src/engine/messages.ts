/**
 * Messages between the main thread and worker threads (structured-clone data only), and the load
 * model each worker runs. Workers share nothing but these: one snapshot per interval, never a
 * message per transaction.
 */
import type { Stage } from '../config/units.js';
import type { ConnInfo, HostSpec, Protocol } from '../driver/types.js';
import type { IntervalSnapshot } from '../metrics/recorder.js';
import type { MetricsLayout } from '../metrics/types.js';
import type { WorkloadSource } from '../workload/sources.js';
import type { WorkerDoneInfo } from './worker-core.js';

export type LoadModel =
  | {
      readonly kind: 'closed';
      /** Measured duration; undefined with -t. */
      readonly durationMs: number | undefined;
      readonly transactionsPerClient: number | undefined;
      /** Ramping client count (k6's ramping-vus); undefined for a fixed -c. */
      readonly stages: readonly Stage[] | undefined;
    }
  | {
      readonly kind: 'open';
      readonly durationMs: number;
      /** Constant rate, or the starting rate of the stages. */
      readonly rateHz: number;
      readonly arrivals: 'uniform' | 'poisson';
      /** Arrivals that may wait for a free client, per worker; more are dropped. */
      readonly maxQueue: number;
      /** pgbench -L: an arrival later than this when a client could start it is skipped. */
      readonly latencyLimitMs: number | undefined;
      readonly stages: readonly Stage[] | undefined;
    };


export interface WorkerInit {
  readonly worker: number;
  readonly workers: number;
  readonly clientIds: readonly number[];
  readonly scripts: readonly WorkloadSource[];
  readonly layout: MetricsLayout;
  readonly load: LoadModel;
  readonly startOffsetMs: number;
  readonly gridDurationMs: number | undefined;
  readonly typeOffset: number;
  readonly clientIdBase: number;
  readonly scale: number;
  readonly defines: Readonly<Record<string, string>>;
  readonly maxTries: number;
  readonly queryTimeoutMs: number;
  readonly graceMs: number;
  readonly intervalMs: number;
  readonly seed: number;
  readonly conn: ConnInfo;
  readonly host: HostSpec;
  /** Read routing: where read-only transaction types go (undefined: everything on the primary). */
  readonly replicaConn: ConnInfo | undefined;
  readonly protocol: Protocol;
  /** Failover measurement (src/ha): the worker keeps an outcome sink and sends its snapshot when done. */
  readonly ha: boolean;
}

export type ToWorker = { readonly type: 'go'; readonly startUs: number; readonly warmupMs: number } | { readonly type: 'stop'; readonly reason: string };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'connect-failed'; readonly code: string; readonly message: string }
  | { readonly type: 'snapshot'; readonly snapshot: IntervalSnapshot }
  | { readonly type: 'done'; readonly info: WorkerDoneInfo }
  | { readonly type: 'fatal'; readonly message: string };
