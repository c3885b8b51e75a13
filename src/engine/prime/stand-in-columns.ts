/**
 * The result columns a statement would have, guessed from its text, for the priming's stand-in
 * server (stand-in-server.ts). The stand-in has no catalogue, but a script that reads a result
 * (`\gset`, `\aset`) needs its columns by name, and without them the priming's clients stopped at
 * the first such command. So the stand-in names them from the select list (or RETURNING list) the
 * way PostgreSQL does for the common forms: `expr AS name` and `expr name` give name, a column
 * reference gives its last part (`a.abalance` → abalance), a function call its function
 * (`count(*)` → count), a cast what it casts (`abalance::text` → abalance); anything else is
 * `?column?`. A guess that is wrong costs nothing but priming: the real run asks the real server.
 * Without the names every priming transaction of such a script failed at its `\gset`, and the
 * schedule lag of the run's first second showed it (bench/RESULTS.md, "Design measurements").
 */
import { skipQuotedOrComment } from '../../workload/pgbench/script-parser.js';

type Token =
  | { readonly k: 'word'; readonly v: string } // unquoted identifier or keyword, lower-cased
  | { readonly k: 'qident'; readonly v: string } // "Quoted" identifier, as written
  | { readonly k: 'group' } // a whole (...) at this level
  | { readonly k: 'op'; readonly v: string } // punctuation and operators: , . :: + ...
  | { readonly k: 'lit' }; // number or string literal, parameter ($1)

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;

/** The top-level tokens of sql (parenthesised parts become one 'group'). */
function tokens(sql: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  const push = (t: Token): void => {
    if (depth === 0) out.push(t);
  };
  while (i < sql.length) {
    const c = sql.charAt(i);
    if (c === '"') {
      // "a""b" is one identifier, a"b
      let j = i + 1;
      while (j < sql.length && !(sql.charAt(j) === '"' && sql.charAt(j + 1) !== '"')) j += sql.charAt(j) === '"' ? 2 : 1;
      push({ k: 'qident', v: sql.slice(i + 1, j).replace(/""/g, '"') });
      i = j + 1;
    } else if (
      c === "'" ||
      (c === '$' && !DIGIT.test(sql.charAt(i + 1))) ||
      (c === '-' && sql.charAt(i + 1) === '-') ||
      (c === '/' && sql.charAt(i + 1) === '*')
    ) {
      const end = skipQuotedOrComment(sql, i);
      if (end < 0) {
        push({ k: 'op', v: c });
        i++;
        continue;
      }
      if (c === "'" || c === '$') push({ k: 'lit' });
      i = end;
    } else if (c === '(') {
      push({ k: 'group' });
      depth++;
      i++;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
      i++;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_CHAR.test(sql.charAt(j))) j++;
      // E'…' and the like: a prefix of a string literal, not a word.
      if (sql.charAt(j) === "'" && j - i === 1) {
        i = j;
        continue;
      }
      push({ k: 'word', v: sql.slice(i, j).toLowerCase() });
      i = j;
    } else if (DIGIT.test(c) || (c === '$' && DIGIT.test(sql.charAt(i + 1)))) {
      let j = i + 1;
      while (j < sql.length && /[0-9.eE]/.test(sql.charAt(j))) j++;
      push({ k: 'lit' });
      i = j;
    } else if (/\s/.test(c)) {
      i++;
    } else {
      const two = sql.slice(i, i + 2);
      const v = two === '::' ? two : c;
      push({ k: 'op', v });
      i += v.length;
    }
  }
  return out;
}

/** Words that end a select list (or a RETURNING list). */
const LIST_END = new Set(['from', 'into', 'where', 'group', 'having', 'window', 'order', 'limit', 'offset', 'fetch', 'for', 'union', 'intersect', 'except']);
/** Words after which a following word is not an alias (`a is null`, `x and y`). */
const NOT_BEFORE_ALIAS = new Set(['is', 'not', 'and', 'or', 'as', 'null', 'then', 'else', 'when', 'case', 'in', 'like', 'between', 'distinct', 'all']);

const isName = (t: Token | undefined): t is { k: 'word' | 'qident'; v: string } => t !== undefined && (t.k === 'word' || t.k === 'qident');
const isWord = (t: Token | undefined, v: string): boolean => t?.k === 'word' && t.v === v;
const isOp = (t: Token | undefined, v: string): boolean => t?.k === 'op' && t.v === v;

/** PostgreSQL's name for one select-list item. */
function itemName(item: readonly Token[]): string {
  const last = item[item.length - 1];
  const before = item[item.length - 2];
  if (isName(last) && item.length >= 2) {
    // expr AS name / expr name
    if (isWord(before, 'as')) return last.v;
    if (isWord(item[0], 'case') && isWord(last, 'end')) return 'case';
    const aliasable =
      before !== undefined && (before.k === 'group' || before.k === 'lit' || before.k === 'qident' || (before.k === 'word' && !NOT_BEFORE_ALIAS.has(before.v)));
    if (aliasable) return last.v;
  }
  // Strip a trailing cast (`x::int`, `x::numeric(10,2)`): the name is the cast's operand's.
  const cast = item.findIndex((t, j) => j > 0 && isOp(t, '::'));
  const core = cast < 0 ? item : item.slice(0, cast);
  // a, t.a, s.t.a
  if (core.length % 2 === 1 && core.every((t, j) => (j % 2 === 0 ? isName(t) : isOp(t, '.')))) {
    const name = core[core.length - 1];
    return isName(name) ? name.v : '?column?';
  }
  // f(...), s.f(...)
  const fn = core[core.length - 2];
  if (core[core.length - 1]?.k === 'group' && isName(fn)) return fn.v;
  return '?column?';
}

/**
 * The names of the result columns of `sql`, or null when it returns no rows (no top-level SELECT,
 * VALUES result or RETURNING list).
 */
export function resultColumns(sql: string): string[] | null {
  const toks = tokens(sql);
  let start = toks.findIndex((t) => isWord(t, 'returning'));
  if (start < 0) start = toks.findIndex((t) => isWord(t, 'select'));
  if (start < 0) return null;
  let i = start + 1;
  if (isWord(toks[i], 'all')) i++;
  if (isWord(toks[i], 'distinct')) {
    i++;
    if (isWord(toks[i], 'on') && toks[i + 1]?.k === 'group') i += 2;
  }
  const items: Token[][] = [[]];
  for (; i < toks.length; i++) {
    const t = toks[i] as Token;
    if (t.k === 'word' && LIST_END.has(t.v)) break;
    if (isOp(t, ';')) break;
    if (isOp(t, ',')) items.push([]);
    else items[items.length - 1]?.push(t);
  }
  const named = items.filter((it) => it.length > 0);
  if (named.length === 0) return null;
  return named.map(itemName);
}
