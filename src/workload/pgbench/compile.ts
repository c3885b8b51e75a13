/**
 * compileScript: pgbench script text → TxnProgram. All checks pgbench makes while parsing happen
 * here and throw a usage error (exit code 2) naming the script, line and column.
 */
import { usageError } from '../../errors.js';
import type { ClientContext, StatementSpec, TxnProgram, TxnRunner } from '../types.js';
import { compileExpr } from './expr-eval.js';
import { ExprSyntaxError, parseExpression } from './expr-parser.js';
import { Prng, clientSeed, pgbenchDefaultSeed } from './prng.js';
import {
  MAX_SLEEP_US,
  OP_JUMP,
  OP_JUMP_IF_FALSE,
  OP_PIPE,
  OP_SET,
  OP_SLEEP,
  OP_SQL,
  PgbenchRunner,
  type JumpIfFalseOp,
  type JumpOp,
  type Op,
  type SqlOp,
} from './runner.js';
import { UnterminatedError, splitScript, type MetaCommand, type RawCommand } from './script-parser.js';
import { VALID_NAME } from './names.js';
import { printable, printableWidth } from './printable.js';
import { findParams } from './sql-params.js';
import { fromBig, type VarContent } from './values.js';

export interface CompileOptions {
  readonly name: string;
  readonly weight?: number;
  readonly file?: string;
}

/** How much of a command's text an error shows (escaped; the caret must still point into it). */
const COMMAND_TEXT_MAX_CHARS = 200;

/**
 * A syntax error as pgbench words it: `source:line: message (more) at column N in command "cmd"`.
 * The user's text in it is escaped and shortened (a script may hold NUL bytes or binary garbage).
 */
function syntaxError(source: string, line: number, msg: string, where?: { more?: string | undefined; col?: number; cmd?: string; text?: string }) {
  let m = `${printable(source)}:${line}: ${msg}`;
  if (where?.more !== undefined) m += ` (${printable(where.more)})`;
  if (where?.col !== undefined) m += ` at column ${where.col}`;
  if (where?.cmd !== undefined) m += ` in command "${where.cmd}"`;
  const details: string[] = [];
  if (where?.text !== undefined) {
    const text = where.text;
    const col = where.col;
    if (col === undefined || col - 1 <= COMMAND_TEXT_MAX_CHARS) {
      details.push(printable(text, COMMAND_TEXT_MAX_CHARS));
      if (col !== undefined) details.push(`${' '.repeat(Math.max(0, printableWidth(text, col - 1)))}^ error found here`);
    }
  }
  return usageError('script-syntax', m, details);
}

/** 1-based line and column of offset `off` in `text`. */
function lineColOf(text: string, off: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < off; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: off - lineStart + 1 };
}

/** Words of a meta-command's arguments, with their 1-based columns. */
function words(cmd: MetaCommand): { w: string; col: number }[] {
  const out: { w: string; col: number }[] = [];
  const re = /\S+/g;
  for (let m = re.exec(cmd.rest); m; m = re.exec(cmd.rest)) out.push({ w: m[0], col: cmd.restCol + m.index });
  return out;
}

export function compileScript(text: string, opts: CompileOptions): TxnProgram {
  const source = opts.file ?? opts.name;
  const weight = opts.weight ?? 1;
  if (!Number.isInteger(weight) || weight < 0) {
    throw usageError('script-weight', `${source}: weight must be a non-negative integer (not ${weight})`);
  }
  const slots = new Map<string, number>();
  const slotOf = (name: string): number => {
    let s = slots.get(name);
    if (s === undefined) {
      s = slots.size;
      slots.set(name, s);
    }
    return s;
  };
  for (const n of ['scale', 'client_id', 'random_seed', 'default_seed']) slotOf(n);

  const ops: Op[] = [];
  const statements: StatementSpec[] = [];
  const stmtOps: SqlOp[] = [];
  // open \if blocks: the pending false-jump and the jumps to the end of the block
  const conds: { line: number; sawElse: boolean; pendingFalse: JumpIfFalseOp | undefined; toEnd: JumpOp[] }[] = [];
  let commandNo = 0;
  let usesPipeline = false;
  // line of the \startpipeline that is open where the script is read (\gset inside one is refused)
  let pipelineOpenAt: number | undefined;
  let last: RawCommand | undefined;
  let lastSqlOp: SqlOp | undefined;

  const compileExprAt = (cmd: MetaCommand, exprText: string, exprCol: number) => {
    try {
      return compileExpr(parseExpression(exprText), slotOf);
    } catch (e) {
      if (!(e instanceof ExprSyntaxError)) throw e;
      throw syntaxError(source, cmd.line, e.message, { more: e.more, col: exprCol + e.pos, cmd: cmd.name, text: cmd.lineText });
    }
  };

  // A NUL byte cannot be sent to the server (the protocol's strings end at one) and means the file is not text.
  const nul = text.indexOf('\u0000');
  if (nul >= 0) {
    const at = lineColOf(text, nul);
    throw usageError('script-syntax', `${printable(source)}:${at.line}:${at.col}: NUL byte (\\x00) in the script; is it a text file?`);
  }
  let commands: RawCommand[];
  try {
    commands = splitScript(text);
  } catch (e) {
    if (!(e instanceof UnterminatedError)) throw e;
    throw usageError('script-syntax', `${printable(source)}:${e.line}:${e.col}: ${e.message}: close it, or the statement cannot run`);
  }
  // pgbench: "empty command list for script" (a script of comments only has no command either)
  if (commands.length === 0) {
    throw usageError('script-empty', `${printable(source)}: empty script: it has no SQL statement and no meta-command (only blanks or -- comments)`);
  }

  for (const cmd of commands) {
    const where = `${source}:${cmd.line}:${cmd.col}`;
    if (cmd.k === 'sql') {
      commandNo++;
      const p = findParams(cmd.sql);
      const refWhere = p.offsets.map((off) => {
        const before = cmd.sql.slice(0, off);
        const nl = before.lastIndexOf('\n');
        const line = cmd.line + (before.match(/\n/g)?.length ?? 0);
        return `${source}:${line}:${nl < 0 ? cmd.col + off : off - nl}`;
      });
      const op: SqlOp = {
        kind: OP_SQL,
        stmt: statements.length,
        slots: Int32Array.from(p.names, slotOf),
        names: p.names,
        refWhere,
        gset: 0,
        prefix: '',
        where,
        command: commandNo,
      };
      statements.push({ parts: p.parts, text: cmd.sql.trim(), line: cmd.line, wantsRows: false });
      stmtOps.push(op);
      ops.push(op);
      last = cmd;
      lastSqlOp = op;
      continue;
    }
    const args = words(cmd);
    const err = (msg: string, more?: string, col?: number) =>
      syntaxError(source, cmd.line, msg, { more, ...(col === undefined ? {} : { col }), cmd: cmd.name, text: cmd.lineText });
    if (cmd.name === 'gset' || cmd.name === 'aset') {
      if (args.length > 1) throw err('too many arguments');
      if (last?.k !== 'sql' || lastSqlOp === undefined || lastSqlOp.gset !== 0) {
        throw err(`\\${cmd.name} must follow an SQL command`);
      }
      if (pipelineOpenAt !== undefined) {
        throw err(`\\${cmd.name} inside a pipeline (opened at line ${pipelineOpenAt}) is not supported by pgsurge; move the statement out of the pipeline`);
      }
      const merged: SqlOp = { ...lastSqlOp, gset: cmd.name === 'gset' ? 1 : 2, prefix: args[0]?.w ?? '' };
      ops[ops.indexOf(lastSqlOp)] = merged;
      stmtOps[merged.stmt] = merged;
      const spec = statements[merged.stmt] as StatementSpec;
      statements[merged.stmt] = { ...spec, wantsRows: true };
      lastSqlOp = merged;
      last = cmd;
      continue;
    }
    commandNo++;
    last = cmd;
    const loc = { where, command: commandNo };
    switch (cmd.name) {
      case 'set': {
        const name = args[0];
        if (name === undefined) throw err('missing argument');
        if (!VALID_NAME.test(name.w)) throw err('invalid variable name', name.w, name.col);
        const exprOff = name.col - cmd.restCol + name.w.length;
        const exprText = cmd.rest.slice(exprOff);
        if (exprText.trim() === '') throw err('missing argument');
        ops.push({ kind: OP_SET, slot: slotOf(name.w), expr: compileExprAt(cmd, exprText, cmd.restCol + exprOff), ...loc });
        break;
      }
      case 'sleep': {
        const sl = parseSleep(args, err);
        ops.push({ kind: OP_SLEEP, ...sl, slot: sl.name === '' ? -1 : slotOf(sl.name), ...loc });
        break;
      }
      case 'if':
      case 'elif': {
        if (cmd.rest.trim() === '') throw err('missing argument');
        const cond = compileExprAt(cmd, cmd.rest, cmd.restCol);
        if (cmd.name === 'elif') {
          const top = conds[conds.length - 1];
          if (top === undefined) throw err('\\elif without matching \\if');
          if (top.sawElse) throw err('\\elif after \\else');
          const jump: JumpOp = { kind: OP_JUMP, target: -1, ...loc };
          ops.push(jump);
          top.toEnd.push(jump);
          if (top.pendingFalse) top.pendingFalse.target = ops.length;
          const test: JumpIfFalseOp = { kind: OP_JUMP_IF_FALSE, cond, target: -1, ...loc };
          ops.push(test);
          top.pendingFalse = test;
        } else {
          const test: JumpIfFalseOp = { kind: OP_JUMP_IF_FALSE, cond, target: -1, ...loc };
          ops.push(test);
          conds.push({ line: cmd.line, sawElse: false, pendingFalse: test, toEnd: [] });
        }
        break;
      }
      case 'else':
      case 'endif': {
        if (args.length > 0) throw err('unexpected argument', args[0]?.w, args[0]?.col);
        const top = conds[conds.length - 1];
        if (top === undefined) throw err(`\\${cmd.name} without matching \\if`);
        if (cmd.name === 'else') {
          if (top.sawElse) throw err('\\else after \\else');
          top.sawElse = true;
          const jump: JumpOp = { kind: OP_JUMP, target: -1, ...loc };
          ops.push(jump);
          top.toEnd.push(jump);
          if (top.pendingFalse) top.pendingFalse.target = ops.length;
          top.pendingFalse = undefined;
        } else {
          conds.pop();
          if (top.pendingFalse) top.pendingFalse.target = ops.length;
          for (const j of top.toEnd) j.target = ops.length;
        }
        break;
      }
      case 'startpipeline':
      case 'syncpipeline':
      case 'endpipeline':
        if (args.length > 0) throw err('unexpected argument', args[0]?.w, args[0]?.col);
        // Statements between \startpipeline and \syncpipeline/\endpipeline go out without waiting.
        ops.push({ kind: OP_PIPE, mode: cmd.name === 'startpipeline' ? 0 : cmd.name === 'syncpipeline' ? 1 : 2, ...loc });
        usesPipeline = true;
        if (cmd.name === 'startpipeline') pipelineOpenAt = cmd.line;
        else if (cmd.name === 'endpipeline') pipelineOpenAt = undefined;
        break;
      case 'shell':
      case 'setshell':
        throw err(`\\${cmd.name} is not supported by pgsurge (it would run a shell command in every transaction); use -D or \\set instead`);
      default:
        throw err('invalid command', cmd.name === '' ? undefined : `\\${cmd.name}`);
    }
  }
  const open = conds[conds.length - 1];
  if (open !== undefined) throw syntaxError(source, open.line, '\\if without matching \\endif');

  const frozenOps: readonly Op[] = ops;
  return {
    name: opts.name,
    weight,
    statements,
    ...(opts.file === undefined ? {} : { file: opts.file }),
    pipeline: usesPipeline,
    createRunner(ctx: ClientContext): TxnRunner {
      const vars: VarContent[] = new Array<VarContent>(slots.size).fill(undefined);
      const set = (name: string, v: VarContent): void => {
        const s = slots.get(name);
        if (s !== undefined) vars[s] = v;
      };
      set('scale', ctx.scale);
      set('client_id', ctx.clientId);
      set('random_seed', fromBig(BigInt.asIntN(64, ctx.randomSeed), 'seed'));
      set('default_seed', fromBig(pgbenchDefaultSeed(ctx.randomSeed, 1), 'seed'));
      // -D values win over the built-in variables, as in pgbench
      for (const [name, value] of Object.entries(ctx.defines)) set(name, value);
      return new PgbenchRunner(frozenOps, slots, vars, new Prng(clientSeed(ctx.randomSeed, ctx.clientId)));
    },
  };
}

/** \sleep N [us|ms|s], \sleep Nms, \sleep :var [unit] — pgbench's checks and messages. */
function parseSleep(
  args: { w: string; col: number }[],
  err: (msg: string, more?: string, col?: number) => Error,
): { name: string; usec: number; mult: number } {
  const first = args[0];
  if (first === undefined) throw err('missing argument');
  if (args.length > 2) throw err('too many arguments');
  let unit = args[1]?.w;
  let num = first.w;
  if (!num.startsWith(':')) {
    const m = /^([-+]?)([0-9]*)(.*)$/.exec(num) as RegExpExecArray;
    const digits = m[2] ?? '';
    const tail = m[3] ?? '';
    if (tail !== '') {
      if (args.length === 1 && digits !== '') {
        unit = tail;
        num = (m[1] ?? '') + digits;
      } else {
        throw err('invalid sleep time, must be an integer', first.w, first.col);
      }
    }
  }
  let mult = 1000000;
  if (unit !== undefined) {
    const u = unit.toLowerCase();
    if (u === 'us') mult = 1;
    else if (u === 'ms') mult = 1000;
    else if (u === 's') mult = 1000000;
    else throw err('unrecognized time unit, must be us, ms or s', unit, args[1]?.col);
  }
  if (num.startsWith(':')) return { name: num.slice(1), usec: 0, mult };
  const usec = Number.parseInt(num, 10) || 0;
  if (usec * mult > MAX_SLEEP_US) {
    const typed = `${first.w}${args[1] === undefined ? '' : ` ${args[1].w}`}`;
    throw err(`sleep time ${typed} is too long, the longest is ${MAX_SLEEP_US / 1000} ms (about 24 days)`, undefined, first.col);
  }
  return { name: '', usec, mult };
}
