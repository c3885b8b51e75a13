/**
 * Turns a workload module's transactions into TxnPrograms: the engine drives them exactly like
 * pgbench scripts (the same TxnRunner contract), so modules get the same hot path.
 */
import type { ClientContext, Param, StatementSpec, TxnProgram, TxnRunner } from '../types.js';
import { StepKind } from '../types.js';
import { Prng, clientSeed } from '../pgbench/prng.js';
import type { Row, StepDefinition, TransactionDefinition, Vars, WorkloadDefinition } from './api.js';
import { ModuleRandom } from './random.js';
import { isReadOnlySql } from '../read-only.js';
import { userCodeMarks } from './user-code.js';

/**
 * Split "… $2 … $1 … $2 …" at every placeholder, in text order, so the statement can be sent with
 * sequential placeholders; `order[k]` is the index into params() of the k-th placeholder (a $n used
 * twice becomes two parameters with the same value). Dollar-quoted bodies and string literals are
 * not special-cased: write SQL for a workload module as you would for a prepared statement.
 */
function splitPlaceholders(sql: string): { parts: string[]; order: number[]; maxN: number } {
  const parts: string[] = [];
  const order: number[] = [];
  let last = 0;
  let maxN = 0;
  const re = /\$(\d+)/g;
  for (let m = re.exec(sql); m !== null; m = re.exec(sql)) {
    const n = Number(m[1]);
    parts.push(sql.slice(last, m.index));
    order.push(n - 1);
    maxN = Math.max(maxN, n);
    last = m.index + m[0].length;
  }
  parts.push(sql.slice(last));
  return { parts, order, maxN };
}

/** Where in the user's module a callback failed: the first stack frame in that file. */
export function locateInModule(e: unknown, file: string): string {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const base = file.replace(/^.*[\\/]/, '');
  const frame = stack.split('\n').find((l) => l.includes(base));
  const loc = frame === undefined ? undefined : /([^\s(]*?([^\\/\s(]+):(\d+):(\d+))\)?$/.exec(frame.trim());
  // One line: a multi-line message (an aggregated error, a printed object) keeps its first.
  const message = firstLine(e);
  return loc === undefined || loc === null ? `${base}: ${message}` : `${loc[2]}:${loc[3]}:${loc[4]}: ${message}`;
}

/** The first line of what was thrown, whatever was thrown (an Error, a string, an object whose toString throws). */
export function firstLine(e: unknown): string {
  let text: string;
  try {
    text = e instanceof Error ? e.message : String(e);
  } catch {
    text = Object.prototype.toString.call(e);
  }
  return text.split('\n')[0]!;
}

/** What a value is, for a message about a wrong one: `an object {"a":1}`, `the string "x"`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  switch (typeof v) {
    case 'undefined':
      return 'undefined (nothing)';
    case 'string':
      return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `the ${typeof v} ${String(v)}`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default: {
      if (v instanceof Promise) return 'a Promise (it must compute its values without await)';
      let shown: string;
      try {
        shown = JSON.stringify(v).slice(0, 40);
      } catch {
        shown = '{…}';
      }
      return `an object ${shown}`;
    }
  }
}

/** A step's parameter that cannot be sent: the reason, for the step's error. */
class BadParam extends Error {}

/**
 * A params() value as sent. Primitives pass as they are (no allocation); anything else must have a
 * text form of its own: a Date is sent as ISO 8601, an object whose toString() gives a text of its
 * own is sent as that, and a plain object, an array, a symbol or a function is refused, since
 * PostgreSQL would get "[object Object]" or "1,2".
 */
function toParam(v: unknown): Param {
  switch (typeof v) {
    case 'string':
    case 'bigint':
      return v;
    case 'number':
      return Number.isInteger(v) ? v : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return null;
    default:
      return v === null ? null : objectParam(v);
  }
}

function objectParam(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v !== 'object' || Array.isArray(v)) throw new BadParam(`is ${describeValue(v)}: give a number, string, bigint, boolean or null`);
  let text: string;
  try {
    text = String(v);
  } catch (e) {
    throw new BadParam('toString() threw', { cause: e });
  }
  if (text.startsWith('[object ')) throw new BadParam(`is ${describeValue(v)}: give JSON.stringify(value) for a json column, or a string`);
  return text;
}

const NO_VALUES: readonly unknown[] = [];

interface StepFunctionIds {
  readonly params: readonly number[];
  readonly rows: readonly number[];
}

/** Register a transaction's step functions with userCodeMarks, named as the user finds them. */
function registerStepFunctions(file: string, txnName: string, steps: readonly StepDefinition<unknown>[]): StepFunctionIds {
  const base = file.replace(/^.*[\\/]/, '');
  const name = (fn: string, i: number): string => `${fn} of transaction "${txnName}" step ${i + 1} in ${base}`;
  return {
    params: steps.map((s, i) => (s.params === undefined ? 0 : userCodeMarks.register(name('params()', i)))),
    rows: steps.map((s, i) => (s.rows === undefined ? 0 : userCodeMarks.register(name('rows()', i)))),
  };
}

class ModuleRunner implements TxnRunner {
  stmt = 0;
  params: Param[] = [];
  sleepUs = 0;
  error = '';
  /** `writes: true` transactions: this execution's id in the --verify-writes ledger, else -1. */
  writeId = -1;
  private step = 0;
  private rowsFailed = false;
  private vars: Vars = {};
  private readonly saved = new Uint32Array(4);
  /** One parameter array per step, sized to its placeholders; `params` is the current step's. */
  private readonly paramsAt: Param[][];

  constructor(
    private readonly txn: TransactionDefinition<unknown>,
    private readonly splits: readonly { readonly order: readonly number[]; readonly maxN: number }[],
    private readonly options: unknown,
    private readonly rng: Prng,
    private readonly random: ModuleRandom,
    private readonly file: string,
    private readonly clientId: number,
    private readonly txnName: string,
    /** Per step: the ids of its params() and rows() in userCodeMarks (0: the step has none). */
    private readonly ids: StepFunctionIds,
  ) {
    // A step without $1… (maxN 0) sends no parameters, even if its SQL has a $0.
    this.paramsAt = splits.map((split) => new Array<Param>(split.maxN > 0 ? split.order.length : 0).fill(null));
  }

  begin(): void {
    this.rng.save(this.saved);
    this.step = 0;
    this.rowsFailed = false;
    // A new transaction gets the next id; a retry (rewind) keeps it: the ledger counts writes, not tries.
    if (this.txn.writes === true) this.writeId++;
    this.vars = this.freshVars();
  }

  rewind(): void {
    this.rng.restore(this.saved);
    this.step = 0;
    this.rowsFailed = false;
    this.vars = this.freshVars();
  }

  private freshVars(): Vars {
    return this.txn.writes === true ? { writeId: this.writeId, clientId: this.clientId } : {};
  }

  next(): StepKind {
    if (this.rowsFailed) return StepKind.Error;
    const steps = this.txn.steps;
    if (this.step >= steps.length) return StepKind.End;
    const s: StepDefinition<unknown> = steps[this.step]!;
    this.stmt = this.step;
    this.step++;
    const params = this.paramsAt[this.stmt]!;
    this.params = params;
    const split = this.splits[this.stmt]!;
    if (split.maxN > 0) {
      let values: unknown = NO_VALUES;
      if (s.params !== undefined) {
        userCodeMarks.enter(this.ids.params[this.stmt]!);
        try {
          values = s.params(this.random, this.vars, this.options);
        } catch (e) {
          this.error = locateInModule(e, this.file);
          return StepKind.Error;
        } finally {
          userCodeMarks.leave();
        }
      }
      // Checked on every call (one Array.isArray and a length): a params() that returns a wrong
      // shape now and then must not send NULLs in silence either.
      if (!Array.isArray(values)) {
        this.error = `${this.where()}: params() returned ${describeValue(values)}; expected an array of the values of $1…$${split.maxN}`;
        return StepKind.Error;
      }
      if (values.length < split.maxN) {
        this.error = `${this.where()}: the SQL uses $${split.maxN} but params() returned ${values.length} value(s)`;
        return StepKind.Error;
      }
      const order = split.order;
      for (let k = 0; k < order.length; k++) {
        try {
          params[k] = toParam(values[order[k]!]);
        } catch (e) {
          if (!(e instanceof BadParam)) throw e;
          const at = e.cause === undefined ? '' : `: ${locateInModule(e.cause, this.file)}`;
          this.error = `${this.where()}: parameter $${order[k]! + 1}: ${e.message}${at}`;
          return StepKind.Error;
        }
      }
    }
    return StepKind.Query;
  }

  /** The current step, as the user finds it in the module: file, transaction, step and its SQL. */
  private where(): string {
    const sql = this.txn.steps[this.stmt]!.sql.replace(/\s+/g, ' ').trim();
    return `${this.file.replace(/^.*[\\/]/, '')}: transaction "${this.txnName}" step ${this.stmt + 1} (${sql.length > 60 ? `${sql.slice(0, 60)}…` : sql})`;
  }

  onRows(columns: readonly string[], rows: readonly (readonly (string | null)[])[]): void {
    const s = this.txn.steps[this.stmt];
    if (s?.rows === undefined) return;
    const objects: Row[] = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
    // A throw here is reported by the next step (onRows itself has no error path).
    userCodeMarks.enter(this.ids.rows[this.stmt]!);
    try {
      s.rows(objects, this.vars);
    } catch (e) {
      this.error = locateInModule(e, this.file);
      this.rowsFailed = true;
    } finally {
      userCodeMarks.leave();
    }
  }
}

/** A transaction's weight before the workload's own: `weights()` if it names it, else its `weight`, else 1. */
export function transactionWeight(weights: Readonly<Record<string, number>> | undefined, name: string, txn: { readonly weight?: number }): number {
  return weights?.[name] ?? txn.weight ?? 1;
}

/** One TxnProgram per transaction of the module, named "<workload>.<transaction>". */
export function modulePrograms(def: WorkloadDefinition, opts: { name: string; file: string; options: unknown; weight: number }): TxnProgram[] {
  const programs: TxnProgram[] = [];
  const weights = def.weights?.(opts.options as never);
  for (const [txnName, txn] of Object.entries(def.transactions)) {
    const splits = txn.steps.map((s) => splitPlaceholders(s.sql));
    const statements: StatementSpec[] = txn.steps.map((s, i) => ({ parts: splits[i]!.parts, text: s.sql.trim(), line: 0, wantsRows: s.rows !== undefined }));
    const t = txn as TransactionDefinition<unknown>;
    const ids = registerStepFunctions(opts.file, txnName, t.steps);
    programs.push({
      name: `${opts.name}.${txnName}`,
      weight: transactionWeight(weights, txnName, txn) * opts.weight,
      statements,
      // A module's `read: true`, else what its SQL says.
      read: txn.read ?? isReadOnlySql(statements),
      createRunner(ctx: ClientContext): TxnRunner {
        const rng = new Prng(clientSeed(ctx.randomSeed, ctx.clientId));
        return new ModuleRunner(t, splits, opts.options, rng, new ModuleRandom(rng), opts.file, ctx.clientId, txnName, ids);
      },
    });
  }
  return programs;
}
