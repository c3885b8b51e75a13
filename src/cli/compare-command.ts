/**
 * `pgsurge compare`: sets of runs side by side.
 *
 *   pgsurge compare A1.json A2.json A3.json --vs B1.json B2.json B3.json   two sides of 3 runs
 *   pgsurge compare base/ --vs new/                                       a directory: every run in it
 *   pgsurge compare base.json new.json                                    `run --repeat N --json base.json`
 *                                                                        wrote base.1.json … base.N.json
 *   pgsurge compare old.json new.json [more.json …]                       each argument one side
 *
 * With --vs, the arguments before it are the baseline's runs and those after it the other side's.
 * Without it, each argument is one side (a file: one run; a directory, or a file name that
 * `--repeat` numbered: its runs) and the first is the baseline. A directory holds result files
 * (*.json with the result schema; other JSON is skipped) and `--out` directories (*\/result.json).
 *
 * Exit codes: 0, or with --fail-on-regression: 99 when a side has lower tps or higher p99 than the
 * baseline beyond run-to-run noise by more than that percentage, and 3 when no regression was
 * found but some side could not be judged (one run on it or on the baseline): a gate with no basis
 * must not pass silently, and must not claim a regression either, so it has its own code. With
 * --expect-improvement the same codes the other way round: 99 when a judged side is not better by
 * the goal beyond noise, 3 when a side cannot be judged (compare-improvement.ts); 99 outranks 3.
 * 2: bad usage or input (files, options, runs of different workloads within a side or under a gate).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { usageError } from '../errors.js';
import { compareSides, type CompareSide, type Comparison, type LabelledResult } from '../report/compare.js';
import { differsInWorkload, workloadWords } from '../report/compare-config.js';
import { formatComparison, formatImprovements, improvementText, undecidedText } from '../report/compare-format.js';
import { checkImprovements, parseImprovementGoal, type ImprovementCheck } from '../report/compare-improvement.js';
import { renderCompareHtml } from '../report/compare-html.js';
import { RESULT_SCHEMA_ID } from '../report/result.js';
import { readResultFile } from '../report/read-result.js';
import { writeOut } from './report-command.js';
import { checkOutputPaths } from './output-paths.js';
import { printErr, printOut, type CliIO } from './output.js';
import { numberedSiblings } from './repeat-paths.js';

export interface RawCompareOptions {
  readonly vs?: readonly string[];
  readonly html?: string;
  readonly failOnRegression?: string;
  readonly alpha?: string;
  /** --expect-improvement [METRIC:]PCT, repeatable. */
  readonly expectImprovement?: readonly string[];
}

/** Exit code when --fail-on-regression or --expect-improvement could not judge some side (too few runs). */
export const EXIT_UNDECIDED = 3;
/** Exit code when a gate failed: a regression, or an expected improvement that is not there (a threshold's code). */
export const EXIT_GATE_FAILED = 99;

/** "5%", "5", "2.5%" → percent. */
function parseRegressionPct(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (m === null) throw usageError('BAD_OPTION', `--fail-on-regression: expected a percentage like 5% or 2.5, got "${text}"`);
  return Number(m[1]);
}

function parseAlpha(text: string): number {
  const a = Number(text);
  if (!/^\s*\d*\.?\d+\s*$/.test(text) || !(a > 0 && a < 1))
    throw usageError('BAD_OPTION', `--alpha: expected a significance level between 0 and 1 like 0.05, got "${text}"`);
  return a;
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

/** One argument: its files and the label of the set they make. */
interface Expanded {
  readonly label: string;
  readonly files: readonly string[];
  /** Several runs in no given order (a directory): sorted by start time. */
  readonly byTime: boolean;
}

const stem = (file: string): string => basename(file).replace(/\.json$/i, '');

function expand(arg: string): Expanded {
  let isDir = false;
  try {
    isDir = statSync(arg).isDirectory();
  } catch {
    // `run --repeat N --json X.json` wrote X.1.json … X.N.json: X.json stands for them.
    const numbered = existsSync(arg) ? [] : numberedSiblings(arg);
    return numbered.length > 0 ? { label: stem(arg), files: numbered, byTime: false } : { label: stem(arg), files: [arg], byTime: false };
  }
  if (!isDir) return { label: stem(arg), files: [arg], byTime: false };
  const entries = readdirSync(arg);
  const files = [
    ...entries.filter((f) => f.endsWith('.json')).map((f) => join(arg, f)),
    // --out directories (one per repetition with --repeat): DIR/K/result.json.
    ...entries.map((d) => join(arg, d, 'result.json')).filter((f) => existsSync(f)),
  ].filter(looksLikeResult);
  if (files.length === 0)
    throw usageError('NO_RESULTS', `${arg} holds no result files (*.json with schema ${RESULT_SCHEMA_ID}, or --out directories with a result.json)`);
  return { label: basename(arg.replace(/\/+$/, '')) || arg, files, byTime: true };
}

/** Makes labels unique ("run", "run#2"). */
function uniquer(): (label: string) => string {
  const used = new Map<string, number>();
  return (label) => {
    const n = (used.get(label) ?? 0) + 1;
    used.set(label, n);
    return n === 1 ? label : `${label}#${n}`;
  };
}

/** The label a run carries inside its side: its file name, or DIR/K for an --out directory. */
const runLabel = (file: string): string => (basename(file) === 'result.json' ? basename(join(file, '..')) : stem(file));

/** What a set of run labels share ("A1", "A2" → "A"; "base.1", "base.2" → "base"), or undefined. */
function commonLabel(labels: readonly string[]): string | undefined {
  const first = labels[0] ?? '';
  let n = first.length;
  for (const l of labels) while (n > 0 && l.slice(0, n) !== first.slice(0, n)) n--;
  const common = first.slice(0, n).replace(/[\s._#/-]+$/, '');
  return common === '' ? undefined : common;
}

function loadSide(args: readonly string[], fallback: string): CompareSide {
  const sets = args.map(expand);
  const unique = uniquer();
  const runs: LabelledResult[] = [];
  for (const set of sets) {
    const loaded = set.files.map((file) => ({ file, result: readResultFile(file) }));
    if (set.byTime) loaded.sort((a, b) => a.result.startedAt.localeCompare(b.result.startedAt));
    for (const l of loaded) runs.push({ label: unique(runLabel(l.file)), result: l.result });
  }
  const label = sets.length === 1 ? sets[0]!.label : (commonLabel(runs.map((r) => r.label)) ?? fallback);
  return { label, runs };
}

/** The runs of one side repeat one configuration: a different workload among them is a mistake. */
function checkSide(side: CompareSide): void {
  const first = side.runs[0];
  if (first === undefined) return;
  for (const r of side.runs.slice(1)) {
    if (differsInWorkload(first.result, r.result)) {
      throw usageError(
        'MIXED_SIDE',
        `side ${side.label}: run ${r.label} ran ${workloadWords(r.result)} but ${first.label} ran ${workloadWords(first.result)}; the runs of one side must repeat one configuration (put the other runs after --vs, or in another argument)`,
      );
    }
  }
}

function loadSides(args: readonly string[], vs: readonly string[] | undefined): CompareSide[] {
  if (vs !== undefined) {
    if (args.length === 0)
      throw usageError('EMPTY_SIDE', 'compare: the baseline side is empty: give its result files before --vs (compare A1.json A2.json --vs B1.json B2.json)');
    if (vs.length === 0) throw usageError('EMPTY_SIDE', 'compare: --vs names no results: give the other side after it (compare A.json --vs B.json)');
    return [loadSide(args, 'A'), loadSide(vs, 'B')];
  }
  if (args.length === 0)
    throw usageError('TOO_FEW_RESULTS', 'compare needs at least two results: compare OLD.json NEW.json, or compare A1.json A2.json --vs B1.json B2.json');
  const sides = args.map((a) => loadSide([a], a));
  if (sides.length < 2) {
    const only = sides[0]!;
    throw usageError(
      'TOO_FEW_RESULTS',
      `compare needs at least two results, got ${args[0]!} alone (${only.runs.length} run${only.runs.length === 1 ? '' : 's'}, one side): give the other side (compare ${args[0]!} --vs OTHER), or compare its runs one by one (compare FILE1 FILE2 …)`,
    );
  }
  return sides;
}

export function compareCommand(args: readonly string[], opts: RawCompareOptions, io: CliIO): number {
  const pct = opts.failOnRegression === undefined ? undefined : parseRegressionPct(opts.failOnRegression);
  const alpha = opts.alpha === undefined ? undefined : parseAlpha(opts.alpha);
  const goals = (opts.expectImprovement ?? []).map(parseImprovementGoal);
  if (opts.html !== undefined) {
    checkOutputPaths(
      [{ option: '--html', path: opts.html, kind: 'file' }],
      [...args, ...(opts.vs ?? [])].map((a) => ({ path: a, given: 'a result compared' })),
    );
  }
  const sides = loadSides(args, opts.vs);
  const unique = uniquer();
  const named = sides.map((s) => ({ ...s, label: unique(s.label) }));
  for (const s of named) checkSide(s);
  const c = compareSides(named, { regressionPct: pct ?? 0, ...(alpha === undefined ? {} : { alpha }) });
  const gate = pct !== undefined ? '--fail-on-regression' : goals.length > 0 ? '--expect-improvement' : undefined;
  const monitored = named.flatMap((s) => s.runs.filter((r) => r.result.kind === 'monitor').map((r) => r.label));
  if (gate !== undefined && monitored.length > 0) {
    throw usageError(
      'NOT_COMPARABLE',
      `${gate}: ${monitored.join(', ')} ${monitored.length === 1 ? 'is a monitor result' : 'are monitor results'} (pgsurge monitor ran no load: no tps or latency to judge); gate on run results`,
    );
  }
  if (gate !== undefined && c.workloadDiffers) {
    throw usageError(
      'NOT_COMPARABLE',
      `${gate}: the sides ran different workloads (${named.map((s) => `${s.label}: ${s.runs[0] === undefined ? '?' : workloadWords(s.runs[0].result)}`).join('; ')}); a gate between them means nothing: compare runs of the same workload`,
    );
  }
  const improvements = checkImprovements(
    c.metrics,
    c.sides.map((s) => ({ label: s.label, runs: s.runs.length })),
    goals,
    c.alpha,
  );
  printOut(io, formatComparison(c) + formatImprovements(improvements, c.sides[0]?.label ?? 'baseline', c.alpha));
  if (opts.html !== undefined) {
    writeOut(opts.html, renderCompareHtml(c, improvements), 'HTML comparison');
    printErr(io, `pgsurge: wrote ${opts.html}`);
  }
  if (!c.comparable) printErr(io, 'pgsurge: warning: the runs are not comparable (see "not comparable" above)');
  // Either gate failing fails the comparison (99); otherwise a gate that could not judge a side gives 3.
  const regression = pct === undefined ? 0 : regressionExit(c, pct, io);
  const improvement = improvementExit(improvements, c.sides[0]?.label ?? 'baseline', c.alpha, io);
  if (regression === EXIT_GATE_FAILED || improvement === EXIT_GATE_FAILED) return EXIT_GATE_FAILED;
  return regression === EXIT_UNDECIDED || improvement === EXIT_UNDECIDED ? EXIT_UNDECIDED : 0;
}

function regressionExit(c: Comparison, pct: number, io: CliIO): number {
  if (c.regressions.length > 0) return EXIT_GATE_FAILED;
  if (c.undecided.length > 0) {
    for (const label of c.undecided) printErr(io, `pgsurge: --fail-on-regression ${pct}%: no verdict (exit ${EXIT_UNDECIDED}): ${undecidedText(c, label)}`);
    return EXIT_UNDECIDED;
  }
  return 0;
}

/** 99 when a judged side is not better by the goal; else 3 when some side could not be judged; else 0. Each problem is one line. */
function improvementExit(checks: readonly ImprovementCheck[], baseLabel: string, alpha: number, io: CliIO): number {
  const failed = checks.filter((x) => x.kind === 'not-met');
  const undecided = checks.filter((x) => x.kind === 'one-run' || x.kind === 'not-measured');
  const code = failed.length > 0 ? EXIT_GATE_FAILED : undecided.length > 0 ? EXIT_UNDECIDED : 0;
  for (const x of [...failed, ...(failed.length > 0 ? [] : undecided)]) {
    printErr(io, `pgsurge: --expect-improvement ${x.goal.text} (exit ${code}): ${improvementText(x, baseLabel, alpha)}`);
  }
  return code;
}
