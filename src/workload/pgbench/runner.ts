/**
 * The per-client interpreter of a compiled pgbench script. `next()` walks a flat array of ops
 * (\if blocks are compiled to jumps) and stops at the first statement or sleep; everything it
 * touches was resolved at compile time (variable slots, statement indexes, messages' locations).
 */
import { StepKind, type Param, type TxnRunner } from '../types.js';
import type { Eval, Runtime } from './expr-eval.js';
import { VALID_NAME } from './names.js';
import { Prng } from './prng.js';
import { printable } from './printable.js';
import { Dbl, ScriptError, formatDouble, truth, valueToText, type VarContent } from './values.js';

export const OP_SQL = 0;
export const OP_SET = 1;
export const OP_SLEEP = 2;
export const OP_JUMP_IF_FALSE = 3;
export const OP_JUMP = 4;
export const OP_PIPE = 5;

/**
 * The longest sleep: a timer's delay is a signed 32-bit number of milliseconds (Node turns a longer
 * one into 1 ms), so a longer \sleep is refused rather than cut short.
 */
export const MAX_SLEEP_US = 2_147_483_647 * 1000;

/** Where a command is, for runtime messages: "file:line:col". */
interface Located {
  readonly where: string;
  /** 1-based command number (pgbench's numbering, used by debug()). */
  readonly command: number;
}

export interface SqlOp extends Located {
  readonly kind: typeof OP_SQL;
  readonly stmt: number;
  readonly slots: Int32Array;
  readonly names: readonly string[];
  /** Location of each `:name`, for "undefined variable" messages. */
  readonly refWhere: readonly string[];
  /** 0: no result wanted, 1: \gset, 2: \aset. */
  readonly gset: 0 | 1 | 2;
  readonly prefix: string;
}
export interface SetOp extends Located {
  readonly kind: typeof OP_SET;
  readonly slot: number;
  readonly expr: Eval;
}
export interface SleepOp extends Located {
  readonly kind: typeof OP_SLEEP;
  /** Slot of the :variable holding the duration, or -1 for a constant. */
  readonly slot: number;
  readonly name: string;
  readonly usec: number;
  /** Microseconds per unit (1, 1000, 1000000). */
  readonly mult: number;
}
export interface JumpIfFalseOp extends Located {
  readonly kind: typeof OP_JUMP_IF_FALSE;
  readonly cond: Eval;
  target: number;
}
export interface JumpOp extends Located {
  readonly kind: typeof OP_JUMP;
  target: number;
}
/** \startpipeline (0), \syncpipeline (1), \endpipeline (2). */
export interface PipeOp extends Located {
  readonly kind: typeof OP_PIPE;
  readonly mode: 0 | 1 | 2;
}
export type Op = SqlOp | SetOp | SleepOp | JumpIfFalseOp | JumpOp | PipeOp;

/** C atoi(): leading blanks, sign, digits; anything else ends the number. */
function atoi(s: string): number {
  const m = /^\s*([-+]?[0-9]+)/.exec(s);
  return m ? Number.parseInt(m[1] ?? '0', 10) | 0 : 0;
}

export class PgbenchRunner implements TxnRunner, Runtime {
  stmt = 0;
  /** The parameters of the current statement: one array per SQL command, so that no length changes. */
  params: Param[] = [];
  private readonly paramsAt: Param[][];
  sleepUs = 0;
  error = '';
  command = 0;
  /** The last Query step is inside a pipeline (sent without waiting). */
  pipelined = false;
  private inPipeline = false;
  readonly vars: VarContent[];
  readonly rng: Prng;
  private pc = 0;
  private lastSql: SqlOp | undefined;
  private pendingError = '';
  private readonly saved = new Uint32Array(4);
  /**
   * This pass of the script has handed the client a step that waits (a statement, a sync or a
   * sleep). A pass that has not (only meta-commands ran, or SQL sat in a false \if branch) ends
   * with a zero sleep first, so the client's next transaction starts from the event loop, not from inside
   * this one's call chain (which would recurse without bound).
   */
  private waited = false;

  constructor(
    private readonly ops: readonly Op[],
    private readonly slotOf: ReadonlyMap<string, number>,
    vars: VarContent[],
    rng: Prng,
  ) {
    this.vars = vars;
    this.rng = rng;
    this.paramsAt = ops.map((op) => (op.kind === OP_SQL ? new Array<Param>(op.slots.length).fill(null) : []));
  }

  begin(): void {
    this.rng.save(this.saved);
    this.pc = 0;
    this.pendingError = '';
    this.inPipeline = false;
    this.waited = false;
  }

  rewind(): void {
    this.rng.restore(this.saved);
    this.pc = 0;
    this.pendingError = '';
    this.inPipeline = false;
    this.waited = false;
  }

  next(): StepKind {
    if (this.pendingError !== '') {
      this.error = this.pendingError;
      this.pendingError = '';
      return StepKind.Error;
    }
    const ops = this.ops;
    for (;;) {
      const pc = this.pc;
      const op = ops[pc];
      if (op === undefined) {
        if (!this.inPipeline) {
          if (this.waited) return StepKind.End;
          this.waited = true;
          this.sleepUs = 0;
          return StepKind.Sleep;
        }
        this.inPipeline = false;
        this.error = 'end of script reached with pipeline open';
        return StepKind.Error;
      }
      this.pc = pc + 1;
      this.command = op.command;
      try {
        switch (op.kind) {
          case OP_SQL:
            if (this.inPipeline && op.gset !== 0) throw new ScriptError('\\gset and \\aset are not supported inside a pipeline by pgsurge');
            this.fillParams(op, pc);
            this.pipelined = this.inPipeline;
            this.waited = true;
            return StepKind.Query;
          case OP_PIPE:
            if (op.mode === 0) {
              if (this.inPipeline) throw new ScriptError('already in pipeline mode');
              this.inPipeline = true;
              break;
            }
            if (!this.inPipeline) throw new ScriptError(`\\${op.mode === 1 ? 'syncpipeline' : 'endpipeline'} outside of pipeline mode`);
            if (op.mode === 2) this.inPipeline = false;
            this.waited = true;
            return StepKind.Sync;
          case OP_SET:
            this.vars[op.slot] = op.expr(this);
            break;
          case OP_SLEEP:
            this.sleepUs = Math.max(0, this.sleepUsec(op));
            this.waited = true;
            return StepKind.Sleep;
          case OP_JUMP_IF_FALSE:
            if (!truth(op.cond(this))) this.pc = op.target;
            break;
          case OP_JUMP:
            this.pc = op.target;
            break;
        }
      } catch (e) {
        if (!(e instanceof ScriptError)) throw e;
        this.error = e.message.startsWith('@') ? e.message.slice(1) : `${op.where}: ${e.message}`;
        return StepKind.Error;
      }
    }
  }

  private fillParams(op: SqlOp, pc: number): void {
    const slots = op.slots;
    const params = this.paramsAt[pc]!;
    this.params = params;
    const n = slots.length;
    for (let i = 0; i < n; i++) {
      const c = this.vars[slots[i] as number];
      if (c === undefined) {
        throw new ScriptError(`@${op.refWhere[i] ?? op.where}: undefined variable "${op.names[i] ?? ''}"`);
      }
      // pgbench sends getVariable()'s text; numbers stay numbers for the driver to encode
      params[i] = c instanceof Dbl ? formatDouble(c.v) : typeof c === 'boolean' ? (c ? 'true' : 'false') : c;
    }
    this.stmt = op.stmt;
    this.lastSql = op;
  }

  private sleepUsec(op: SleepOp): number {
    if (op.slot < 0) return op.usec * op.mult;
    const c = this.vars[op.slot];
    if (c === undefined) throw new ScriptError(`sleep: undefined variable "${op.name}"`);
    const text = typeof c === 'string' ? c : valueToText(c);
    const usec = atoi(text);
    if (usec === 0 && !/^[0-9]/.test(text)) {
      throw new ScriptError(`sleep: invalid sleep time "${printable(text)}" for variable "${op.name}"`);
    }
    if (usec * op.mult > MAX_SLEEP_US) {
      throw new ScriptError(`sleep: sleep time too long (${printable(text)} for variable "${op.name}"), at most ${MAX_SLEEP_US / 1000} ms`);
    }
    return usec * op.mult;
  }

  onRows(columns: readonly string[], rows: readonly (readonly (string | null)[])[]): void {
    const op = this.lastSql;
    if (op === undefined || op.gset === 0) return;
    if (op.gset === 1 && rows.length !== 1) {
      this.pendingError = `${op.where}: expected one row, got ${rows.length}`;
      return;
    }
    const row = rows[rows.length - 1];
    if (row === undefined) return; // \aset with no rows sets nothing
    for (let i = 0; i < columns.length; i++) {
      const name = op.prefix + (columns[i] ?? '');
      if (!VALID_NAME.test(name)) {
        this.pendingError = `${op.where}: ${op.gset === 1 ? 'gset' : 'aset'}: invalid variable name: "${name}"`;
        return;
      }
      const slot = this.slotOf.get(name);
      // names the script never reads need no slot; SQL NULL is stored as "" (PQgetvalue)
      if (slot !== undefined) this.vars[slot] = row[i] ?? '';
    }
  }
}
