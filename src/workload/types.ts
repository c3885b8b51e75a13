/**
 * Contract between workloads (pgbench scripts, built-ins, later TS modules) and the engine.
 *
 * A workload is a set of weighted transaction programs. The engine picks a program per transaction
 * (by weight, with the client's RNG), then drives a per-client `TxnRunner` step by step. The runner
 * does everything that is not I/O: variables, expressions, \if, random numbers. The engine does the
 * I/O (statements, sleeps) and the timing. Steps are returned as small integer codes with their
 * data in fields of the runner, so the hot path allocates nothing per transaction.
 */

/** A statement parameter. `number` is always an integer (safe range); doubles arrive as strings. */
export type Param = string | number | bigint | null;

/** One SQL statement of a program, known before the run so it can be prepared once. */
export interface StatementSpec {
  /**
   * SQL split around its parameters: `parts.length === paramCount + 1`.
   * Extended/prepared protocol: sent as parts[0] + "$1" + parts[1] + "$2" + ... .
   * Simple protocol (pgbench -M simple): parts interleaved with the parameters' text, as pgbench does.
   */
  readonly parts: readonly string[];
  /** The statement as the user wrote it (for per-statement reports, `-r`), whitespace-trimmed. */
  readonly text: string;
  /** 1-based line of the statement in its script (0 for generated statements). */
  readonly line: number;
  /** True when the runner needs the result rows of this statement (\gset, \aset). */
  readonly wantsRows: boolean;
}

/** A named, weighted transaction: one pgbench script, or one transaction of a built-in workload. */
export interface TxnProgram {
  readonly name: string;
  readonly weight: number;
  /** Only reads: with read routing (--replica), runs on a replica. */
  readonly read?: boolean;
  /** Uses pipeline mode (needs the extended or prepared protocol). */
  readonly pipeline?: boolean;
  readonly statements: readonly StatementSpec[];
  /** The file the statements come from, as the user typed it (messages name it with the line). */
  readonly file?: string;
  /** Make the runner for one client. Called once per client, in the worker thread. */
  createRunner(ctx: ClientContext): TxnRunner;
}

export interface ClientContext {
  /** 0-based, unique across all worker threads (pgbench's :client_id). */
  readonly clientId: number;
  /** pgbench's :scale. */
  readonly scale: number;
  /** -D name=value definitions. */
  readonly defines: Readonly<Record<string, string>>;
  /** The run's random seed (pgbench --random-seed); each client derives its own stream from it. */
  readonly randomSeed: bigint;
}

/** What the runner wants next. */
export const enum StepKind {
  /** Run `runner.stmt` (an index into `statements`) with `runner.params`; then call `onRows`/`onResult`. */
  Query = 0,
  /** Sleep `runner.sleepUs` microseconds, then call `next()` again. */
  Sleep = 1,
  /** The transaction is finished (successfully, as far as the script is concerned). */
  End = 2,
  /** The script itself failed (e.g. division by zero): `runner.error` says what, with script:line:col. */
  Error = 3,
  /**
   * Pipeline mode: send a Sync for the statements pipelined so far and wait for their results
   * (pgbench's \syncpipeline and \endpipeline); then call `next()` again.
   */
  Sync = 4,
}

export interface TxnRunner {
  /** Begin a transaction: remember the random state so a retry replays the same values. */
  begin(): void;
  /** Rewind to the start of the transaction for a retry (40001/40P01), replaying the same random values. */
  rewind(): void;
  /** Advance to the next step. */
  next(): StepKind;
  /** Valid after `next()` returned Query. */
  readonly stmt: number;
  /** Valid after `next()` returned Query; reused between calls (copy if you keep it). */
  readonly params: Param[];
  /**
   * Valid after `next()` returned Query: the statement is inside a pipeline, so the engine sends it
   * without waiting and calls `next()` at once; results come with the following Sync step.
   */
  readonly pipelined?: boolean;
  /** Valid after `next()` returned Sleep. */
  readonly sleepUs: number;
  /** Valid after `next()` returned Error. */
  readonly error: string;
  /**
   * Optional: the id of the write this transaction makes (for --verify-writes' ledger), valid from
   * `begin()` to the end of the transaction; -1 or absent when it writes nothing to verify.
   */
  readonly writeId?: number;
  /**
   * The rows of the last Query, only for statements with `wantsRows`: column names and text values
   * (null for SQL NULL). Called before the following `next()`.
   */
  onRows(columns: readonly string[], rows: readonly (readonly (string | null)[])[]): void;
}
