/**
 * The history's SQLite database, through node-sqlite3-wasm: SQLite compiled to WebAssembly with
 * real file access from Node (pgsurge takes no native addons).
 *
 * WAL journal in EXCLUSIVE locking mode, one connection per operation, under the history's lock
 * (file-lock.ts). Why:
 * - node-sqlite3-wasm's file layer has no shared memory, so WAL is only available in EXCLUSIVE
 *   locking mode (the WAL index kept on the heap), where a connection keeps its lock until it
 *   closes: hence a connection per operation, and a UI that keeps the history "open" for hours
 *   does not keep other processes out.
 * - Its rollback journal is not safe against a crash: asked whether a reserved lock is held, it
 *   answers whether FILE.lock exists, which it always does for the process asking (it made it), so
 *   SQLite never sees a hot journal and never rolls back what a killed writer left half-written
 *   (tried: the next open found "database disk image is malformed"). In WAL mode an unfinished
 *   transaction is frames without a commit record, which the next open ignores (store.test.ts
 *   kills a writer in the middle of a transaction).
 * Closing the last connection checkpoints the WAL into the database and removes it: between
 * operations the history is one plain file.
 *
 * The lock is node-sqlite3-wasm's own (a directory), not the POSIX locks of the sqlite3 program:
 * the two do not see each other, so other programs should read a copy of the history.
 */
import { rmdirSync } from 'node:fs';
import sqlite from 'node-sqlite3-wasm';
import { PgsurgeError } from '../errors.js';
import { withFileLock } from './file-lock.js';
import { SCHEMA_MIGRATIONS } from './schema.js';

export type Db = InstanceType<typeof sqlite.Database>;
export type Row = Record<string, number | bigint | string | Uint8Array | null>;

/**
 * Runs `fn` on a connection to `file`, holding the history's lock (waiting up to `timeoutMs` for
 * another process's operation); the schema is created or brought up to date first. SQLite's
 * errors come out as one line naming the file.
 */
export function withDatabase<T>(file: string, timeoutMs: number, fn: (db: Db) => T): T {
  return withFileLock(file, timeoutMs, () => {
    // Every pgsurge process takes the history's lock before it opens the database: a SQLite lock
    // found now was left by a process that ended while it held it.
    removeLeftLock(file);
    let db: Db;
    try {
      db = new sqlite.Database(file);
    } catch (e) {
      throw historyError(file, e);
    }
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      const mode = oneRow(db, 'PRAGMA journal_mode = WAL')?.['journal_mode'];
      if (mode !== 'wal') throw new PgsurgeError('HISTORY_UNWRITABLE', `history ${file}: SQLite refused the WAL journal (journal_mode ${String(mode)})`);
      // A commit is not synced by itself: closing checkpoints and syncs it a moment later. A power
      // cut in between can lose that one write, never leave the history inconsistent (WAL's rule).
      db.exec('PRAGMA synchronous = NORMAL');
      migrate(db, file);
      return fn(db);
    } catch (e) {
      throw historyError(file, e);
    } finally {
      try {
        db.close();
      } catch {
        // What was committed is in the WAL, which the next connection reads.
      }
    }
  });
}

type Params = (string | number | null)[];

/** The first row of a query, or null (rows are never "expanded" here: one table's columns by name). */
export const oneRow = (db: Db, sql: string, params: Params = []): Row | null => db.get(sql, params) as Row | null;

export const allRows = (db: Db, sql: string, params: Params = []): Row[] => db.all(sql, params) as Row[];

/** `fn` in one write transaction: all of it or nothing. */
export function inTransaction<T>(db: Db, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}

function removeLeftLock(file: string): void {
  try {
    rmdirSync(`${file}.lock`);
  } catch {
    // None (the usual case).
  }
}

/** Creates the schema in a new history, or migrates an older one; refuses a newer one and a foreign database. */
function migrate(db: Db, file: string): void {
  const version = Number(oneRow(db, 'PRAGMA user_version')?.['user_version'] ?? 0);
  const latest = SCHEMA_MIGRATIONS.length;
  if (version === latest) return;
  if (version > latest) {
    throw new PgsurgeError('HISTORY_TOO_NEW', `history ${file} has schema version ${version}, from a newer pgsurge (this one knows up to ${latest})`);
  }
  if (version === 0) {
    const tables = allRows(db, "SELECT name FROM sqlite_schema WHERE type = 'table'").map((r) => String(r['name']));
    if (tables.length > 0)
      throw new PgsurgeError('HISTORY_NOT_A_HISTORY', `history ${file} is an SQLite database but not a pgsurge history (tables: ${tables.join(', ')})`, {
        exitCode: 2,
      });
  }
  inTransaction(db, () => {
    for (const step of SCHEMA_MIGRATIONS.slice(version)) db.exec(step);
    db.exec(`PRAGMA user_version = ${latest}`);
  });
}

/** One line naming the file for whatever SQLite or the file system said; pgsurge's own errors as they are. */
function historyError(file: string, e: unknown): PgsurgeError {
  if (e instanceof PgsurgeError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/file is not a database/i.test(message))
    return new PgsurgeError('HISTORY_NOT_A_HISTORY', `history ${file} is not an SQLite database (not a pgsurge history)`, { exitCode: 2, cause: e });
  if (/malformed|corrupt/i.test(message)) return new PgsurgeError('HISTORY_DAMAGED', `history ${file} is damaged (${message})`, { cause: e });
  if (/readonly/i.test(message)) return new PgsurgeError('HISTORY_UNWRITABLE', `history ${file} is read-only (${message})`, { cause: e });
  if (/unable to open|could not open/i.test(message)) return new PgsurgeError('HISTORY_UNWRITABLE', `cannot open history ${file} (${message})`, { cause: e });
  return new PgsurgeError('HISTORY_FAILED', `history ${file}: ${message}`, { cause: e });
}
