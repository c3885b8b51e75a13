/**
 * `pgsurge report RESULT.json [--html FILE] [--csv FILE]`: re-render a saved result — the text
 * summary on stdout, exactly as the run printed it, plus the HTML report and the intervals CSV.
 */
import { writeFileSync } from 'node:fs';
import { usageError } from '../errors.js';
import { readUserFile } from '../config/user-file.js';
import { resultV1Schema, type ResultV1 } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import { formatIntervalsCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { printErr, printOut, type CliIO } from './output.js';

export interface RawReportOptions {
  readonly html?: string;
  readonly csv?: string;
  readonly perStatement?: boolean;
}

/**
 * Reads and validates a result file. Any problem is a usage error (exit 2) in one line that names
 * the file and the first problem.
 */
export function readResultFile(file: string): ResultV1 {
  const text = readUserFile(file, 'RESULT_UNREADABLE', 'result', { EISDIR: 'is a directory' });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw usageError('RESULT_INVALID', `${file} is not valid JSON: ${(e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ')}`);
  }
  const parsed = resultV1Schema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first === undefined || first.path.length === 0 ? '' : `${first.path.join('.')}: `;
    throw usageError('RESULT_INVALID', `${file} is not a pgsurge.result/v1 result: ${where}${first?.message ?? 'invalid'}`);
  }
  // Every section is in the schema (older files lack the optional ones); unknown keys are dropped.
  return parsed.data;
}

/** Write an output file; a failure is a usage error "cannot write WHAT FILE: CODE". */
export function writeOut(file: string, text: string, what: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw usageError('OUTPUT_UNWRITABLE', `cannot write ${what} ${file}: ${code ?? String(e)}`);
  }
}

export function reportCommand(file: string, opts: RawReportOptions, io: CliIO): number {
  const result = readResultFile(file);
  printOut(io, formatSummary(result, { perStatement: opts.perStatement === true }));
  if (opts.html !== undefined) {
    writeOut(opts.html, renderHtml(result), 'HTML report');
    printErr(io, `pgsurge: wrote ${opts.html}`);
  }
  if (opts.csv !== undefined) writeOut(opts.csv, formatIntervalsCsv(result), 'CSV');
  return 0;
}
