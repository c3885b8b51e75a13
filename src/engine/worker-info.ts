/**
 * What a worker reports when it is done, and why a run stops: shared by the worker core, the
 * main↔worker messages and the run lifecycle (a module of its own so none of them imports another
 * for it).
 */
import type { HostFigures } from './host-counts.js';
import type { LoopFigures } from './loop-monitor.js';

/**
 * Why the load stopped: its duration ended, every client ran its -t transactions, or the run was
 * interrupted (Ctrl-C, an abort signal), or a controller ended it early (RunControl.end: --find-limit).
 */
export type StopReason = 'duration' | 'transactions' | 'interrupted' | 'ended';

export interface WorkerDoneInfo {
  /** Transactions per host ("host:port"). */
  readonly hosts: Readonly<Record<string, HostFigures>>;
  /** The HA sink's snapshot, when the run measures failover. */
  readonly ha?: unknown;
  readonly reason: StopReason;
  /** How late the thread's event loop ran and how long GC paused it (set by the worker thread). */
  readonly loop?: LoopFigures;
}
