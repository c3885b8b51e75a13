/**
 * `pgsurge history import`: every result file found under the paths given (directories
 * recursively, as `run --out` and `run --repeat` leave them), recorded in the history. A JSON file
 * that is not a result (a scenario copied into --out's inputs/, a package.json) is skipped with a
 * reason; other files are not looked at. Importing the same result again adds nothing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkResult } from '../report/read-result.js';
import { RESULT_SCHEMA_ID, type ResultV1 } from '../report/result.js';
import type { HistoryStore } from './store.js';

/** The *.json files under `path` (itself, when it is a file), in name order; symbolic links to directories are not followed. */
export function jsonFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.toLowerCase().endsWith('.json') && (e.isFile() || (e.isSymbolicLink() && isFile(p)))) out.push(p);
    }
  };
  walk(path);
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The result in `file`, or why it is not one. The JSON is returned as it is (keys the schema does not know kept). */
export function readImportable(file: string): { readonly json: ResultV1 } | { readonly skip: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { skip: code !== undefined ? `cannot be read (${code})` : 'not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || (json as Record<string, unknown>)['schema'] !== RESULT_SCHEMA_ID)
    return { skip: `not a pgsurge result (no "schema": "${RESULT_SCHEMA_ID}")` };
  const checked = checkResult(json);
  return 'problem' in checked ? { skip: `not a valid ${RESULT_SCHEMA_ID} result (${checked.problem})` } : { json: json as ResultV1 };
}

export interface ImportOutcome {
  /** Ids of results new to the history. */
  readonly added: readonly string[];
  /** Ids of results it had already. */
  readonly known: readonly string[];
  readonly skipped: number;
}

/** Records every result under `paths`; `onSkip` hears of each file that is not one. */
export function importResults(store: HistoryStore, paths: readonly string[], onSkip: (file: string, why: string) => void): ImportOutcome {
  const before = new Set(store.list().map((e) => e.id));
  const added: string[] = [];
  const known: string[] = [];
  let skipped = 0;
  for (const file of paths.flatMap(jsonFilesUnder)) {
    const read = readImportable(file);
    if ('skip' in read) {
      skipped++;
      onSkip(file, read.skip);
      continue;
    }
    const id = store.record(read.json, { source: 'import', file: resolve(file) });
    (before.has(id) || added.includes(id) ? known : added).push(id);
  }
  return { added, known, skipped };
}
