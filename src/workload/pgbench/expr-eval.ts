/**
 * Compiles an expression tree into closures (one per node) so evaluation is a chain of direct
 * calls: variables are pre-resolved to slots, constants are captured, nothing is looked up by name.
 * Semantics follow pgbench's evaluateExpr/evalStandardFunc/evalLazyFunc.
 */
import type { Node } from './expr-parser.js';
import type { Prng } from './prng.js';
import { intAbs, intAdd, intBit, intDivMod, intMul, intShift, intSub } from './int-ops.js';
import {
  MAX_ZIPFIAN_PARAM, MIN_GAUSSIAN_PARAM, MIN_ZIPFIAN_PARAM, checkRange, getExponentialRand,
  getGaussianRand, getZipfianRand, getrand, hashFnv1a, hashMurmur2, permute,
} from './random-functions.js';
import {
  Dbl, ScriptError, formatDouble, formatFixed6, parseVarText, toBool, toDouble, toInt, truth,
  type Value, type VarContent,
} from './values.js';

/** Per-client state an expression can see. */
export interface Runtime {
  readonly vars: VarContent[];
  readonly rng: Prng;
  /** 1-based number of the command being run (for debug()). */
  command: number;
}

export type Eval = (rt: Runtime) => Value;

/** Read a variable's value (parsing text from -D / \gset on the fly, like makeVariableValue). */
export function readVar(rt: Runtime, slot: number, name: string): Value {
  const c = rt.vars[slot];
  if (c === undefined) throw new ScriptError(`undefined variable "${name}"`);
  return typeof c === 'string' ? parseVarText(name, c) : c;
}

export function compileExpr(node: Node, slotOf: (name: string) => number): Eval {
  switch (node.k) {
    case 'const': {
      const v = node.v;
      return () => v;
    }
    case 'var': {
      const slot = slotOf(node.name);
      const name = node.name;
      return (rt) => readVar(rt, slot, name);
    }
    case 'fn':
      return compileFn(node.f, node.args.map((a) => compileExpr(a, slotOf)));
  }
}

const A = (args: readonly Eval[], i: number): Eval => args[i] as Eval;

function compileFn(f: string, args: readonly Eval[]): Eval {
  const a0 = A(args, 0);
  const a1 = A(args, 1);
  switch (f) {
    case '!and':
    case '!or': {
      const isAnd = f === '!and';
      return (rt) => {
        const l = a0(rt);
        if (l === null) return null;
        if (toBool(l) !== isAnd) return !isAnd;
        const r = a1(rt);
        return r === null ? null : toBool(r);
      };
    }
    case '!case': {
      return (rt) => {
        let i = 0;
        for (; i + 1 < args.length; i += 2) {
          if (truth(A(args, i)(rt))) return A(args, i + 1)(rt);
        }
        return A(args, i)(rt);
      };
    }
    case '!is':
      // pgbench compares the type and the boolean view of the union; enough for IS [NOT] NULL/TRUE/FALSE
      return (rt) => {
        const l = a0(rt);
        const r = a1(rt);
        return r === null ? l === null : typeof l === 'boolean' && l === r;
      };
    case 'debug':
      return (rt) => {
        const v = a0(rt);
        process.stderr.write(`debug(script=0,command=${rt.command}): ${debugText(v)}\n`);
        return v;
      };
    default:
      return strict(args, standardFn(f));
  }
}

/** Standard functions return NULL as soon as any argument is NULL (arguments all evaluated first). */
function strict(args: readonly Eval[], impl: (v: Value[], rt: Runtime) => Value): Eval {
  const n = args.length;
  if (n === 0) return (rt) => impl([], rt);
  if (n === 1) {
    const a0 = A(args, 0);
    return (rt) => {
      const v = a0(rt);
      return v === null ? null : impl([v], rt);
    };
  }
  return (rt) => {
    const vals: Value[] = new Array<Value>(n);
    let hasNull = false;
    for (let i = 0; i < n; i++) {
      const v = A(args, i)(rt);
      vals[i] = v;
      if (v === null) hasNull = true;
    }
    return hasNull ? null : impl(vals, rt);
  };
}

const V = (v: Value[], i: number): Value => v[i] as Value;

function standardFn(f: string): (v: Value[], rt: Runtime) => Value {
  switch (f) {
    case '+':
    case '-':
    case '*':
    case '/':
    case '=':
    case '<>':
    case '<':
    case '<=':
      return arith(f);
    case 'mod':
      return (v) => intDivMod(toInt(V(v, 0)), toInt(V(v, 1)), false);
    case '&':
    case '|':
    case '#': {
      const op = f;
      return (v) => intBit(op, toInt(V(v, 0)), toInt(V(v, 1)));
    }
    case '<<':
    case '>>': {
      const left = f === '<<';
      return (v) => intShift(left, toInt(V(v, 0)), toInt(V(v, 1)));
    }
    case '!not':
      return (v) => !toBool(V(v, 0));
    case 'pi':
      return () => new Dbl(Math.PI);
    case 'abs':
      return (v) => {
        const x = V(v, 0);
        if (x instanceof Dbl) return new Dbl(x.v < 0 ? -x.v : x.v);
        return typeof x === 'boolean' ? new Dbl(toDouble(x)) : intAbs(toInt(x));
      };
    case 'double':
      return (v) => new Dbl(toDouble(V(v, 0)));
    case 'sqrt':
      return (v) => new Dbl(Math.sqrt(toDouble(V(v, 0))));
    case 'ln':
      return (v) => new Dbl(Math.log(toDouble(V(v, 0))));
    case 'exp':
      return (v) => new Dbl(Math.exp(toDouble(V(v, 0))));
    case 'int':
      return (v) => toInt(V(v, 0));
    case 'pow':
      return (v) => new Dbl(Math.pow(toDouble(V(v, 0)), toDouble(V(v, 1))));
    case 'least':
    case 'greatest':
      return extremum(f === 'least');
    case 'random':
    case 'random_gaussian':
    case 'random_exponential':
    case 'random_zipfian':
      return randomFn(f);
    case 'hash_murmur2':
      return (v) => hashMurmur2(toInt(V(v, 0)), toInt(V(v, 1)));
    case 'hash_fnv1a':
      return (v) => hashFnv1a(toInt(V(v, 0)), toInt(V(v, 1)));
    case 'permute':
      return (v) => {
        const val = toInt(V(v, 0));
        const size = toInt(V(v, 1));
        const seed = toInt(V(v, 2));
        if (size <= 0) throw new ScriptError('permute size parameter must be greater than zero');
        return permute(val, size, seed);
      };
    default:
      throw new Error(`internal: unknown pgbench function ${f}`);
  }
}

/** Overloaded + - * / = <> < <=: double if either side is a double, else int64. */
function arith(f: string): (v: Value[]) => Value {
  return (v) => {
    const l = V(v, 0);
    const r = V(v, 1);
    if (l instanceof Dbl || r instanceof Dbl) {
      const ld = toDouble(l);
      const rd = toDouble(r);
      switch (f) {
        case '+': return new Dbl(ld + rd);
        case '-': return new Dbl(ld - rd);
        case '*': return new Dbl(ld * rd);
        case '/': return new Dbl(ld / rd);
        case '=': return ld === rd;
        case '<>': return ld !== rd;
        case '<': return ld < rd;
        default: return ld <= rd;
      }
    }
    const li = toInt(l);
    const ri = toInt(r);
    switch (f) {
      case '+': return intAdd(li, ri);
      case '-': return intSub(li, ri);
      case '*': return intMul(li, ri);
      case '/': return intDivMod(li, ri, true);
      case '=': return li === ri;
      case '<>': return li !== ri;
      case '<': return li < ri;
      default: return li <= ri;
    }
  };
}

function extremum(least: boolean): (v: Value[]) => Value {
  return (v) => {
    if (v.some((x) => x instanceof Dbl)) {
      let m = toDouble(V(v, 0));
      for (let i = 1; i < v.length; i++) {
        const d = toDouble(V(v, i));
        // C's Min/Max macros, NaN handling included
        m = least ? (m < d ? m : d) : m > d ? m : d;
      }
      return new Dbl(m);
    }
    let m = toInt(V(v, 0));
    for (let i = 1; i < v.length; i++) {
      const x = toInt(V(v, i));
      m = least ? (m < x ? m : x) : m > x ? m : x;
    }
    return m;
  };
}

function randomFn(f: string): (v: Value[], rt: Runtime) => Value {
  return (v, rt) => {
    const min = toInt(V(v, 0));
    const max = toInt(V(v, 1));
    checkRange(min, max);
    if (f === 'random') return getrand(rt.rng, min, max);
    const param = toDouble(V(v, 2));
    if (f === 'random_gaussian') {
      if (param < MIN_GAUSSIAN_PARAM) {
        throw new ScriptError(`gaussian parameter must be at least ${formatFixed6(MIN_GAUSSIAN_PARAM)} (not ${formatFixed6(param)})`);
      }
      return getGaussianRand(rt.rng, min, max, param);
    }
    if (f === 'random_zipfian') {
      if (!(param >= MIN_ZIPFIAN_PARAM && param <= MAX_ZIPFIAN_PARAM)) {
        throw new ScriptError(`zipfian parameter must be in range [1.001, 1000] (not ${formatFixed6(param)})`);
      }
      return getZipfianRand(rt.rng, min, max, param);
    }
    if (!(param > 0.0)) throw new ScriptError(`exponential parameter must be greater than zero (not ${formatFixed6(param)})`);
    return getExponentialRand(rt.rng, min, max, param);
  };
}

function debugText(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean ${v ? 'true' : 'false'}`;
  if (v instanceof Dbl) return `double ${formatDouble(v.v)}`;
  return `int ${String(v)}`;
}
