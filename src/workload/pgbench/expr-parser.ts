/**
 * pgbench's expression language (exprscan.l + exprparse.y) as a small Pratt parser. The tree uses
 * pgbench's own desugaring so evaluation order and types match: unary minus is `0 - x`, `~x` is
 * `-1 # x`, `a > b` is `b < a` (right operand evaluated first, as in pgbench), `x IS NULL` is
 * `!is(x, NULL)`, and one-argument hash()/two-argument permute() get `:default_seed` appended.
 */
import { NAME_CHAR, NAME_START } from './names.js';
import { Dbl, type Value } from './values.js';

export type Node =
  | { readonly k: 'const'; readonly v: Value; readonly pos: number }
  | { readonly k: 'var'; readonly name: string; readonly pos: number }
  | { readonly k: 'fn'; readonly f: string; readonly args: readonly Node[]; readonly pos: number };

/**
 * How deeply an expression may nest (parentheses, unary operators, function calls, CASE, chains of
 * AND/OR). Parsing, compiling and evaluating recurse once per level, so an unbounded depth would
 * overflow the stack; long left-associative chains of arithmetic (`a + b + … + z`) are not nesting
 * here: they are evaluated in a loop (see LEFT_CHAIN_FNS).
 */
export const MAX_EXPR_DEPTH = 1000;

/**
 * Binary functions that evaluate both operands, left then right, and return NULL when either is
 * NULL. A chain of them down the left operand is evaluated in a loop (same order, same result), so
 * it costs no depth.
 */
export const LEFT_CHAIN_FNS: ReadonlySet<string> = new Set(['+', '-', '*', '/', 'mod', '=', '<>', '<', '<=', '&', '|', '#', '<<', '>>']);

/** A syntax error at `pos` (0-based offset into the text given to the parser). */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly more: string | undefined,
    readonly pos: number,
  ) {
    super(message);
  }
}

type TokType = 'int' | 'maxint' | 'double' | 'var' | 'ident' | 'kw' | 'op' | 'eof';
interface Tok {
  t: TokType;
  s: string;
  pos: number;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'isnull', 'notnull', 'null', 'true', 'false', 'case', 'when', 'then', 'else', 'end']);
const OPS2 = ['<=', '>=', '<>', '!=', '<<', '>>'];
const OPS1 = '+-*/%(),<>=&|#~';

/** Functions by name: number of arguments (-1: one or more, -3: 1-2, -4: 2-3). */
export const FUNCTIONS: ReadonlyMap<string, number> = new Map([
  ['abs', 1],
  ['least', -1],
  ['greatest', -1],
  ['debug', 1],
  ['pi', 0],
  ['sqrt', 1],
  ['ln', 1],
  ['exp', 1],
  ['int', 1],
  ['double', 1],
  ['random', 2],
  ['random_gaussian', 3],
  ['random_exponential', 3],
  ['random_zipfian', 3],
  ['pow', 2],
  ['power', 2],
  ['hash', -3],
  ['hash_murmur2', -3],
  ['hash_fnv1a', -3],
  ['permute', -4],
  ['mod', 2],
]);

// sticky: matched at lastIndex without copying the rest of the text (inputs may be long)
const NUMBER = /[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+|[0-9]+/y;

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v' || c === '\n') {
      i++;
      continue;
    }
    const start = i;
    if (c === ':' && NAME_START.test(src.charAt(i + 1))) {
      i += 2;
      while (i < src.length && NAME_CHAR.test(src.charAt(i))) i++;
      toks.push({ t: 'var', s: src.slice(start + 1, i), pos: start });
      continue;
    }
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(src);
    if (num) {
      const s = num[0];
      i += s.length;
      if (/^[0-9]+$/.test(s)) {
        const b = BigInt(s);
        if (b === 9223372036854775808n) toks.push({ t: 'maxint', s, pos: start });
        else if (b > 9223372036854775807n) throw new ExprSyntaxError('bigint constant overflow', s, start);
        else toks.push({ t: 'int', s, pos: start });
      } else {
        toks.push({ t: 'double', s, pos: start });
      }
      continue;
    }
    if (NAME_START.test(c)) {
      while (i < src.length && NAME_CHAR.test(src.charAt(i))) i++;
      const s = src.slice(start, i);
      toks.push({ t: KEYWORDS.has(s.toLowerCase()) ? 'kw' : 'ident', s: s.toLowerCase(), pos: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS2.includes(two)) {
      toks.push({ t: 'op', s: two === '!=' ? '<>' : two, pos: start });
      i += 2;
      continue;
    }
    if (OPS1.includes(c)) {
      toks.push({ t: 'op', s: c, pos: start });
      i++;
      continue;
    }
    throw new ExprSyntaxError('unexpected character', c, start);
  }
  toks.push({ t: 'eof', s: '', pos: src.length });
  return toks;
}

// Precedence levels, lowest first, as declared in exprparse.y.
const P_OR = 1;
const P_AND = 2;
const P_NOT = 3;
const P_IS = 4;
const P_CMP = 5;
const P_BIT = 6;
const P_ADD = 7;
const P_MUL = 8;
const P_UNARY = 9;

const INFIX: ReadonlyMap<string, number> = new Map([
  ['or', P_OR],
  ['and', P_AND],
  ['is', P_IS],
  ['isnull', P_IS],
  ['notnull', P_IS],
  ['<', P_CMP],
  ['>', P_CMP],
  ['<=', P_CMP],
  ['>=', P_CMP],
  ['=', P_CMP],
  ['<>', P_CMP],
  ['|', P_BIT],
  ['#', P_BIT],
  ['&', P_BIT],
  ['<<', P_BIT],
  ['>>', P_BIT],
  ['+', P_ADD],
  ['-', P_ADD],
  ['*', P_MUL],
  ['/', P_MUL],
  ['%', P_MUL],
]);

const NULL_NODE = (pos: number): Node => ({ k: 'const', v: null, pos });

function fn(f: string, pos: number, ...args: Node[]): Node {
  return { k: 'fn', f, args, pos };
}

/** Parse one complete expression; anything left over is a syntax error. */
export function parseExpression(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p] as Tok;
  const take = (): Tok => toks[p++] as Tok;
  const fail = (tok: Tok): never => {
    throw new ExprSyntaxError('syntax error', tok.t === 'eof' ? 'unexpected end of expression' : `unexpected "${tok.s}"`, tok.pos);
  };
  const expectOp = (s: string): void => {
    const tok = take();
    if (!((tok.t === 'op' || tok.t === 'kw') && tok.s === s)) fail(tok);
  };
  const isKw = (tok: Tok, s: string): boolean => tok.t === 'kw' && tok.s === s;

  let depth = 0;
  const parse = (minPrec: number): Node => {
    if (++depth > MAX_EXPR_DEPTH) throw tooDeep(peek().pos);
    const node = parseAt(minPrec);
    depth--;
    return node;
  };

  const parseAt = (minPrec: number): Node => {
    let left = prefix();
    for (;;) {
      const tok = peek();
      const prec = tok.t === 'op' || tok.t === 'kw' ? INFIX.get(tok.s) : undefined;
      if (prec === undefined || prec <= minPrec) return left;
      take();
      left = infix(left, tok, prec);
      // comparison and IS operators are non-associative in pgbench's grammar
      const next = peek();
      const nextPrec = next.t === 'op' || next.t === 'kw' ? INFIX.get(next.s) : undefined;
      if ((prec === P_CMP || prec === P_IS) && nextPrec === prec) fail(next);
    }
  };

  const infix = (left: Node, tok: Tok, prec: number): Node => {
    const pos = tok.pos;
    switch (tok.s) {
      case 'isnull':
        return fn('!is', pos, left, NULL_NODE(pos));
      case 'notnull':
        return fn('!not', pos, fn('!is', pos, left, NULL_NODE(pos)));
      case 'is': {
        let negate = false;
        if (isKw(peek(), 'not')) {
          take();
          negate = true;
        }
        const what = take();
        let v: Value;
        if (isKw(what, 'null')) v = null;
        else if (isKw(what, 'true')) v = true;
        else if (isKw(what, 'false')) v = false;
        else return fail(what);
        const node = fn('!is', pos, left, { k: 'const', v, pos: what.pos });
        return negate ? fn('!not', pos, node) : node;
      }
      case 'and':
        return fn('!and', pos, left, parse(prec));
      case 'or':
        return fn('!or', pos, left, parse(prec));
      case '>':
        return fn('<', pos, parse(prec), left);
      case '>=':
        return fn('<=', pos, parse(prec), left);
      case '%':
        return fn('mod', pos, left, parse(prec));
      default:
        return fn(tok.s, pos, left, parse(prec));
    }
  };

  const prefix = (): Node => {
    const tok = take();
    const pos = tok.pos;
    switch (tok.t) {
      case 'int':
        return { k: 'const', v: Number.isSafeInteger(Number(tok.s)) ? Number(tok.s) : BigInt(tok.s), pos };
      case 'double': {
        const d = Number(tok.s);
        if (!Number.isFinite(d)) throw new ExprSyntaxError('invalid double', tok.s, pos);
        return { k: 'const', v: new Dbl(d), pos };
      }
      case 'var':
        return { k: 'var', name: tok.s, pos };
      case 'ident':
        return call(tok);
      case 'kw':
        if (tok.s === 'null') return NULL_NODE(pos);
        if (tok.s === 'true' || tok.s === 'false') return { k: 'const', v: tok.s === 'true', pos };
        if (tok.s === 'not') return fn('!not', pos, parse(P_NOT));
        if (tok.s === 'case') return caseExpr(pos);
        return fail(tok);
      case 'op':
        if (tok.s === '(') {
          const e = parse(0);
          expectOp(')');
          return e;
        }
        if (tok.s === '+') return parse(P_UNARY);
        if (tok.s === '-') {
          if (peek().t === 'maxint') {
            take();
            return { k: 'const', v: -(2n ** 63n), pos };
          }
          return fn('-', pos, { k: 'const', v: 0, pos }, parse(P_UNARY));
        }
        if (tok.s === '~') return fn('#', pos, { k: 'const', v: -1, pos }, parse(P_UNARY));
        return fail(tok);
      default:
        return fail(tok);
    }
  };

  const call = (name: Tok): Node => {
    const nargs = FUNCTIONS.get(name.s);
    if (nargs === undefined) {
      throw new ExprSyntaxError('unexpected function name', name.s, name.pos);
    }
    expectOp('(');
    const args: Node[] = [];
    if (!(peek().t === 'op' && peek().s === ')')) {
      for (;;) {
        args.push(parse(0));
        if (peek().t === 'op' && peek().s === ',') {
          take();
          continue;
        }
        break;
      }
    }
    expectOp(')');
    const len = args.length;
    const wrong = (): never => {
      throw new ExprSyntaxError(nargs === -1 ? 'at least one argument expected' : 'unexpected number of arguments', name.s, name.pos);
    };
    if (nargs === -1) {
      if (len === 0) wrong();
    } else if (nargs === -3 || nargs === -4) {
      const min = nargs === -3 ? 1 : 2;
      if (len < min || len > min + 1) wrong();
      if (len === min) args.push({ k: 'var', name: 'default_seed', pos: name.pos });
    } else if (len !== nargs) {
      wrong();
    }
    return fn(name.s === 'power' ? 'pow' : name.s === 'hash' ? 'hash_murmur2' : name.s, name.pos, ...args);
  };

  const caseExpr = (pos: number): Node => {
    const args: Node[] = [];
    if (!isKw(peek(), 'when')) fail(peek());
    while (isKw(peek(), 'when')) {
      take();
      args.push(parse(0));
      expectOp('then');
      args.push(parse(0));
    }
    if (isKw(peek(), 'else')) {
      take();
      args.push(parse(0));
    } else {
      args.push(NULL_NODE(pos));
    }
    expectOp('end');
    return fn('!case', pos, ...args);
  };

  const result = parse(0);
  if (peek().t !== 'eof') fail(peek());
  checkDepth(result);
  return result;
}

function tooDeep(pos: number): ExprSyntaxError {
  return new ExprSyntaxError('expression too deeply nested', `more than ${MAX_EXPR_DEPTH} levels`, pos);
}

/**
 * The tree's depth as compiling and evaluating recurse through it (the left operand of a
 * LEFT_CHAIN_FNS node whose left operand is one too costs nothing), measured without recursion;
 * chains the parser builds in a loop (AND, OR) are caught here.
 */
function checkDepth(root: Node): void {
  const stack: { node: Node; depth: number }[] = [{ node: root, depth: 1 }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, depth } = top;
    if (depth > MAX_EXPR_DEPTH) throw tooDeep(node.pos);
    if (node.k !== 'fn') continue;
    const chained = LEFT_CHAIN_FNS.has(node.f);
    node.args.forEach((arg, i) => {
      const free = chained && i === 0 && arg.k === 'fn' && LEFT_CHAIN_FNS.has(arg.f);
      stack.push({ node: arg, depth: free ? depth : depth + 1 });
    });
  }
}
