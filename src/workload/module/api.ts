/**
 * The public API for workloads written in TypeScript or JavaScript:
 *
 * ```ts
 * import { defineWorkload } from 'pgsurge';
 * export default defineWorkload({
 *   options: { items: { type: 'int', default: 10_000, description: 'rows in items' } },
 *   async setup(db, o) { await db.query('create table if not exists items (...)'); },
 *   transactions: {
 *     browse: { weight: 8, read: true, steps: [{ sql: 'select * from items where id = $1', params: (r, _v, o) => [r.int(1, o.items)] }] },
 *   },
 * });
 * ```
 *
 * Each transaction is a list of SQL steps run as prepared statements. The functions on a step are
 * called synchronously on the hot path, once per execution, so they must be cheap and must not
 * await: compute parameters, keep values for later steps in `v`, read rows in `rows`.
 */

/** A parameter value: integers (number or bigint), text, or null. */
export type ParamValue = string | number | bigint | boolean | null;

export interface OptionSpec {
  readonly type: 'int' | 'number' | 'string' | 'boolean';
  readonly default: number | string | boolean;
  readonly description?: string;
}

export type OptionsSpec = Readonly<Record<string, OptionSpec>>;

type OptionValue<S extends OptionSpec> = S['type'] extends 'int' | 'number' ? number : S['type'] extends 'boolean' ? boolean : string;

export type OptionValues<O extends OptionsSpec> = { readonly [K in keyof O]: OptionValue<O[K]> };

/** Seeded random values: reproducible with --random-seed, one stream per client. */
export interface Random {
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** Uniform double in [0, 1). */
  double(): number;
  /** pgbench's random_gaussian(min, max, parameter ≥ 2). */
  gaussian(min: number, max: number, parameter: number): number;
  /** pgbench's random_exponential(min, max, parameter > 0). */
  exponential(min: number, max: number, parameter: number): number;
  /** pgbench's random_zipfian(min, max, s in [1.001, 1000]). */
  zipfian(min: number, max: number, s: number): number;
  /** True with probability p. */
  bool(p?: number): boolean;
  /** One element of a list, uniformly. */
  pick<T>(list: readonly T[]): T;
  /** A string of `length` characters from [a-zA-Z0-9]. */
  string(length: number): string;
  /** A JSON object serialised to about `bytes` bytes (random text inside), for payload columns. */
  json(bytes: number): string;
}

/** Per-transaction scratch space: cleared when a transaction (or its retry) begins. */
export type Vars = Record<string, unknown>;

export type Row = Readonly<Record<string, string | null>>;

export interface StepDefinition<O> {
  /** SQL with $1, $2, … placeholders. */
  readonly sql: string;
  /** The parameters of one execution. */
  readonly params?: (r: Random, v: Vars, o: O) => readonly ParamValue[];
  /** Receives the result rows (text values); giving it makes pgsurge read the rows. */
  readonly rows?: (rows: readonly Row[], v: Vars) => void;
}

export interface TransactionDefinition<O> {
  /** Relative weight among the workload's transactions (default 1). */
  readonly weight?: number;
  /** Only reads: may be routed to a replica. */
  readonly read?: boolean;
  /**
   * The transaction makes one write that `--verify-writes` tracks by id: before the first step
   * pgsurge sets `v.writeId` (0, 1, 2, … per client and transaction; the same on a retry) and
   * `v.clientId`, and keeps the write's outcome (ok / failed / unknown) in its ledger.
   */
  readonly writes?: boolean;
  readonly steps: readonly StepDefinition<O>[];
}

/** What setup and teardown get: an ordinary connection (not the hot path). */
export interface SetupDb {
  query(sql: string, params?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** A connection of setup's own, opened with `SetupContext.openSession`. */
export interface SetupSession extends SetupDb {
  /** Close it; sessions still open when setup returns (or throws) are closed by pgsurge. */
  end(): Promise<void>;
}

/** What setup gets besides its connection. */
export interface SetupContext {
  /**
   * Open one more connection to the server setup runs on, for work that setup spreads over
   * several connections (e.g. loading partitions in parallel). Its queries have the same
   * client-side deadline as `db`'s.
   */
  openSession(): Promise<SetupSession>;
  /**
   * Say how far a stage of setup has come (e.g. `{ stage: 'purchases', rows: 2e6, totalRows: 5e6 }`).
   * Rows loaded by an earlier, resumed setup count as done. A data load started from the page or
   * the API streams it with a rate and the time left, both counted from the stage's first report;
   * `pgsurge init` prints setup's own log lines instead. Cheap: call it as often as rows are done.
   */
  progress(p: SetupProgress): void;
}

/** How far one stage of a module's setup has come. */
export interface SetupProgress {
  /** The stage, usually the table being loaded. */
  readonly stage: string;
  readonly rows: number;
  /** Rows the stage will have when done (0 when unknown). */
  readonly totalRows: number;
}

export interface WorkloadDefinition<O extends OptionsSpec = OptionsSpec> {
  readonly name?: string;
  readonly description?: string;
  readonly options?: O;
  /** Create the schema and data (`pgsurge init MODULE`, and before a run on a throwaway server). */
  readonly setup?: (db: SetupDb, o: OptionValues<O>, ctx: SetupContext) => Promise<void>;
  /** Remove what setup made (`pgsurge run MODULE --teardown`). */
  readonly teardown?: (db: SetupDb, o: OptionValues<O>) => Promise<void>;
  readonly transactions: Readonly<Record<string, TransactionDefinition<OptionValues<O>>>>;
  /**
   * Weights that depend on the options (e.g. `-D only=search` to run one transaction type, or a
   * variant of a transaction chosen by an option): transaction name → weight, overriding each
   * named transaction's `weight`. Called once when the programs are built, not on the hot path.
   */
  readonly weights?: (o: OptionValues<O>) => Readonly<Record<string, number>>;
  /**
   * Put the data back as setup left it, faster than a new setup (`pgsurge reset WORKLOAD`): e.g.
   * truncate what the transactions wrote, keep what setup loaded.
   */
  readonly reset?: (db: SetupDb, o: OptionValues<O>) => Promise<void>;
  /**
   * Workload-specific figures after a run (rows/s, MB written, table sizes, which code path ran),
   * shown in the summary and stored in the result. Called on an ordinary connection once the load
   * has stopped; `run` says how long the measured phase lasted and how many transactions of each
   * of this workload's types (by transaction name, without the workload prefix) succeeded.
   */
  readonly report?: (db: SetupDb, o: OptionValues<O>, run: WorkloadRunFacts) => Promise<Readonly<Record<string, number | string>>>;
  /**
   * The tables the workload writes to or reads (as setup creates them): during a run their sizes,
   * row counts and autovacuum runs are sampled into the server timeline and `/metrics`.
   */
  readonly tables?: readonly string[];
}

/** What a workload's `report` hook is told about the run it reports on. */
export interface WorkloadRunFacts {
  readonly durationS: number;
  /** Successful transactions per transaction name of this workload (e.g. `{ search_one: 812 }`). */
  readonly transactions: Readonly<Record<string, number>>;
}

/** Identity function that gives a workload module its types. */
export function defineWorkload<O extends OptionsSpec = Record<never, OptionSpec>>(def: WorkloadDefinition<O>): WorkloadDefinition<O> {
  return def;
}
