/**
 * Live outputs and observers: small interfaces with optional hooks (k6's output/types.go). The
 * run calls them; they know nothing of each other. Server sampling, Prometheus and future live
 * pages are all LiveOutputs.
 */
import type { ConnInfo, HostSpec } from '../driver/types.js';
import type { IntervalStats } from '../metrics/aggregator.js';
import type { MetricsLayout } from '../metrics/types.js';

export interface RunContext {
  readonly conn: ConnInfo;
  /** The host the load goes to (the first of conn.hosts that answered). */
  readonly host: HostSpec;
  readonly layout: MetricsLayout;
  readonly intervalMs: number;
  /** Set when pgsurge started the server itself: its postmaster pid and data directory. */
  readonly localServer: { readonly pid: number; readonly dataDir: string } | undefined;
}

/** What an output adds to the result at the end (e.g. server samples, findings). */
export type ResultAdditions = Readonly<Record<string, unknown>>;

export interface LiveOutput {
  readonly name: string;
  /** Before the load: connect, take start-of-run facts. May throw a PgsurgeError. */
  open?(ctx: RunContext): Promise<void>;
  /** The measured phase starts at `measureStartUs` (shared clock, see engine/clock.ts); intervals follow on the grid. */
  start?(measureStartUs: number): void;
  /** An interval of client metrics, merged over all workers, in order. */
  interval?(stats: IntervalStats): void;
  /** The run ended: stop sampling, close, and return what goes into the result. */
  stop?(): Promise<ResultAdditions | undefined>;
}
