/**
 * Compiles an expression tree into closures (one per node) so evaluation is a chain of direct
 * calls: variables are pre-resolved to slots, constants are captured, nothing is looked up by name.
 * Semantics follow pgbench's evaluateExpr/evalStandardFunc/evalLazyFunc.
 */
import { LEFT_CHAIN_FNS, type Node } from './expr-parser.js';
import type { Prng } from './prng.js';
import { intAbs, intAdd, intBit, intDivMod, intMul, intShift, intSub } from './int-ops.js';
import {
  MAX_ZIPFIAN_PARAM,
  MIN_GAUSSIAN_PARAM,
  MIN_ZIPFIAN_PARAM,
  checkRange,
  getExponentialRand,
  getGaussianRand,
  getZipfianRand,
  getrand,
  hashFnv1a,
  hashMurmur2,
  permute,
} from './random-functions.js';
import { Dbl, ScriptError, formatDouble, formatFixed6, parseVarText, toBool, toDouble, toInt, truth, type Value, type VarContent } from './values.js';

/** Per-client state an expression can see. */
export interface Runtime {
  readonly vars: VarContent[];
  readonly rng: Prng;
  /** 1-based number of the command being run (for debug()). */
  command: number;
}

export type Eval = (rt: Runtime) => Value;

/** Read a variable's value (parsing text from -D / \gset on the fly, like makeVariableValue). */
function readVar(rt: Runtime, slot: number, name: string): Value {
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
      if (LEFT_CHAIN_FNS.has(node.f) && isChainLink(node.args[0])) return compileChain(node, slotOf);
      return compileFn(
        node.f,
        node.args.map((a) => compileExpr(a, slotOf)),
      );
  }
}

/** Chains shorter than this keep one closure per operator (the shape short expressions always had). */
const CHAIN_LOOP_MIN_LENGTH = 16;

function isChainLink(n: Node | undefined): n is Node & { k: 'fn' } {
  return n !== undefined && n.k === 'fn' && LEFT_CHAIN_FNS.has(n.f);
}

/**
 * `((a op1 b) op2 c) op3 d …` down the left operands: compiled without recursing along the chain
 * and, when long, evaluated in a loop that does what the nested strict2 closures would (left value,
 * then right, NULL if either is NULL, else the operator, whose errors end the evaluation).
 */
function compileChain(top: Node & { k: 'fn' }, slotOf: (name: string) => number): Eval {
  const links: (Node & { k: 'fn' })[] = [];
  let n: Node = top;
  while (isChainLink(n) && isChainLink(n.args[0])) {
    links.push(n);
    n = n.args[0];
  }
  // n: the innermost link, whose left operand is not a link
  let acc = compileExpr(n, slotOf);
  if (links.length + 1 < CHAIN_LOOP_MIN_LENGTH) {
    for (let i = links.length - 1; i >= 0; i--) {
      const link = links[i]!;
      acc = compileFn(link.f, [acc, compileExpr(link.args[1]!, slotOf)]);
    }
    return acc;
  }
  const first = acc;
  const count = links.length;
  const rights: Eval[] = [];
  const impls: Fn2[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const link = links[i]!;
    rights.push(compileExpr(link.args[1]!, slotOf));
    impls.push(binaryImpl(link.f));
  }
  return (rt) => {
    let v: Value = first(rt);
    for (let i = 0; i < count; i++) {
      const r = rights[i]!(rt);
      v = v === null || r === null ? null : impls[i]!(v, r, rt);
    }
    return v;
  };
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
        // No password can be in it: an expression's value is an int, a double, a boolean or null
        // (values.ts), and debugText prints only those; rt.command is the command's index.
        process.stderr.write(`debug(script=0,command=${rt.command}): ${debugText(v)}\n`);
        return v;
      };
    default:
      return standardFn(f, args);
  }
}

/*
 * Standard functions return NULL as soon as any argument is NULL (arguments all evaluated first,
 * left to right). Each body is chosen at compile time and gets its arguments by position, or (for
 * least/greatest) in one array per call site: evaluation is synchronous and a node never runs
 * inside its own arguments, so that array is never in use twice at once.
 */
type Fn1 = (a: Value, rt: Runtime) => Value;
type Fn2 = (a: Value, b: Value, rt: Runtime) => Value;
type Fn3 = (a: Value, b: Value, c: Value, rt: Runtime) => Value;
type FnN = (v: readonly Value[], rt: Runtime) => Value;

function arity(f: string, args: readonly Eval[], n: number): void {
  if (args.length !== n) throw new Error(`internal: pgbench function ${f} given ${args.length} arguments, not ${n}`);
}

function strict0(f: string, args: readonly Eval[], impl: Eval): Eval {
  arity(f, args, 0);
  return impl;
}

function strict1(f: string, args: readonly Eval[], impl: Fn1): Eval {
  arity(f, args, 1);
  const a0 = A(args, 0);
  return (rt) => {
    const v = a0(rt);
    return v === null ? null : impl(v, rt);
  };
}

function strict2(f: string, args: readonly Eval[], impl: Fn2): Eval {
  arity(f, args, 2);
  const a0 = A(args, 0);
  const a1 = A(args, 1);
  return (rt) => {
    const v0 = a0(rt);
    const v1 = a1(rt);
    return v0 === null || v1 === null ? null : impl(v0, v1, rt);
  };
}

function strict3(f: string, args: readonly Eval[], impl: Fn3): Eval {
  arity(f, args, 3);
  const a0 = A(args, 0);
  const a1 = A(args, 1);
  const a2 = A(args, 2);
  return (rt) => {
    const v0 = a0(rt);
    const v1 = a1(rt);
    const v2 = a2(rt);
    return v0 === null || v1 === null || v2 === null ? null : impl(v0, v1, v2, rt);
  };
}

function strictN(args: readonly Eval[], impl: FnN): Eval {
  const n = args.length;
  const vals = new Array<Value>(n).fill(null);
  return (rt) => {
    let hasNull = false;
    for (let i = 0; i < n; i++) {
      const v = A(args, i)(rt);
      vals[i] = v;
      if (v === null) hasNull = true;
    }
    return hasNull ? null : impl(vals, rt);
  };
}

const V = (v: readonly Value[], i: number): Value => v[i] as Value;

/** random_gaussian/_zipfian/_exponential: the range is checked first, then the parameter, then the draw. */
function randomWithParam(f: string, args: readonly Eval[], draw: typeof getGaussianRand, checkParam: (param: number) => void): Eval {
  return strict3(f, args, (lo, hi, p, rt) => {
    const min = toInt(lo);
    const max = toInt(hi);
    checkRange(min, max);
    const param = toDouble(p);
    checkParam(param);
    return draw(rt.rng, min, max, param);
  });
}

/** The body of a LEFT_CHAIN_FNS operator. */
function binaryImpl(f: string): Fn2 {
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
      return (l, r) => intDivMod(toInt(l), toInt(r), false);
    case '&':
    case '|':
    case '#': {
      const op = f;
      return (l, r) => intBit(op, toInt(l), toInt(r));
    }
    case '<<':
    case '>>': {
      const left = f === '<<';
      return (l, r) => intShift(left, toInt(l), toInt(r));
    }
    default:
      throw new Error(`internal: ${f} is not a chainable pgbench operator`);
  }
}

function standardFn(f: string, args: readonly Eval[]): Eval {
  if (LEFT_CHAIN_FNS.has(f)) return strict2(f, args, binaryImpl(f));
  switch (f) {
    case '!not':
      return strict1(f, args, (x) => !toBool(x));
    case 'pi':
      return strict0(f, args, () => new Dbl(Math.PI));
    case 'abs':
      return strict1(f, args, (x) => {
        if (x instanceof Dbl) return new Dbl(x.v < 0 ? -x.v : x.v);
        return typeof x === 'boolean' ? new Dbl(toDouble(x)) : intAbs(toInt(x));
      });
    case 'double':
      return strict1(f, args, (x) => new Dbl(toDouble(x)));
    case 'sqrt':
      return strict1(f, args, (x) => new Dbl(Math.sqrt(toDouble(x))));
    case 'ln':
      return strict1(f, args, (x) => new Dbl(Math.log(toDouble(x))));
    case 'exp':
      return strict1(f, args, (x) => new Dbl(Math.exp(toDouble(x))));
    case 'int':
      return strict1(f, args, (x) => toInt(x));
    case 'pow':
      return strict2(f, args, (l, r) => new Dbl(Math.pow(toDouble(l), toDouble(r))));
    case 'least':
    case 'greatest':
      return strictN(args, extremum(f === 'least'));
    case 'random':
      return strict2(f, args, (lo, hi, rt) => {
        const min = toInt(lo);
        const max = toInt(hi);
        checkRange(min, max);
        return getrand(rt.rng, min, max);
      });
    case 'random_gaussian':
      return randomWithParam(f, args, getGaussianRand, (param) => {
        if (param < MIN_GAUSSIAN_PARAM) {
          throw new ScriptError(`gaussian parameter must be at least ${formatFixed6(MIN_GAUSSIAN_PARAM)} (not ${formatFixed6(param)})`);
        }
      });
    case 'random_zipfian':
      return randomWithParam(f, args, getZipfianRand, (param) => {
        if (!(param >= MIN_ZIPFIAN_PARAM && param <= MAX_ZIPFIAN_PARAM)) {
          throw new ScriptError(`zipfian parameter must be in range [1.001, 1000] (not ${formatFixed6(param)})`);
        }
      });
    case 'random_exponential':
      return randomWithParam(f, args, getExponentialRand, (param) => {
        if (!(param > 0.0)) throw new ScriptError(`exponential parameter must be greater than zero (not ${formatFixed6(param)})`);
      });
    case 'hash_murmur2':
      return strict2(f, args, (l, r) => hashMurmur2(toInt(l), toInt(r)));
    case 'hash_fnv1a':
      return strict2(f, args, (l, r) => hashFnv1a(toInt(l), toInt(r)));
    case 'permute':
      return strict3(f, args, (a, b, c) => {
        const val = toInt(a);
        const size = toInt(b);
        const seed = toInt(c);
        if (size <= 0) throw new ScriptError('permute size parameter must be greater than zero');
        return permute(val, size, seed);
      });
    default:
      throw new Error(`internal: unknown pgbench function ${f}`);
  }
}

/**
 * Overloaded + - * / = <> < <=: double if either side is a double, else int64. One closure per
 * operator; operands are converted left then right, as before.
 */
function arith(f: string): Fn2 {
  switch (f) {
    case '+':
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? new Dbl(toDouble(l) + toDouble(r)) : intAdd(toInt(l), toInt(r)));
    case '-':
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? new Dbl(toDouble(l) - toDouble(r)) : intSub(toInt(l), toInt(r)));
    case '*':
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? new Dbl(toDouble(l) * toDouble(r)) : intMul(toInt(l), toInt(r)));
    case '/':
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? new Dbl(toDouble(l) / toDouble(r)) : intDivMod(toInt(l), toInt(r), true));
    case '=':
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? toDouble(l) === toDouble(r) : toInt(l) === toInt(r));
    case '<>':
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? toDouble(l) !== toDouble(r) : toInt(l) !== toInt(r));
    case '<':
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? toDouble(l) < toDouble(r) : toInt(l) < toInt(r));
    default:
      return (l, r) => (l instanceof Dbl || r instanceof Dbl ? toDouble(l) <= toDouble(r) : toInt(l) <= toInt(r));
  }
}

function extremum(least: boolean): FnN {
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

function debugText(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean ${v ? 'true' : 'false'}`;
  if (v instanceof Dbl) return `double ${formatDouble(v.v)}`;
  return `int ${String(v)}`;
}
