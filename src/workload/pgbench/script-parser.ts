/**
 * Splits a pgbench script into commands, the way pgbench's psqlscan-based ParseScript does:
 * SQL runs until a `;` outside quotes, dollar quotes, comments and parentheses (or until a
 * backslash command, or the end of the file); a backslash starts a meta-command that runs to the
 * end of its line, where a trailing backslash continues it on the next line.
 */

export interface SqlCommand {
  readonly k: 'sql';
  /** The SQL as pgbench buffers it: from its first token through the `;` (if any). */
  readonly sql: string;
  readonly line: number;
  readonly col: number;
}

export interface MetaCommand {
  readonly k: 'meta';
  /** Lower-cased command name without the backslash. */
  readonly name: string;
  readonly line: number;
  readonly col: number;
  /** Everything after the name up to the end of the (continued) line; continuations become spaces. */
  readonly rest: string;
  /** 1-based column of `rest` on the command's first line. */
  readonly restCol: number;
  /** The command's text (for error messages). */
  readonly lineText: string;
}

export type RawCommand = SqlCommand | MetaCommand;

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/**
 * A quoted string, quoted identifier, dollar quote or block comment runs to the end of the script:
 * the statement can never run, so the script is refused (pgbench would send it and fail every time).
 */
export class UnterminatedError extends Error {
  constructor(
    readonly what: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(`unterminated ${what}`);
  }
}

/** What the region skipQuotedOrComment last skipped was, when it ran to the end of the text unclosed. */
let unclosed: string | undefined;

/**
 * Offset just past a quoted or commented region starting at `i`, or -1 if `i` starts none. A region
 * left open runs to the end of the text (and `unclosed` says what it was).
 */
export function skipQuotedOrComment(text: string, i: number): number {
  unclosed = undefined;
  const c = text.charAt(i);
  const next = text.charAt(i + 1);
  if (c === '-' && next === '-') {
    const nl = text.indexOf('\n', i);
    return nl < 0 ? text.length : nl;
  }
  if (c === '/' && next === '*') {
    let depth = 1;
    let j = i + 2;
    while (j < text.length && depth > 0) {
      if (text.startsWith('/*', j)) {
        depth++;
        j += 2;
      } else if (text.startsWith('*/', j)) {
        depth--;
        j += 2;
      } else {
        j++;
      }
    }
    if (depth > 0) unclosed = 'comment (/* without */)';
    return j;
  }
  if (c === "'") {
    const prev = text.charAt(i - 1);
    const escapes = (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(text.charAt(i - 2));
    let j = i + 1;
    while (j < text.length) {
      const d = text.charAt(j);
      if (escapes && d === '\\') j += 2;
      else if (d === "'" && text.charAt(j + 1) === "'") j += 2;
      else if (d === "'") return j + 1;
      else j++;
    }
    unclosed = 'quoted string';
    return text.length;
  }
  if (c === '"') {
    const end = text.indexOf('"', i + 1);
    if (end >= 0) return end + 1;
    unclosed = 'quoted identifier';
    return text.length;
  }
  if (c === '$' && !IDENT_CHAR.test(text.charAt(i - 1))) {
    const m = DOLLAR_TAG.exec(text.slice(i, i + 64));
    if (m) {
      const end = text.indexOf(m[0], i + m[0].length);
      if (end >= 0) return end + m[0].length;
      unclosed = `dollar-quoted string (${m[0]} without its closing ${m[0]})`;
      return text.length;
    }
  }
  return -1;
}

/** The script's commands; throws UnterminatedError for a quote or comment left open at its end. */
export function splitScript(text: string): RawCommand[] {
  const out: RawCommand[] = [];
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (off: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const pos = (off: number): { line: number; col: number } => {
    const l = lineOf(off);
    return { line: l + 1, col: off - (lineStarts[l] ?? 0) + 1 };
  };

  let start = -1; // start of the SQL being collected
  let sql = ''; // collected SQL (differs from the source only for `\;` and `\:`)
  let depth = 0;
  const flushSql = (): void => {
    if (start >= 0) {
      const body = sql.trimEnd();
      if (body.length > 0) out.push({ k: 'sql', sql: body, ...pos(start) });
    }
    start = -1;
    sql = '';
    depth = 0;
  };

  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (start < 0) {
      if (/\s/.test(c)) {
        i++;
        continue;
      }
      if (c === '-' && text.charAt(i + 1) === '-') {
        i = skipQuotedOrComment(text, i);
        continue;
      }
      if (c !== '\\') start = i;
    }
    if (c === '\\') {
      const n = text.charAt(i + 1);
      if (start >= 0 && (n === ';' || n === ':')) {
        sql += n;
        i += 2;
        continue;
      }
      flushSql();
      i = readMeta(text, i, pos, out);
      continue;
    }
    const end = skipQuotedOrComment(text, i);
    if (unclosed !== undefined) {
      const p = pos(i);
      throw new UnterminatedError(unclosed, p.line, p.col);
    }
    if (end >= 0) {
      sql += text.slice(i, end);
      i = end;
      continue;
    }
    sql += c;
    i++;
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ';' && depth === 0) flushSql();
  }
  flushSql();
  return out;
}

function readMeta(text: string, at: number, pos: (off: number) => { line: number; col: number }, out: RawCommand[]): number {
  let i = at + 1;
  while (i < text.length && /[A-Za-z0-9_]/.test(text.charAt(i))) i++;
  const name = text.slice(at + 1, i).toLowerCase();
  const restStart = i;
  let rest = '';
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '\\' && (text.charAt(i + 1) === '\n' || (text.charAt(i + 1) === '\r' && text.charAt(i + 2) === '\n'))) {
      const len = text.charAt(i + 1) === '\r' ? 3 : 2;
      rest += ' '.repeat(len);
      i += len;
      continue;
    }
    if (c === '\n') break;
    rest += c;
    i++;
  }
  const p = pos(at);
  out.push({
    k: 'meta',
    name,
    ...p,
    rest,
    restCol: pos(restStart).col,
    lineText: text.slice(at, i).replace(/\r$/, ''),
  });
  return i;
}
