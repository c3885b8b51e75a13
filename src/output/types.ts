/**
 * Live outputs and observers: small interfaces with optional hooks (k6's output/types.go). The
 * run calls them through src/output/run-outputs.ts; they know nothing of each other. The progress
 * line, server sampling and Prometheus are all LiveOutputs, made by src/output/registry.ts.
 */
import type { ConnInfo, HostSpec } from '../driver/types.js';
import type { IntervalStats } from '../metrics/aggregator.js';
import type { MetricsLayout } from '../metrics/types.js';
import type { ResultV1 } from '../report/result.js';
import type { ServerSample } from '../report/server-schema.js';

export interface RunContext {
  readonly conn: ConnInfo;
  /** The host the load goes to (the first of conn.hosts that answered). */
  readonly host: HostSpec;
  readonly layout: MetricsLayout;
  readonly intervalMs: number;
  /** Set when pgsurge started the server itself: its postmaster pid and data directory. */
  readonly localServer: { readonly pid: number; readonly dataDir: string } | undefined;
  /** Tables of the workloads that run (besides pgbench_*, which are always watched). */
  readonly tables?: readonly string[];
  /** --replica servers (read routing): sampled like the target's hosts, with their own credentials. */
  readonly replicaConn?: ConnInfo | undefined;
  /** --observe-server: sampled in place of the target's host (and of what a pooler there leads to), each with its own credentials. */
  readonly observeServers?: readonly ConnInfo[];
  /** The warm-up before the measured phase (statements run in it are not the run's). */
  readonly warmupMs?: number;
  /** Says a problem that does not stop the run (one line, without the "pgsurge: warning: " prefix). */
  readonly warn?: (line: string) => void;
  /**
   * The server observer hands each interval's sample here as soon as it has it; the run's outputs
   * (src/output/run-outputs.ts) pass it to every output's `server` hook.
   */
  readonly serverSample?: (sample: ServerSample) => void;
}

/** What the outputs add to the result at the end: some of its optional sections, typed. */
export type ResultAdditions = Partial<Pick<ResultV1, 'server' | 'serverFacts' | 'findings' | 'statementServerTime'>>;

/** What the run hands every output when it ends. */
export interface RunEnd {
  /** The run's intervals, merged over all workers, in order: the one copy of them (the aggregator's). */
  readonly intervals: readonly IntervalStats[];
  /**
   * Aborted by a second signal: stop() must then return at once with what it has (what it still
   * waits for is left out and said so), instead of waiting for its own bounds.
   */
  readonly stopNow?: AbortSignal;
}

export interface LiveOutput {
  readonly name: string;
  /** Before the load: connect, take start-of-run facts. May throw a PgsurgeError. */
  open?(ctx: RunContext): Promise<void>;
  /** The measured phase starts at `measureStartUs` (shared clock, see engine/clock.ts); intervals follow on the grid. */
  start?(measureStartUs: number): void;
  /** An interval of client metrics, merged over all workers, in order. */
  interval?(stats: IntervalStats): void;
  /** An interval's server sample (same grid as the intervals), in order, as the observer emits it. */
  server?(sample: ServerSample): void;
  /** The run ended: stop sampling, close, and return what goes into the result. */
  stop?(end: RunEnd): Promise<ResultAdditions | undefined>;
}
