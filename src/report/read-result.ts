/**
 * Reading results back: a result file (`pgsurge report`, `compare`, `merge`) or a result kept
 * elsewhere (the run history). Every reader goes through the same schema check, so a result that
 * one command accepts, the others accept too.
 */
import { usageError } from '../errors.js';
import { readUserFile } from '../config/user-file.js';
import { resultV1Schema, type ResultV1 } from './result.js';

/** A parsed JSON value as a result, or what is wrong with it (the first problem, with where). */
export function checkResult(json: unknown): { readonly result: ResultV1 } | { readonly problem: string } {
  const parsed = resultV1Schema.safeParse(json);
  if (parsed.success) return { result: parsed.data }; // unknown keys are dropped; older files lack the optional sections
  const first = parsed.error.issues[0];
  const where = first === undefined || first.path.length === 0 ? '' : `${first.path.join('.')}: `;
  return { problem: `${where}${first?.message ?? 'invalid'}` };
}

/**
 * A parsed JSON value as a result. Any problem is a usage error (exit 2) in one line that names
 * `source` (a file, a history entry) and the first problem.
 */
export function resultFromJson(json: unknown, source: string): ResultV1 {
  const checked = checkResult(json);
  if ('problem' in checked) throw usageError('RESULT_INVALID', `${source} is not a pgsurge.result/v1 result: ${checked.problem}`);
  return checked.result;
}

/** JSON text → its value; broken JSON is a usage error naming `source`. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw usageError('RESULT_INVALID', `${source} is not valid JSON: ${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')}`);
  }
}

/**
 * Reads and validates a result file. Any problem is a usage error (exit 2) in one line that names
 * the file and the first problem.
 */
export function readResultFile(file: string): ResultV1 {
  const text = readUserFile(file, 'RESULT_UNREADABLE', 'result', { EISDIR: 'is a directory' });
  return resultFromJson(parseJsonText(text, file), file);
}
