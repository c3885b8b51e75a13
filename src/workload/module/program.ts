/**
 * Turns a workload module's transactions into TxnPrograms: the engine drives them exactly like
 * pgbench scripts (the same TxnRunner contract), so modules get the same hot path.
 */
import type { ClientContext, Param, StatementSpec, TxnProgram, TxnRunner } from '../types.js';
import { StepKind } from '../types.js';
import { Prng, clientSeed } from '../pgbench/prng.js';
import type { ParamValue, Row, StepDefinition, TransactionDefinition, Vars, WorkloadDefinition } from './api.js';
import { ModuleRandom } from './random.js';
import { isReadOnlySql } from '../read-only.js';

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
  const message = e instanceof Error ? e.message : String(e);
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const base = file.replace(/^.*[\\/]/, '');
  const frame = stack.split('\n').find((l) => l.includes(base));
  const loc = frame === undefined ? undefined : /([^\s(]*?([^\\/\s(]+):(\d+):(\d+))\)?$/.exec(frame.trim());
  return loc === undefined || loc === null ? `${base}: ${message}` : `${loc[2]}:${loc[3]}:${loc[4]}: ${message}`;
}

function toParam(v: ParamValue): Param {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(v);
  return v;
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
      try {
        const values = s.params === undefined ? [] : s.params(this.random, this.vars, this.options);
        if (values.length < split.maxN)
          throw new Error(`step ${this.stmt + 1} of the transaction uses $${split.maxN} but params() gave ${values.length} value(s)`);
        const order = split.order;
        for (let k = 0; k < order.length; k++) params[k] = toParam(values[order[k]!]!);
      } catch (e) {
        this.error = locateInModule(e, this.file);
        return StepKind.Error;
      }
    }
    return StepKind.Query;
  }

  onRows(columns: readonly string[], rows: readonly (readonly (string | null)[])[]): void {
    const s = this.txn.steps[this.stmt];
    if (s?.rows === undefined) return;
    const objects: Row[] = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null])));
    // A throw here is reported by the next step (onRows itself has no error path).
    try {
      s.rows(objects, this.vars);
    } catch (e) {
      this.error = locateInModule(e, this.file);
      this.rowsFailed = true;
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
    programs.push({
      name: `${opts.name}.${txnName}`,
      weight: transactionWeight(weights, txnName, txn) * opts.weight,
      statements,
      // A module's `read: true`, else what its SQL says.
      read: txn.read ?? isReadOnlySql(statements),
      createRunner(ctx: ClientContext): TxnRunner {
        const rng = new Prng(clientSeed(ctx.randomSeed, ctx.clientId));
        return new ModuleRunner(t, splits, opts.options, rng, new ModuleRandom(rng), opts.file, ctx.clientId);
      },
    });
  }
  return programs;
}
