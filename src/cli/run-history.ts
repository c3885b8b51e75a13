/**
 * A run's record in the run history (src/history): with --history [FILE], and with --out in the
 * default history unless --no-history. The history is checked before the load starts, like every
 * output, and written after the result files: a history that cannot be written costs one warning
 * line naming it, never the result (its files are written first) and never the exit code.
 *
 * SQLite is loaded only to record: the checks before the load read the file's first bytes.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RunConfig } from '../config/run-config.js';
import { usageError } from '../errors.js';
import { defaultHistoryPath, historyFileProblem } from '../history/paths.js';
import type { ResultV1 } from '../report/result.js';
import { runInputFiles, runOutputRequests } from './artifacts.js';
import { outputPathProblem } from './output-paths.js';
import { printErr, type CliIO } from './output.js';

export interface RunHistory {
  readonly file: string;
  /** Asked for with --history: a problem before the run is a usage error. Else --out's default history: a warning. */
  readonly asked: boolean;
}

/** Where this run is recorded, if anywhere. */
export function runHistoryOf(cfg: Pick<RunConfig, 'history' | 'out'>, env: NodeJS.ProcessEnv): RunHistory | undefined {
  if (cfg.history === false) return undefined;
  if (typeof cfg.history === 'string') return { file: cfg.history, asked: true };
  if (cfg.history === true) return { file: defaultHistoryPath(env), asked: true };
  return cfg.out === undefined ? undefined : { file: defaultHistoryPath(env), asked: false };
}

/** Why the history at `file` cannot be written, as far as can be told without opening it. */
export function historyPathProblem(file: string): string | undefined {
  const abs = resolve(file);
  if (existsSync(abs)) return historyFileProblem(abs) ?? outputPathProblem({ option: '--history', path: abs, kind: 'file' });
  // Missing: it and its directories are created when the run is recorded.
  return outputPathProblem({ option: '--history', path: dirname(abs), kind: 'dir' });
}

/**
 * The run's history, checked before anything starts: a problem with one asked for is a usage
 * error (exit 2) naming --history; with the default history of --out, a warning, and the run is
 * not recorded.
 */
export function checkRunHistory(cfg: RunConfig, io: CliIO): RunHistory | undefined {
  const history = runHistoryOf(cfg, io.env);
  if (history === undefined) return undefined;
  const abs = resolve(history.file);
  const output = runOutputRequests(cfg).find((r) => resolve(r.path) === abs);
  const input = runInputFiles(cfg).find((i) => resolve(i.path) === abs);
  const why =
    output !== undefined
      ? `the same file as ${output.option}; give each output its own`
      : input !== undefined
        ? `that is an input of the run (${input.given}); writing there would destroy it`
        : historyPathProblem(history.file);
  if (why === undefined) return history;
  if (history.asked) throw usageError('OUTPUT_PATH', `--history ${history.file}: ${why}`);
  printErr(io, `pgsurge: warning: the default history ${history.file}: ${why}; this run will not be recorded (--no-history: do not record)`);
  return undefined;
}

/** Where a run's result file is: --out's result.json, else --json's file. */
export const resultFileOf = (json: string | undefined, outDir: string | undefined): string | undefined =>
  outDir === undefined ? json : join(outDir, 'result.json');

export interface RunRecord {
  readonly result: ResultV1;
  /** Its result file, if one was written. */
  readonly file?: string | undefined;
}

/** Records the runs (after their files are written); any failure is one warning line. */
export async function recordInHistory(history: RunHistory | undefined, runs: readonly RunRecord[], io: CliIO): Promise<void> {
  if (history === undefined || runs.length === 0) return;
  try {
    const { withHistory } = await import('../history/store.js');
    const ids = withHistory(history.file, (store) =>
      runs.map((r) => store.record(r.result, { source: 'cli', ...(r.file === undefined || !existsSync(r.file) ? {} : { file: r.file }) })),
    );
    const db = resolve(history.file) === resolve(defaultHistoryPath(io.env)) ? '' : ` --db ${history.file}`;
    printErr(io, `pgsurge: recorded in the history ${history.file} as ${ids.join(', ')} (pgsurge history show ${ids[0]!}${db})`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // The history's own errors name the file; anything else gets it here.
    printErr(io, `pgsurge: warning: the run was not recorded: ${message.includes(resolve(history.file)) ? message : `history ${history.file}: ${message}`}`);
  }
}
