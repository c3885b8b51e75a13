/**
 * Finds the `:name` references of an SQL command, as pgbench's parseQuery does: every `:name`
 * becomes a parameter (also inside string literals, where -M simple substitutes the text), runs
 * of colons (`::int`) are kept, names follow valid_variable_name. Unlike pgbench, references
 * inside comments are left alone (pgbench would bind them as parameters the server never uses).
 */
import { NAME_CHAR, NAME_START } from './names.js';
import { skipQuotedOrComment } from './script-parser.js';

export interface SqlParams {
  /** SQL split around the references: parts.length === names.length + 1. */
  readonly parts: string[];
  readonly names: string[];
  /** Offset of each reference's colon in the SQL. */
  readonly offsets: number[];
}

export function findParams(sql: string): SqlParams {
  const parts: string[] = [];
  const names: string[] = [];
  const offsets: number[] = [];
  let partStart = 0;
  // Collect references in [from, to); comments are skipped only outside quotes.
  const scan = (from: number, to: number, comments: boolean): void => {
    let i = from;
    while (i < to) {
      const c = sql.charAt(i);
      if (comments && (c === '-' || c === '/' || c === "'" || c === '"' || c === '$')) {
        const end = skipQuotedOrComment(sql, i);
        if (end >= 0) {
          if (c !== '-' && c !== '/') scan(i + 1, end, false);
          i = end;
          continue;
        }
      }
      if (c !== ':') {
        i++;
        continue;
      }
      if (!NAME_START.test(sql.charAt(i + 1))) {
        while (i < to && sql.charAt(i) === ':') i++;
        continue;
      }
      let j = i + 2;
      while (j < to && NAME_CHAR.test(sql.charAt(j))) j++;
      parts.push(sql.slice(partStart, i));
      names.push(sql.slice(i + 1, j));
      offsets.push(i);
      partStart = j;
      i = j;
    }
  };
  scan(0, sql.length, true);
  parts.push(sql.slice(partStart));
  return { parts, names, offsets };
}
