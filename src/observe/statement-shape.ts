/**
 * The "shape" of an SQL statement: its tokens with every constant, parameter and pgbench variable
 * replaced by `?`, so that the text pgsurge knows (the script as written: `:aid`, `$1`, literals)
 * and the text pg_stat_statements shows (normalised: literals replaced by `$n`) compare equal.
 *
 * Both sides go through the same function, so it only has to treat alike what either side may
 * write in a constant's place:
 * - string, dollar-quoted and numeric literals, `$n` parameters and `:name` / `:'name'` / `:"name"`
 *   variables are `?`; so are TRUE, FALSE and NULL (pg_stat_statements replaces them as constants);
 * - a `-` right before a `?` is dropped (pg_stat_statements folds a negative literal's sign into
 *   the constant: `abalance + -5` shows as `abalance + $1`);
 * - a run of `?` separated by commas is one `?` (PostgreSQL 18 squashes `IN (1, 2, 3)` to
 *   `IN ($1 /*, ... *\/)`);
 * - comments, whitespace, letter case outside quoted identifiers and trailing semicolons do not count;
 * - transaction control is named one way: END is COMMIT, ABORT is ROLLBACK, WORK and TRANSACTION
 *   are noise (the server files `END` under the entry of `commit` when that came first).
 * Two statements that differ only in these respects share a shape (and a pg_stat_statements entry
 * may then be counted for both: the join says so).
 */

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_REST = /[A-Za-z0-9_$\u0080-\uffff]/;
const NUMBER = /(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/y;
const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const PARAM = /\$\d+/y;
/** Keywords that pg_stat_statements replaces as constants. */
const CONSTANT_WORDS = new Set(['true', 'false', 'null']);
/** One-letter prefixes of string literals (E'…' escapes, B'…' bits, X'…' hex, N'…' national). */
const STRING_PREFIXES = new Set(['e', 'b', 'x', 'n']);

const CONST = '?';

/** End index of a quoted run starting at `i` (the opening quote), `''`/`""` doubling the quote. */
function quotedEnd(sql: string, i: number, quote: string, backslash: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (backslash && ch === '\\') j += 2;
    else if (ch === quote) {
      if (sql[j + 1] === quote) j += 2;
      else return j + 1;
    } else j += 1;
  }
  return sql.length;
}

/** End index of a comment starting at `i`, or -1 when none starts there. */
function commentEnd(sql: string, i: number): number {
  if (sql.startsWith('--', i)) {
    const nl = sql.indexOf('\n', i);
    return nl < 0 ? sql.length : nl + 1;
  }
  if (!sql.startsWith('/*', i)) return -1;
  // Block comments nest in PostgreSQL.
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql.startsWith('/*', j)) {
      depth += 1;
      j += 2;
    } else if (sql.startsWith('*/', j)) {
      depth -= 1;
      j += 2;
      if (depth === 0) return j;
    } else j += 1;
  }
  return sql.length;
}

function sticky(re: RegExp, sql: string, i: number): string | undefined {
  re.lastIndex = i;
  return re.exec(sql)?.[0];
}

function tokens(sql: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    const comment = commentEnd(sql, i);
    if (comment >= 0) {
      i = comment;
      continue;
    }
    if (ch === "'") {
      i = quotedEnd(sql, i, "'", false);
      out.push(CONST);
      continue;
    }
    if (ch === '"') {
      const end = quotedEnd(sql, i, '"', false);
      out.push(sql.slice(i, end));
      i = end;
      continue;
    }
    if (ch === '$') {
      const param = sticky(PARAM, sql, i);
      if (param !== undefined) {
        out.push(CONST);
        i += param.length;
        continue;
      }
      const tag = sticky(DOLLAR_TAG, sql, i);
      if (tag !== undefined) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close < 0 ? sql.length : close + tag.length;
        out.push(CONST);
        continue;
      }
    }
    // A pgbench variable: one colon (not a `::` cast) before a name or a quoted name.
    if (ch === ':' && sql[i - 1] !== ':' && sql[i + 1] !== ':') {
      const next = sql[i + 1] ?? '';
      if (next === "'" || next === '"') {
        i = quotedEnd(sql, i + 1, next, false);
        out.push(CONST);
        continue;
      }
      if (IDENT_START.test(next)) {
        i += 2;
        while (i < sql.length && IDENT_REST.test(sql[i]!)) i += 1;
        out.push(CONST);
        continue;
      }
    }
    if (/[0-9.]/.test(ch)) {
      const n = sticky(NUMBER, sql, i);
      if (n !== undefined && n !== '.') {
        out.push(CONST);
        i += n.length;
        continue;
      }
    }
    if (IDENT_START.test(ch)) {
      let j = i + 1;
      while (j < sql.length && IDENT_REST.test(sql[j]!)) j += 1;
      const word = sql.slice(i, j).toLowerCase();
      if (sql[j] === "'" && STRING_PREFIXES.has(word)) {
        i = quotedEnd(sql, j, "'", word === 'e');
        out.push(CONST);
        continue;
      }
      if (word === 'u' && sql.startsWith("&'", j)) {
        i = quotedEnd(sql, j + 1, "'", false);
        out.push(CONST);
        continue;
      }
      out.push(CONSTANT_WORDS.has(word) ? CONST : word);
      i = j;
      continue;
    }
    out.push(ch);
    i += 1;
  }
  return out;
}

const TXN_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['begin', 'begin'],
  ['commit', 'commit'],
  ['end', 'commit'],
  ['rollback', 'rollback'],
  ['abort', 'rollback'],
]);

function transactionControl(toks: string[]): string[] {
  const head = TXN_SYNONYMS.get(toks[0] ?? '');
  if (head === undefined) return toks;
  return [head, ...toks.slice(1).filter((t) => t !== 'work' && t !== 'transaction')];
}

/** The statement's shape (see the module comment); equal shapes are taken for the same statement. */
export function statementShape(sql: string): string {
  const raw = tokens(sql);
  const signed = raw.filter((t, k) => !(t === '-' && raw[k + 1] === CONST));
  const out: string[] = [];
  for (let k = 0; k < signed.length; k++) {
    const t = signed[k]!;
    // `?` `,` `?` … → `?`
    if (t === ',' && out[out.length - 1] === CONST && signed[k + 1] === CONST) {
      k += 1;
      continue;
    }
    out.push(t);
  }
  while (out[out.length - 1] === ';') out.pop();
  return transactionControl(out).join(' ');
}
