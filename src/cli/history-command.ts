/**
 * `pgsurge history`: the runs recorded in the run history (src/history), by `run --history`, by
 * `run --out`, by the UI, or imported from result files.
 *
 *   pgsurge history [list] [--workload W] [--target T] [--tag K=V]... [--since D] [--until D] [--status S] [--limit N] [--json]
 *   pgsurge history show ID [--json]        the run's summary as `pgsurge report` prints it, or its result JSON
 *   pgsurge history import DIR|FILE...      every result file found (directories recursively)
 *   pgsurge history delete ID...
 *
 * Each takes --db FILE (default: defaultHistoryPath). Exit codes: 0; 1 a run id that is not in the
 * history, or a history that cannot be used; 2 bad usage (an option's value, a path that does not
 * exist, a file that is not a history).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PgsurgeError, usageError } from '../errors.js';
import { parseTag, formatTags, tagRecord } from '../config/tags.js';
import { defaultHistoryPath, withHistory, type HistoryFilter, type HistoryStatus, type HistoryStore } from '../history/store.js';
import { formatHistoryTable } from '../history/format.js';
import { importResults } from '../history/import.js';
import { formatSummary } from '../report/summary.js';
import { printErr, printOut, type CliIO } from './output.js';

export interface HistoryDbOption {
  readonly db?: string;
}

export interface HistoryListOptions extends HistoryDbOption {
  readonly workload?: string;
  readonly target?: string;
  readonly tag?: readonly string[];
  readonly since?: string;
  readonly until?: string;
  readonly status?: string;
  readonly limit?: string;
  readonly json?: boolean;
}

export interface HistoryShowOptions extends HistoryDbOption {
  readonly json?: boolean;
  readonly perStatement?: boolean;
}

const STATUSES: readonly HistoryStatus[] = ['running', 'finished', 'interrupted'];

const dbOf = (opts: HistoryDbOption, io: CliIO): string => opts.db ?? defaultHistoryPath(io.env);

/** "2026-05-01", "2026-05-01T14:00", "2026-05-01T14:00:00+02:00" → a Date (a date alone is midnight UTC). */
function parseDate(text: string, option: string): Date {
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(ms)) throw usageError('BAD_OPTION', `${option}: expected an ISO 8601 date like 2026-05-01 or 2026-05-01T14:00:00Z, got "${text}"`);
  return new Date(ms);
}

function filterOf(opts: HistoryListOptions): HistoryFilter {
  const filter: HistoryFilter = {};
  if (opts.workload !== undefined) filter.workload = opts.workload;
  if (opts.target !== undefined) filter.target = opts.target;
  if (opts.tag !== undefined && opts.tag.length > 0)
    filter.tags = tagRecord(
      opts.tag.map((t) => parseTag(t, '--tag')),
      '--tag',
    );
  if (opts.since !== undefined) filter.since = parseDate(opts.since, '--since');
  if (opts.until !== undefined) filter.until = parseDate(opts.until, '--until');
  if (opts.status !== undefined) {
    const status = STATUSES.find((s) => s === opts.status);
    if (status === undefined) throw usageError('BAD_OPTION', `--status: expected ${STATUSES.join(', ')}, got "${opts.status}"`);
    filter.status = status;
  }
  if (opts.limit !== undefined) {
    if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1)
      throw usageError('BAD_OPTION', `--limit: expected a whole number of at least 1, got "${opts.limit}"`);
    filter.limit = Number(opts.limit);
  }
  return filter;
}

/** The history at `file` when it exists; list, show and delete do not create one. */
function withExisting<T>(file: string, fn: (store: HistoryStore | undefined) => T): T {
  return existsSync(file) ? withHistory(file, fn) : fn(undefined);
}

const noRun = (ids: readonly string[], file: string): PgsurgeError =>
  new PgsurgeError('HISTORY_NO_RUN', `no run ${ids.join(', ')} in the history ${resolve(file)}`);

export function historyList(opts: HistoryListOptions, io: CliIO): number {
  const filter = filterOf(opts);
  const file = dbOf(opts, io);
  const entries = withExisting(file, (store) => store?.list(filter) ?? []);
  if (opts.json === true) printOut(io, JSON.stringify(entries, null, 2));
  else if (entries.length === 0) printErr(io, `pgsurge: no runs${Object.keys(filter).length > 0 ? ' match' : ''} in the history ${resolve(file)}`);
  else printOut(io, formatHistoryTable(entries));
  return 0;
}

export function historyShow(id: string, opts: HistoryShowOptions, io: CliIO): number {
  const file = dbOf(opts, io);
  const got = withExisting(file, (store) => store?.get(id));
  if (got === undefined) throw noRun([id], file);
  const { entry, result } = got;
  if (opts.json === true) {
    if (result === null) throw new PgsurgeError('HISTORY_NO_RESULT', `run ${id} has no result yet (${entry.status})`);
    printOut(io, JSON.stringify(result, null, 2));
    return 0;
  }
  const tags = formatTags(entry.tags);
  printErr(
    io,
    `pgsurge: run ${id}: ${entry.status}, recorded by ${entry.source}${tags === '' ? '' : `, tags ${tags}`}${entry.file === undefined ? '' : `, from ${entry.file}`}`,
  );
  if (result === null) printOut(io, `run ${id} (${entry.workload} against ${entry.target}) has no result yet: ${entry.status}`);
  else printOut(io, formatSummary(result, { perStatement: opts.perStatement === true }));
  return 0;
}

export function historyImport(paths: readonly string[], opts: HistoryDbOption, io: CliIO): number {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw usageError('NO_SUCH_FILE', `history import: ${missing.join(', ')}: no such file or directory`);
  const file = dbOf(opts, io);
  const outcome = withHistory(file, (store) => importResults(store, paths, (f, why) => printErr(io, `pgsurge: skipped ${f}: ${why}`)));
  const n = outcome.added.length;
  const had = outcome.known.length;
  printOut(
    io,
    `imported ${n} result${n === 1 ? '' : 's'} into ${resolve(file)}${had > 0 ? `; ${had} ${had === 1 ? 'was' : 'were'} there already` : ''}${outcome.skipped > 0 ? `; ${outcome.skipped} skipped` : ''}`,
  );
  return 0;
}

export function historyDelete(given: readonly string[], opts: HistoryDbOption, io: CliIO): number {
  const ids = [...new Set(given)];
  const file = dbOf(opts, io);
  const missing = withExisting(file, (store) => ids.filter((id) => store?.delete(id) !== true));
  const n = ids.length - missing.length;
  if (n > 0) printOut(io, `deleted ${n} run${n === 1 ? '' : 's'} from ${resolve(file)}`);
  if (missing.length > 0) throw noRun(missing, file);
  return 0;
}
