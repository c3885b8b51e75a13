/**
 * `pgsurge report RESULT.json [--html FILE] [--csv FILE]`: re-render a saved result — the text
 * summary on stdout, exactly as the run printed it, plus the HTML report and the intervals CSV.
 */
import { usageError } from '../errors.js';
import { readResultFile } from '../report/read-result.js';
import { formatSummary } from '../report/summary.js';
import { formatIntervalsCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { printErr, printOut, type CliIO } from './output.js';
import { checkOutputPaths, formatOutputFailure, writeOutputFile, type OutputFailure, type OutputRequest } from './output-paths.js';

export interface RawReportOptions {
  readonly html?: string;
  readonly csv?: string;
  readonly perStatement?: boolean;
}

/** Write an output file; a failure is a usage error "--html FILE: not written: WHY". */
export function writeOut(file: string, text: string, what: string): void {
  const failed = writeOutputFile({ option: optionOf(what), path: file }, () => text);
  if (failed !== undefined) throw usageError('OUTPUT_UNWRITABLE', `cannot write ${what}: ${formatOutputFailure(failed)}`);
}

const optionOf = (what: string): string => (/html/i.test(what) ? '--html' : /csv/i.test(what) ? '--csv' : '--json');

export function reportCommand(file: string, opts: RawReportOptions, io: CliIO): number {
  // Both outputs checked before anything is written; a write that still fails does not stop the other.
  const outputs: OutputRequest[] = [
    ...(opts.html === undefined ? [] : [{ option: '--html', path: opts.html, kind: 'file' as const }]),
    ...(opts.csv === undefined ? [] : [{ option: '--csv', path: opts.csv, kind: 'file' as const }]),
  ];
  checkOutputPaths(outputs, [{ path: file, given: 'the result read' }]);
  const result = readResultFile(file);
  printOut(io, formatSummary(result, { perStatement: opts.perStatement === true }));
  const failures: OutputFailure[] = [];
  if (opts.html !== undefined) {
    const f = writeOutputFile({ option: '--html', path: opts.html }, () => renderHtml(result));
    if (f === undefined) printErr(io, `pgsurge: wrote ${opts.html}`);
    else failures.push(f);
  }
  if (opts.csv !== undefined) {
    const f = writeOutputFile({ option: '--csv', path: opts.csv }, () => formatIntervalsCsv(result));
    if (f !== undefined) failures.push(f);
  }
  if (failures.length > 0) {
    const [first, ...rest] = failures.map(formatOutputFailure);
    throw usageError('OUTPUT_UNWRITABLE', first!, rest);
  }
  return 0;
}
