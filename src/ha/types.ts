/**
 * What the engine tells the HA module (src/ha) about every finished transaction, in the worker
 * thread, when a run measures failover or verifies writes. Kept apart from the metrics recorder:
 * the recorder aggregates; this keeps the order of events (outage windows) and the identity of
 * writes (the ledger).
 */
import type { FailureIndex } from '../metrics/types.js';

export const enum Outcome {
  Ok = 0,
  /** The server said no: the write did not happen. */
  Failed = 1,
  /** The connection died while the transaction was in flight: it may or may not have committed. */
  Unknown = 2,
}

export interface TxnOutcomeSink {
  /**
   * A transaction finished. `writeId` is the runner's id of the write it made (-1: none),
   * `failure` the class when it did not succeed (-1 when ok). Times are µs on the shared clock.
   */
  txn(clientId: number, type: number, outcome: Outcome, failure: FailureIndex | -1, scheduledUs: number, endUs: number, writeId: number): void;
  /** A client's connection was re-opened: it was down from `lostUs` to `backUs`. */
  reconnected(clientId: number, lostUs: number, backUs: number, host: string): void;
  /** Structured-clone data for the main thread, at the end of the run. */
  snapshot(): unknown;
}
