/**
 * Failure classes (DESIGN.md "Measurement semantics", contract). Order matters: counters are kept
 * in typed arrays indexed by `FAILURE_CLASSES.indexOf(cls)`.
 */
export const FAILURE_CLASSES = [
  'serialization', // 40001
  'deadlock', // 40P01
  'connection', // 08xxx, ECONNRESET, ECONNREFUSED, EPIPE, "Connection terminated", 57P01/57P02/57P03
  'timeout', // 57014, 55P03, client-side timeouts
  'read_only', // 25006
  'capacity', // 53300 / 53xxx
  'constraint', // 23xxx
  'other',
] as const;

export type FailureClass = (typeof FAILURE_CLASSES)[number];

export const enum FailureIndex {
  Serialization = 0,
  Deadlock = 1,
  Connection = 2,
  Timeout = 3,
  ReadOnly = 4,
  Capacity = 5,
  Constraint = 6,
  Other = 7,
}

/** Names of what is measured, fixed before the run; the recorder resolves everything to indexes. */
export interface MetricsLayout {
  readonly txnTypes: readonly { readonly name: string; readonly statements: readonly string[] }[];
}
