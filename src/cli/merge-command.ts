/**
 * `pgsurge merge PART.json ... [--json OUT] [--html F] [--csv F] [--threshold EXPR] [--partial]`:
 * the parts of a sharded run as one result (src/distributed/merge.ts), its summary on stdout, the
 * verdict on the whole run and run's exit codes: 0 passed, 1 incomplete (a part interrupted, lost
 * a worker, or missing with --partial), 99 a threshold failed.
 */
import { parseThreshold, type Threshold } from '../metrics/thresholds.js';
import { mergeResults } from '../distributed/merge.js';
import { formatSummary } from '../report/summary.js';
import { formatIntervalsCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { usageError, PgsurgeError } from '../errors.js';
import { readResultFile } from '../report/read-result.js';
import { resultExitCode } from './exit-code.js';
import { printErr, printOut, type CliIO } from './output.js';
import { checkOutputPaths, formatOutputFailure, writeOutputFile, type OutputFailure, type OutputRequest } from './output-paths.js';

export interface RawMergeOptions {
  readonly json?: string;
  readonly html?: string;
  readonly csv?: string;
  readonly threshold?: readonly string[];
  readonly partial?: boolean;
  readonly reportPerCommand?: boolean;
}

export function mergeCommand(files: readonly string[], opts: RawMergeOptions, io: CliIO): number {
  if (files.length === 0) throw usageError('BAD_USAGE', 'merge: give the result files of the parts (run --shard K/N --json FILE)');
  const thresholds: Threshold[] = [];
  const problems: string[] = [];
  for (const t of opts.threshold ?? []) {
    try {
      thresholds.push(parseThreshold(t));
    } catch (e) {
      if (!(e instanceof PgsurgeError)) throw e;
      problems.push(e.message);
    }
  }
  if (problems.length > 0) throw usageError('BAD_OPTIONS', problems[0]!, problems.slice(1));
  const outputs: OutputRequest[] = [
    ...(opts.json === undefined ? [] : [{ option: '--json', path: opts.json, kind: 'file' as const }]),
    ...(opts.html === undefined ? [] : [{ option: '--html', path: opts.html, kind: 'file' as const }]),
    ...(opts.csv === undefined ? [] : [{ option: '--csv', path: opts.csv, kind: 'file' as const }]),
  ];
  checkOutputPaths(
    outputs,
    files.map((f) => ({ path: f, given: 'a part read' })),
  );
  const result = mergeResults(
    files.map((file) => ({ file, result: readResultFile(file) })),
    { thresholds, allowPartial: opts.partial === true },
  );
  const failures: OutputFailure[] = [];
  const write = (option: string, path: string | undefined, text: () => string): void => {
    if (path === undefined) return;
    const f = writeOutputFile({ option, path }, text);
    if (f === undefined) printErr(io, `pgsurge: wrote ${path}`);
    else failures.push(f);
  };
  // The files first: they are what a full disk or a closed terminal must not cost.
  write('--json', opts.json, () => `${JSON.stringify(result, null, 2)}\n`);
  write('--html', opts.html, () => renderHtml(result));
  write('--csv', opts.csv, () => formatIntervalsCsv(result));
  const m = result.merged!;
  printErr(
    io,
    `pgsurge: merged ${m.parts.length} of ${m.n} parts of run ${m.runId}${m.missing.length > 0 ? ` (missing: ${m.missing.map((k) => `${k}/${m.n}`).join(', ')})` : ''}`,
  );
  printOut(io, formatSummary(result, { perStatement: opts.reportPerCommand === true }));
  for (const f of failures) printErr(io, `pgsurge: ${formatOutputFailure(f)}`);
  // As run's rule: incomplete 1, a failed threshold 99; a missed rate alone keeps 0.
  return failures.length > 0 ? 1 : resultExitCode(result);
}
