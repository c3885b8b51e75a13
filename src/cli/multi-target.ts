/**
 * `pgsurge run WORKLOAD --target direct=URL --target pgbouncer=URL …`: the same run (same
 * workload, load, duration and random seed) against each target in turn, then one comparison
 * table and, with --html/--out, the overlaid timelines.
 *
 * A target that fails (refused connection, a pooler refusing prepared statements) is reported with
 * its error and a hint; the others still run and keep their results; the exit code is then 1.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../config/run-config.js';
import type { NamedTarget } from '../config/targets.js';
import { PgsurgeError, usageError } from '../errors.js';
import type { LiveOutput } from '../output/types.js';
import { compareResults, type LabelledResult } from '../report/compare.js';
import { formatComparison } from '../report/compare-format.js';
import { renderCompareHtml } from '../report/compare-html.js';
import { formatIntervalsCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import { formatSummary } from '../report/summary.js';
import { defaultOutDir } from './artifacts.js';
import { failureReason, formatOutputFailure, writeOutputFile, type OutputFailure } from './output-paths.js';
import { printErr, printOut, type CliIO } from './output.js';
import type { ExecutedRun } from './executed-run.js';
import { urlTarget, type Target } from './target.js';
import { runExitCode } from './exit-code.js';
import { failoverExitCode } from '../ha/ha-run.js';

/** --out's file for the comparison; a target of that name would overwrite it (or be overwritten). */
const COMPARE_NAME = 'compare';

/** Target names that would collide with --out's own files: a usage error before anything starts. */
export function checkTargetOutputs(cfg: Pick<RunConfig, 'targets' | 'out'>): void {
  if (cfg.out === undefined || cfg.targets.length < 2) return;
  if (cfg.targets.some((t) => t.name === COMPARE_NAME)) {
    throw usageError(
      'OUTPUT_PATH',
      `--target ${COMPARE_NAME}=…: with --out, "${COMPARE_NAME}" names the comparison (${COMPARE_NAME}.html); give the target another name`,
    );
  }
}

/** A target that did not run to the end: its error and what to try. */
export interface FailedTarget {
  readonly name: string;
  readonly error: string;
  readonly hint: string;
}

/** What to try when a target fails, from its error. */
function hintFor(e: unknown, message: string): string {
  if (/\b(42P05|26000)\b|prepared statement .* (already exists|does not exist)/i.test(message)) {
    return 'a pooler in transaction mode (PgBouncer before 1.21) cannot keep prepared statements: use -M extended or -M simple with this target';
  }
  const code = e instanceof PgsurgeError ? e.code : undefined;
  if (code === 'CONNECT_FAILED') return "check the target's URL, that the server or pooler is up, and that it accepts this user and database";
  if (code === 'TOO_MANY_CLIENTS') return 'lower -c, or raise the pool size or max_connections behind this target';
  return 'run this target alone (with --url) to look into it; the other targets are not affected';
}

export async function runTargets(
  cfg: RunConfig,
  targets: readonly NamedTarget[],
  io: CliIO,
  opts: {
    readonly signal: AbortSignal;
    readonly stopNow?: AbortSignal;
    readonly makeOutputs: () => LiveOutput[];
    readonly execute: (
      cfg: RunConfig,
      target: Target,
      io: CliIO,
      o: { signal: AbortSignal; stopNow?: AbortSignal; outputs: readonly LiveOutput[] },
    ) => Promise<ExecutedRun>;
    readonly out: string | boolean | undefined;
    readonly html: string | undefined;
    /** Called when the loads are over and the files are about to be written. */
    readonly onWriting?: () => void;
  },
): Promise<{ runs: (ExecutedRun & { name: string })[]; failed: FailedTarget[]; exitCode: number; outDir: string | undefined }> {
  // Every URL is checked before the first run starts.
  const conns = targets.map((t) => ({ ...t, target: urlTarget(t.url, io.env) }));
  const runs: (ExecutedRun & { name: string })[] = [];
  const failed: FailedTarget[] = [];
  for (const t of conns) {
    if (opts.signal.aborted) break;
    printErr(io, `\npgsurge: target ${t.name} (${t.target.description})`);
    let run: ExecutedRun;
    try {
      run = await opts.execute(cfg, t.target, io, {
        signal: opts.signal,
        ...(opts.stopNow === undefined ? {} : { stopNow: opts.stopNow }),
        outputs: opts.makeOutputs(),
      });
    } catch (e) {
      if (opts.signal.aborted) break;
      const error = e instanceof Error ? e.message : String(e);
      const f: FailedTarget = { name: t.name, error, hint: hintFor(e, error) };
      failed.push(f);
      printErr(io, `pgsurge: target ${t.name} failed: ${f.error}\n  hint: ${f.hint}\n  the other targets still run and keep their results`);
      continue;
    }
    runs.push({ ...run, name: t.name });
    printOut(io, `\n== ${t.name} ==\n${formatSummary(run.result, { perStatement: cfg.perStatement })}`);
  }
  opts.onWriting?.();
  const labelled: LabelledResult[] = runs.map((r) => ({ label: r.name, result: r.result }));
  const comparison = labelled.length > 1 ? compareResults(labelled) : undefined;
  if (comparison !== undefined) printOut(io, `\n${formatComparison(comparison)}`);
  for (const f of failed) printErr(io, `pgsurge: target ${f.name} did not run to the end: ${f.error}`);

  const { failures, outDir } = writeTargetOutputs(cfg, runs, failed, comparison === undefined ? undefined : () => renderCompareHtml(comparison), opts, io);
  for (const f of failures) printErr(io, `pgsurge: ${formatOutputFailure(f)}`);
  if (failures.length > 0) printErr(io, 'pgsurge: every other output was written');
  // Each run's code as for one target, a failed write verification (1) outranking a failed
  // threshold (99) as it does there; the worst one wins.
  const codes = runs.map((r) => {
    const code = runExitCode(r.result, r.outcome);
    return code === 0 || code === 99 ? (failoverExitCode(r.result) ?? code) : code;
  });
  const incomplete = runs.length < targets.length || failures.length > 0;
  const exitCode = incomplete ? 1 : codes.includes(1) ? 1 : codes.includes(99) ? 99 : 0;
  return { runs, failed, exitCode, outDir };
}

/** --json (every target), --html (the comparison) and --out (every target's JSON, HTML and CSV, in `outDir`); every one attempted. */
function writeTargetOutputs(
  cfg: RunConfig,
  runs: readonly (ExecutedRun & { name: string })[],
  failed: readonly FailedTarget[],
  compareHtml: (() => string) | undefined,
  opts: { readonly out: string | boolean | undefined; readonly html: string | undefined },
  io: CliIO,
): { failures: OutputFailure[]; outDir: string | undefined } {
  const failures: OutputFailure[] = [];
  const write = (option: string, path: string, text: () => string): void => {
    const f = writeOutputFile({ option, path }, text);
    if (f !== undefined) failures.push(f);
  };
  if (cfg.json !== undefined) {
    const all = {
      targets: runs.map((r) => ({ name: r.name, result: r.result })),
      ...(failed.length > 0 ? { failedTargets: failed.map((f) => ({ name: f.name, error: f.error, hint: f.hint })) } : {}),
    };
    write('--json', cfg.json, () => `${JSON.stringify(all, null, 2)}\n`);
  }
  if (opts.html !== undefined && compareHtml !== undefined) write('--html', opts.html, compareHtml);
  if (opts.out !== undefined && opts.out !== false && runs[0] !== undefined) {
    const dir = opts.out === true ? defaultOutDir(runs[0].result, cfg) : opts.out;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      failures.push({ option: '--out', path: dir, reason: failureReason({ option: '--out', path: dir, kind: 'dir' }, e) });
      return { failures, outDir: undefined };
    }
    for (const r of runs) {
      write('--out', join(dir, `${r.name}.json`), () => `${JSON.stringify(r.result, null, 2)}\n`);
      write('--out', join(dir, `${r.name}.html`), () => renderHtml(r.result));
      write('--out', join(dir, `${r.name}.csv`), () => formatIntervalsCsv(r.result));
    }
    if (compareHtml !== undefined) write('--out', join(dir, `${COMPARE_NAME}.html`), compareHtml);
    printErr(io, `pgsurge: results in ${dir}/`);
    return { failures, outDir: dir };
  }
  return { failures, outDir: undefined };
}
