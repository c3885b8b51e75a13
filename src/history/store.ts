/**
 * The run history: every run's result in a local SQLite database, with a few columns taken from it
 * to list and filter runs. The result is kept as its JSON (schema pgsurge.result/v1, as a file
 * holds it) and read back through the same schema check as a file: the history is an index over
 * results, not a second format. The CLI (`run --history`, `pgsurge history`) and the web UI use it
 * through this interface.
 *
 * Several processes may use one history at once (two runs ending together, a run while the UI has
 * it open): every operation is one short transaction under a lock, and a process killed in the
 * middle of one leaves the history as it was before it (database.ts, file-lock.ts).
 */
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { PgsurgeError, usageError } from '../errors.js';
import type { ResultV1 } from '../report/result.js';
import { parseJsonText, resultFromJson } from '../report/read-result.js';
import { allRows, inTransaction, oneRow, withDatabase, type Db, type Row } from './database.js';
import { columnsOf, ID_LENGTH, resultKey, statusOf, type ResultColumns } from './entry.js';
import { ownerState, ownerText, parseOwner, THIS_PROCESS } from './owner.js';
import { historyFileProblem } from './paths.js';

export { defaultHistoryPath } from './paths.js';

export type HistoryStatus = 'running' | 'finished' | 'interrupted';
export type HistorySource = 'cli' | 'ui' | 'api' | 'import';

/** Every field given must match; entries come newest first. */
export interface HistoryFilter {
  /** The whole workload ("tpcb-like, select-only") or one of its transaction types ("select-only"). */
  workload?: string;
  /** A part of the target ("10.0.0.5", ":5433", "/app"). */
  target?: string;
  /** Each of these tags, with this value. */
  tags?: Record<string, string>;
  /** Started at or after. */
  since?: Date;
  /** Started before. */
  until?: Date;
  status?: HistoryStatus;
  limit?: number;
}

export interface HistoryEntry {
  id: string;
  /** The result's startedAt (start of the measured phase); for a run with no result yet, when it began. */
  startedAt: string;
  status: HistoryStatus;
  source: HistorySource;
  /** The transaction types joined with ", " ("monitor" for a monitor result). */
  workload: string;
  /** The hosts joined with ",", then "/database". */
  target: string;
  tags: Record<string, string>;
  tps: number | null;
  p99Ms: number | null;
  failed: number;
  /** The verdict (null: none yet, or a result from before verdicts). */
  passed: boolean | null;
  /** Where an imported or --out result came from (absolute). */
  file?: string;
}

export interface HistoryStore {
  /** A finished (or interrupted) result; returns its id (a stable id: the same result imported twice is one entry). */
  record(result: ResultV1, meta: { source: HistorySource; status?: HistoryStatus; file?: string }): string;
  /** A run starting now (status running), with what is known before it has a result. */
  begin(meta: { id?: string; source: HistorySource; startedAt: Date; workload: string; target: string; tags: Record<string, string> }): string;
  /** Replace a running entry's partial result (what it measured so far) or finish it. */
  update(id: string, result: ResultV1, status: HistoryStatus): void;
  /** Entries still 'running' that no live process owns become 'interrupted' (a restarted UI calls this at start). */
  markUnfinishedInterrupted(): number;
  list(filter?: HistoryFilter): HistoryEntry[];
  get(id: string): { entry: HistoryEntry; result: ResultV1 | null } | undefined;
  delete(id: string): boolean;
  close(): void;
}

export interface HistoryOptions {
  /** How long an operation waits for another process's to end (default 20 s; each takes milliseconds). */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 20_000;
/** Ids given to begin(): URL-safe, and short enough to type. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const ENTRY_COLUMNS = 'id, started_at, status, source, workload, target, tags, tps, p99_ms, failed, passed, file';

/**
 * Opens (creating the file and its directory) the history at `file`. A file that is not a
 * history, is damaged, or comes from a newer pgsurge is refused here, in one line naming it.
 */
export function openHistory(file: string, options: HistoryOptions = {}): HistoryStore {
  const path = resolve(file);
  const problem = historyFileProblem(path);
  if (problem !== undefined) throw new PgsurgeError('HISTORY_NOT_A_HISTORY', `history ${path} ${problem}`, { exitCode: 2 });
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (e) {
    throw new PgsurgeError('HISTORY_UNWRITABLE', `cannot create the directory of history ${path} (${(e as { code?: string }).code ?? String(e)})`);
  }
  const store = new SqliteHistory(path, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
  store.list({ limit: 1 }); // creates or migrates the schema; a foreign or damaged file fails now
  return store;
}

/** `fn` with the history at `file` open; closed afterwards, whatever happens. */
export function withHistory<T>(file: string, fn: (store: HistoryStore) => T): T {
  const store = openHistory(file);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** A result as stored: its JSON text, the value it parses to (for the key) and the checked result. */
function prepared(result: ResultV1): { text: string; key: string; columns: ResultColumns; checked: ResultV1 } {
  const text = JSON.stringify(result);
  const json: unknown = JSON.parse(text);
  const checked = resultFromJson(json, 'the result to record');
  return { text, key: resultKey(json), columns: columnsOf(checked), checked };
}

class SqliteHistory implements HistoryStore {
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly busyTimeoutMs: number,
  ) {}

  record(result: ResultV1, meta: { source: HistorySource; status?: HistoryStatus; file?: string }): string {
    const r = prepared(result);
    const status = meta.status ?? statusOf(r.checked);
    const file = meta.file === undefined ? null : resolve(meta.file);
    return this.write((db) => {
      const had = oneRow(db, 'SELECT id, file FROM runs WHERE result_key = ?', [r.key]);
      if (had !== null) {
        if (file !== null && had['file'] === null) db.run('UPDATE runs SET file = ? WHERE id = ?', [file, String(had['id'])]);
        return String(had['id']);
      }
      const id = freeId(db, r.key);
      db.run(
        `INSERT INTO runs (id, result_key, status, source, ${RESULT_COLUMNS}, file, owner, recorded_ms, result)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
        [id, r.key, status, meta.source, ...columnValues(r.columns), file, Date.now(), r.text],
      );
      writeTags(db, id, r.columns.tags);
      return id;
    });
  }

  begin(meta: { id?: string; source: HistorySource; startedAt: Date; workload: string; target: string; tags: Record<string, string> }): string {
    const id = meta.id ?? randomBytes(ID_LENGTH / 2).toString('hex');
    if (!ID_PATTERN.test(id)) throw usageError('HISTORY_BAD_ID', `history: a run id is 1 to 64 letters, digits, _ and -, not "${id}"`);
    const startedMs = meta.startedAt.getTime();
    if (!Number.isFinite(startedMs)) throw usageError('HISTORY_BAD_DATE', `history: run ${id} has no valid start time`);
    return this.write((db) => {
      if (oneRow(db, 'SELECT 1 FROM runs WHERE id = ?', [id]) !== null)
        throw usageError('HISTORY_DUPLICATE_ID', `history ${this.file} already has a run ${id}`);
      const known: ResultColumns = { ...meta, startedAt: meta.startedAt.toISOString(), startedMs, tps: null, p99Ms: null, failed: 0, passed: null };
      db.run(
        `INSERT INTO runs (id, result_key, status, source, ${RESULT_COLUMNS}, file, owner, recorded_ms, result)
         VALUES (?, NULL, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL)`,
        [id, meta.source, ...columnValues(known), ownerText(THIS_PROCESS), Date.now()],
      );
      writeTags(db, id, meta.tags);
      return id;
    });
  }

  update(id: string, result: ResultV1, status: HistoryStatus): void {
    const r = prepared(result);
    this.write((db) => {
      const row = oneRow(db, 'SELECT status, tags FROM runs WHERE id = ?', [id]);
      if (row === null) throw noRun(id, this.file);
      if (row['status'] === 'finished') throw new PgsurgeError('HISTORY_FINISHED', `history ${this.file}: run ${id} has finished; its result is final`);
      // What begin() knew and the result does not say (a UI's labels) is kept.
      const tags = { ...(JSON.parse(String(row['tags'])) as Record<string, string>), ...r.columns.tags };
      // The content key marks a final result; a key another entry has (the same result recorded apart) stays there.
      const key = status === 'running' || oneRow(db, 'SELECT 1 FROM runs WHERE result_key = ?', [r.key]) !== null ? null : r.key;
      db.run(
        `UPDATE runs SET (${RESULT_COLUMNS}) = (?, ?, ?, ?, ?, ?, ?, ?, ?), result_key = ?, status = ?,
           owner = CASE WHEN ? = 'running' THEN owner ELSE NULL END, result = ? WHERE id = ?`,
        [...columnValues({ ...r.columns, tags }), key, status, status, r.text, id],
      );
      writeTags(db, id, tags);
    });
  }

  markUnfinishedInterrupted(): number {
    return this.write((db) => {
      let n = 0;
      for (const row of allRows(db, "SELECT id, owner FROM runs WHERE status = 'running'")) {
        const owner = parseOwner(row['owner'] === null ? null : String(row['owner']));
        // A run on another host may still be going: only a process known to have ended gives up its runs.
        if (owner !== undefined && ownerState(owner) !== 'gone') continue;
        db.run("UPDATE runs SET status = 'interrupted', owner = NULL WHERE id = ?", [String(row['id'])]);
        n++;
      }
      return n;
    });
  }

  list(filter: HistoryFilter = {}): HistoryEntry[] {
    const { where, params } = whereOf(filter);
    const limit = filter.limit === undefined ? '' : ` LIMIT ${limitOf(filter.limit)}`;
    const sql = `SELECT ${ENTRY_COLUMNS} FROM runs${where} ORDER BY started_ms DESC, recorded_ms DESC, id${limit}`;
    return this.read((db) => allRows(db, sql, params).map(entryOf));
  }

  get(id: string): { entry: HistoryEntry; result: ResultV1 | null } | undefined {
    const row = this.read((db) => oneRow(db, `SELECT ${ENTRY_COLUMNS}, result FROM runs WHERE id = ?`, [id]));
    if (row === null) return undefined;
    const text = row['result'];
    const source = `history ${this.file}, run ${id},`;
    return { entry: entryOf(row), result: text === null ? null : resultFromJson(parseJsonText(String(text), source), source) };
  }

  delete(id: string): boolean {
    return this.write((db) => {
      db.run('DELETE FROM run_tags WHERE run_id = ?', [id]);
      return db.run('DELETE FROM runs WHERE id = ?', [id]).changes > 0;
    });
  }

  close(): void {
    this.closed = true;
  }

  private read<T>(fn: (db: Db) => T): T {
    if (this.closed) throw new PgsurgeError('INTERNAL', `history ${this.file} is closed`);
    return withDatabase(this.file, this.busyTimeoutMs, fn);
  }

  private write<T>(fn: (db: Db) => T): T {
    return this.read((db) => inTransaction(db, () => fn(db)));
  }
}

/** The columns taken from a result (entry.ts), in the order of columnValues. */
const RESULT_COLUMNS = 'started_at, started_ms, workload, target, tags, tps, p99_ms, failed, passed';

/** A result's columns as SQL values, in the order of RESULT_COLUMNS (tags as JSON, the verdict as 0/1). */
function columnValues(c: ResultColumns): [string, number, string, string, string, number | null, number | null, number, number | null] {
  return [c.startedAt, c.startedMs, c.workload, c.target, JSON.stringify(c.tags), c.tps, c.p99Ms, c.failed, c.passed === null ? null : c.passed ? 1 : 0];
}

/** The shortest prefix of the key (from ID_LENGTH on) that no entry has as its id. */
function freeId(db: Db, key: string): string {
  for (let n = ID_LENGTH; n < key.length; n += 4) {
    const id = key.slice(0, n);
    if (oneRow(db, 'SELECT 1 FROM runs WHERE id = ?', [id]) === null) return id;
  }
  return key;
}

function writeTags(db: Db, id: string, tags: Readonly<Record<string, string>>): void {
  db.run('DELETE FROM run_tags WHERE run_id = ?', [id]);
  for (const [key, value] of Object.entries(tags)) db.run('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)', [id, key, value]);
}

const noRun = (id: string, file: string): PgsurgeError => new PgsurgeError('HISTORY_NO_RUN', `no run ${id} in the history ${file}`);

function limitOf(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw usageError('HISTORY_BAD_FILTER', `history: the limit must be a whole number of at least 1, not ${limit}`);
  return limit;
}

function msOf(d: Date, name: string): number {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw usageError('HISTORY_BAD_FILTER', `history: ${name} is not a valid date`);
  return ms;
}

function whereOf(filter: HistoryFilter): { where: string; params: (string | number)[] } {
  const terms: string[] = [];
  const params: (string | number)[] = [];
  if (filter.workload !== undefined) {
    terms.push("(workload = ? OR instr(', ' || workload || ', ', ', ' || ? || ', ') > 0)");
    params.push(filter.workload, filter.workload);
  }
  if (filter.target !== undefined) {
    terms.push('instr(target, ?) > 0');
    params.push(filter.target);
  }
  for (const [key, value] of Object.entries(filter.tags ?? {})) {
    terms.push('EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.key = ? AND t.value = ?)');
    params.push(key, value);
  }
  if (filter.since !== undefined) {
    terms.push('started_ms >= ?');
    params.push(msOf(filter.since, 'since'));
  }
  if (filter.until !== undefined) {
    terms.push('started_ms < ?');
    params.push(msOf(filter.until, 'until'));
  }
  if (filter.status !== undefined) {
    terms.push('status = ?');
    params.push(filter.status);
  }
  return { where: terms.length === 0 ? '' : ` WHERE ${terms.join(' AND ')}`, params };
}

function entryOf(row: Row): HistoryEntry {
  const num = (v: Row[string] | undefined): number | null => (v === null || v === undefined ? null : Number(v));
  const file = row['file'];
  return {
    id: String(row['id']),
    startedAt: String(row['started_at']),
    status: String(row['status']) as HistoryStatus,
    source: String(row['source']) as HistorySource,
    workload: String(row['workload']),
    target: String(row['target']),
    tags: JSON.parse(String(row['tags'])) as Record<string, string>,
    tps: num(row['tps']),
    p99Ms: num(row['p99_ms']),
    failed: Number(row['failed']),
    passed: row['passed'] === null || row['passed'] === undefined ? null : Number(row['passed']) === 1,
    ...(file === null || file === undefined ? {} : { file: String(file) }),
  };
}
