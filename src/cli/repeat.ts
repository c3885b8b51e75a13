/**
 * `pgsurge run --repeat N`: the same configuration N times against the same target, each
 * repetition a complete run (the same checks, vacuum and, on a throwaway server, fresh pgbench
 * tables), because one run says nothing about how much the next would differ: `compare` needs
 * several a side to tell a change from run-to-run noise.
 *
 * Each repetition's files are written as soon as it ends (an interrupted series keeps every run it
 * finished, and the interrupted one's figures): `--json out.json` → out.K.json, likewise --csv and
 * --html, and `--out DIR` → DIR/K/ (repeat-paths.ts). A --random-seed given as a number (or
 * "time") is used by every repetition; without one each repetition draws its own, as separate
 * pgbench runs would. After the last one, each run's TPS and p99 and the spread between runs.
 */
import { join } from 'node:path';
import type { RunConfig } from '../config/run-config.js';
import { usageError } from '../errors.js';
import type { LiveOutput } from '../output/types.js';
import { fmtNum, formatSummary } from '../report/summary.js';
import { median } from '../util/median.js';
import { defaultOutDir, runOutputRequests, writeArtifacts } from './artifacts.js';
import type { ExecutedRun } from './executed-run.js';
import { checkOutputPaths, formatOutputFailure, type InputFile, type OutputFailure, type OutputRequest } from './output-paths.js';
import { printErr, printOut, type CliIO } from './output.js';
import { numberedPath } from './repeat-paths.js';
import { resultFileOf } from './run-history.js';
import type { ResultV1 } from '../report/result.js';

/** --repeat's conflicts, before anything starts. */
export function checkRepeatOptions(cfg: Pick<RunConfig, 'repeat' | 'targets'>): void {
  if (cfg.repeat > 1 && cfg.targets.length > 0) {
    throw usageError('BAD_OPTIONS', `--repeat ${cfg.repeat} with --target: not supported; repeat each target on its own (--url URL --repeat ${cfg.repeat})`);
  }
}

/** The outputs of repetitions `from`..`to` (numbered files; --out: its directory, repetitions go inside). */
function numberedRequests(cfg: Pick<RunConfig, 'json' | 'csv' | 'html' | 'out'>, from: number, to: number): OutputRequest[] {
  return runOutputRequests(cfg).flatMap((r) =>
    r.kind === 'dir' ? [r] : Array.from({ length: to - from + 1 }, (_, i) => ({ ...r, path: numberedPath(r.path, from + i) })),
  );
}

/**
 * Every output of every repetition, checked before the first run (exit 2). The first
 * repetition's are checked alone first, so that a missing directory is one line, not N.
 */
export function checkRepeatOutputs(cfg: Pick<RunConfig, 'json' | 'csv' | 'html' | 'out' | 'repeat'>, inputs: readonly InputFile[]): void {
  if (cfg.repeat <= 1) return checkOutputPaths(runOutputRequests(cfg), inputs);
  checkOutputPaths(numberedRequests(cfg, 1, 1), inputs);
  checkOutputPaths(numberedRequests(cfg, 1, cfg.repeat), inputs);
}

/** Repetition k's config: numbered file outputs, and its own random seed unless one was given. */
export function repetitionConfig(cfg: RunConfig, k: number, freshSeed: boolean): RunConfig {
  return {
    ...cfg,
    ...(cfg.json === undefined ? {} : { json: numberedPath(cfg.json, k) }),
    ...(cfg.csv === undefined ? {} : { csv: numberedPath(cfg.csv, k) }),
    ...(cfg.html === undefined ? {} : { html: numberedPath(cfg.html, k) }),
    randomSeed: freshSeed && k > 1 ? Math.floor(Math.random() * 2 ** 32) : cfg.randomSeed,
  };
}

export interface RepeatedRun {
  readonly k: number;
  readonly run: ExecutedRun;
  /** Where its result went (--json or --out), for the closing lines. */
  readonly files: readonly string[];
}

/** "  run  tps  p99 ms …" per repetition, then the median and the range (and what it is as % of the median). */
export function formatRepeatSummary(runs: readonly RepeatedRun[], planned: number): string {
  const rows = runs.map((r) => ({
    run: String(r.k),
    tps: r.run.result.summary.tps,
    p99: r.run.result.summary.latencyMs.p99,
    failed: r.run.result.summary.failed,
    note: r.run.result.stop?.reason === 'interrupted' ? 'interrupted' : '',
  }));
  const tps = rows.map((r) => r.tps);
  const p99 = rows.flatMap((r) => (r.p99 === null ? [] : [r.p99]));
  const fmtP99 = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
  const lines: string[] = [`repeat: ${runs.length} of ${planned} run${planned === 1 ? '' : 's'} of the same configuration`];
  const table: string[][] = [['run', 'tps', 'p99 ms', 'failed', ''], ...rows.map((r) => [r.run, fmtNum(r.tps, 1), fmtP99(r.p99), fmtNum(r.failed), r.note])];
  if (runs.length > 1) {
    const range = (xs: readonly number[], f: (v: number) => string): string => (xs.length === 0 ? '-' : `${f(Math.min(...xs))}–${f(Math.max(...xs))}`);
    table.push(['median', fmtNum(median(tps) ?? 0, 1), fmtP99(median(p99)), '', '']);
    table.push(['min–max', range(tps, (v) => fmtNum(v, 1)), range(p99, (v) => v.toFixed(3)), '', '']);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]?.length ?? 0)));
  for (const row of table)
    lines.push(`  ${row.map((cell, c) => (c === 0 || c === 4 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')}`.trimEnd());
  if (runs.length > 1) {
    const spreadPct = (xs: readonly number[]): string => {
      const m = median(xs);
      return m === null || m === 0 ? '-' : `${(((Math.max(...xs) - Math.min(...xs)) / m) * 100).toFixed(1)}%`;
    };
    lines.push(`  between-run spread (max − min, as % of the median): tps ${spreadPct(tps)}, p99 ${p99.length === 0 ? '-' : spreadPct(p99)}`);
  }
  return `${lines.join('\n')}\n`;
}

export interface RepeatOptions {
  readonly signal: AbortSignal;
  readonly makeOutputs: () => LiveOutput[];
  /** One complete run of `cfg` against the run's target. */
  readonly execute: (cfg: RunConfig, outputs: readonly LiveOutput[]) => Promise<ExecutedRun>;
  /** A run's exit code as for a single run (0, 1, 99), printing why when it failed. */
  readonly exitCode: (run: ExecutedRun) => number;
  /** The seed was not given (or "rand"): each repetition draws its own. */
  readonly freshSeed: boolean;
  /** Records a repetition in the run history once its files are written (its result file, if any). */
  readonly record?: (result: ResultV1, file: string | undefined) => Promise<void>;
}

/** N runs, each written when it ends; the worst exit code wins, and a series cut short is a failed run (1). */
export async function runRepeated(cfg: RunConfig, io: CliIO, opts: RepeatOptions): Promise<number> {
  const done: RepeatedRun[] = [];
  const failures: OutputFailure[] = [];
  const codes: number[] = [];
  let outRoot: string | undefined = typeof cfg.out === 'string' ? cfg.out : undefined;
  const finish = (): void => {
    printOut(io, `\n${formatRepeatSummary(done, cfg.repeat)}`);
    const files = done.flatMap((d) => d.files);
    const side = cfg.json ?? outRoot;
    if (files.length > 0) {
      printErr(io, `pgsurge: results in ${files.join(', ')}${side === undefined ? '' : `; as one side of a comparison: pgsurge compare ${side} --vs OTHER`}`);
    }
    for (const f of failures) printErr(io, `pgsurge: ${formatOutputFailure(f)}`);
    if (failures.length > 0) printErr(io, 'pgsurge: every other output was written; the summaries above have the figures');
  };
  for (let k = 1; k <= cfg.repeat; k++) {
    if (opts.signal.aborted) break;
    printErr(io, `\npgsurge: run ${k} of ${cfg.repeat}`);
    const cfgK = repetitionConfig(cfg, k, opts.freshSeed);
    let run: ExecutedRun;
    try {
      run = await opts.execute(cfgK, opts.makeOutputs());
    } catch (e) {
      if (done.length > 0) {
        finish();
        printErr(io, `pgsurge: run ${k} of ${cfg.repeat} did not complete; the ${done.length} before it are kept`);
      }
      throw e;
    }
    // The files first: they are what a closed terminal or a full disk must not cost.
    if (cfg.out === true && outRoot === undefined) outRoot = defaultOutDir(run.result, cfg);
    const out = outRoot === undefined ? undefined : join(outRoot, String(k));
    const written = writeArtifacts(run.result, cfgK, out, cfgK.html);
    failures.push(...written.failures);
    const files = [...(cfgK.json === undefined ? [] : [cfgK.json]), ...(written.outDir === undefined ? [] : [`${written.outDir}/`])];
    done.push({ k, run, files });
    await opts.record?.(run.result, resultFileOf(cfgK.json, written.outDir));
    printOut(io, `\n== run ${k} of ${cfg.repeat} ==\n${formatSummary(run.result, { perStatement: cfg.perStatement })}`);
    codes.push(opts.exitCode(run));
    if (run.outcome.interrupted) break;
  }
  finish();
  if (done.length < cfg.repeat) printErr(io, `pgsurge: stopped after ${done.length} of ${cfg.repeat} runs; the runs not started were not measured`);
  if (failures.length > 0 || done.length < cfg.repeat || codes.includes(1)) return 1;
  return codes.includes(99) ? 99 : (codes.find((c) => c !== 0) ?? 0);
}
