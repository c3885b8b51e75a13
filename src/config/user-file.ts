/**
 * Files the user names (suite and scenario files, pgbench scripts, results): read with a one-line
 * usage error, and YAML files parsed and checked against a zod schema, every problem with its line.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { usageError, type PgsurgeError } from '../errors.js';

/**
 * A file's text (UTF-8). A failure is a usage error `cannot read WHAT FILE: WHY`, WHY being "no such
 * file", the entry of `reasons` for the error code, or the error code.
 */
export function readUserFile(file: string, code: string, what: string, reasons: Readonly<Record<string, string>> = {}): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const errno = (e as { code?: string }).code;
    const why = errno === 'ENOENT' ? 'no such file' : errno !== undefined && Object.hasOwn(reasons, errno) ? reasons[errno]! : (errno ?? String(e));
    throw usageError(code, `cannot read ${what} ${file}: ${why}`);
  }
}

/** `FILE: N problems in the KIND file:` with every problem under it. */
export function fileProblems(code: string, file: string, kind: string, problems: readonly string[]): PgsurgeError {
  return usageError(code, `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the ${kind} file:`, problems);
}

export interface YamlFileKind {
  /** "suite", "scenario": the messages say "… in the KIND file". */
  readonly kind: string;
  /** Error code of a YAML syntax error (the first one, with its line and column). */
  readonly syntaxCode: string;
  /** Error code when the document does not match the schema (every problem, with its line). */
  readonly invalidCode: string;
}

/**
 * Parse YAML (or JSON) and check it against `schema`. Returns the parsed data and `where(path)`:
 * " (line N)" for the node at that path in the file, or "" when there is none.
 */
export function parseYamlWithSchema<S extends z.ZodType>(
  source: string,
  file: string,
  schema: S,
  kind: YamlFileKind,
): { data: z.output<S>; where: (path: readonly PropertyKey[]) => string } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw usageError(kind.syntaxCode, `${file}${pos === undefined ? '' : `:${pos.line}:${pos.col}`}: ${e.message.split('\n')[0]}`);
  }
  const where = (path: readonly PropertyKey[]): string => {
    const node = doc.getIn(
      path.map((p) => (typeof p === 'number' ? p : String(p))),
      true,
    );
    if (!isNode(node) || node.range === undefined || node.range === null) return '';
    return ` (line ${lines.linePos(node.range[0]).line})`;
  };
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'}: ${i.message}${where(i.path)}`);
    throw fileProblems(kind.invalidCode, file, kind.kind, details);
  }
  return { data: parsed.data, where };
}
