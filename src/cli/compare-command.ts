/**
 * `pgsurge compare A.json B.json [C.json ...] [--html FILE] [--fail-on-regression 5%]`: the first
 * result is the baseline. A directory argument stands for every result file in it, oldest first
 * (by startedAt). Exit 99 when --fail-on-regression is given and a later run has lower tps or
 * higher p99 than the baseline beyond noise by more than that percentage.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { usageError } from '../errors.js';
import { compareResults, type LabelledResult } from '../report/compare.js';
import { formatComparison } from '../report/compare-format.js';
import { renderCompareHtml } from '../report/compare-html.js';
import { RESULT_SCHEMA_ID } from '../report/result.js';
import { readResultFile, writeOut } from './report-command.js';
import { printErr, printOut, type CliIO } from './output.js';

export interface RawCompareOptions {
  readonly html?: string;
  readonly failOnRegression?: string;
}

/** "5%", "5", "2.5%" → percent. */
function parseRegressionPct(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (m === null) throw usageError('BAD_OPTION', `--fail-on-regression: expected a percentage like 5% or 2.5, got "${text}"`);
  return Number(m[1]);
}

/** A JSON file in a directory that is not a result at all (a config, a package.json) is skipped. */
function looksLikeResult(file: string): boolean {
  try {
    const json: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof json === 'object' && json !== null && (json as Record<string, unknown>)['schema'] === RESULT_SCHEMA_ID;
  } catch {
    return true; // unreadable or broken: let readResultFile name the problem
  }
}

function expand(arg: string): string[] {
  let isDir = false;
  try {
    isDir = statSync(arg).isDirectory();
  } catch {
    return [arg]; // readResultFile reports it
  }
  if (!isDir) return [arg];
  const files = readdirSync(arg)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(arg, f))
    .filter(looksLikeResult);
  if (files.length === 0) throw usageError('NO_RESULTS', `${arg} holds no result files (*.json with schema ${RESULT_SCHEMA_ID})`);
  return files;
}

/** Labels from file names, made unique ("run", "run#2"). */
function label(file: string, used: Map<string, number>): string {
  const base = basename(file).replace(/\.json$/i, '');
  const n = (used.get(base) ?? 0) + 1;
  used.set(base, n);
  return n === 1 ? base : `${base}#${n}`;
}

function loadResults(args: readonly string[]): LabelledResult[] {
  const used = new Map<string, number>();
  const out: LabelledResult[] = [];
  for (const arg of args) {
    const loaded = expand(arg).map((file) => ({ file, result: readResultFile(file) }));
    // Within a directory: oldest first, so the first run is the baseline.
    if (loaded.length > 1) loaded.sort((a, b) => a.result.startedAt.localeCompare(b.result.startedAt));
    for (const l of loaded) out.push({ label: label(l.file, used), result: l.result });
  }
  return out;
}

export function compareCommand(args: readonly string[], opts: RawCompareOptions, io: CliIO): number {
  const pct = opts.failOnRegression === undefined ? undefined : parseRegressionPct(opts.failOnRegression);
  const results = loadResults(args);
  if (results.length < 2) throw usageError('TOO_FEW_RESULTS', `compare needs at least two results, got ${results.length}`);
  const c = compareResults(results, { regressionPct: pct ?? 0 });
  printOut(io, formatComparison(c));
  if (opts.html !== undefined) {
    writeOut(opts.html, renderCompareHtml(c), 'HTML comparison');
    printErr(io, `pgsurge: wrote ${opts.html}`);
  }
  if (!c.comparable) printErr(io, 'pgsurge: warning: the runs are not comparable (see "not comparable" above)');
  return pct !== undefined && c.regressions.length > 0 ? 99 : 0;
}
