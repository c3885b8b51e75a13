/**
 * `pgsurge suite FILE`: the steps of a suite file (suite-file.ts) in order, on one target (the
 * throwaway server by default, started once and stopped at the end, also on error), each run by
 * the same code as `pgsurge run`; then one table (step, p50/p95/p99, throughput, targets, pass/fail)
 * and optionally one JSON with every step. Exit 0 when every target held, 99 when one failed, 1
 * when a step could not run (the other steps still run).
 */
import { writeFileSync } from 'node:fs';
import { resolveRunConfig, type RunConfig, type RunOptionValues } from '../config/run-config.js';
import { executeRun } from './run-command.js';
import { runCompleted } from './exit-code.js';
import { planWorkloads, type PlannedWorkloads } from './plan.js';
import { resolveTarget, type Target } from './target.js';
import { printErr, printOut, type CliIO } from './output.js';
import type { WorkloadFigures } from '../workload/builtin/run-report.js';
import { checkFigure, loadSuiteFile, parseFigureThreshold, type SuiteStep } from './suite-file.js';
import { TOOL } from './tool.js';
import type { ResultV1 } from '../report/result.js';
import { redactValue } from '../config/redact.js';
import { createRunOutputs } from '../output/registry.js';

export interface RawSuiteOptions {
  readonly url?: string;
  readonly pgBin?: string;
  readonly json?: string;
  readonly step?: readonly string[];
  readonly randomSeed?: string;
  /** Targets every step must also meet (the suite-wide checklist: cache hit, replication lag, connections). */
  readonly threshold?: readonly string[];
}

export interface SuiteTargetResult {
  readonly expr: string;
  readonly ok: boolean;
  readonly actual: string;
}

export interface SuiteStepResult {
  readonly name: string;
  readonly workloads: readonly string[];
  /** passed: every target held; failed: one did not; error: the step could not run. */
  readonly status: 'passed' | 'failed' | 'error';
  readonly error?: string;
  readonly latencyMs?: { readonly p50: number | null; readonly p95: number | null; readonly p99: number | null };
  readonly tps?: number;
  readonly transactions?: number;
  readonly failed?: number;
  readonly targets: readonly SuiteTargetResult[];
  readonly workloadReports?: Readonly<Record<string, WorkloadFigures>>;
  readonly result?: ResultV1;
}

function runOptions(step: SuiteStep, opts: RawSuiteOptions): RunOptionValues {
  return {
    workloads: step.workloads,
    define: step.defines,
    threshold: step.runThresholds,
    // Progress lines would interleave with the table: the table is the output of a suite.
    progress: '0',
    url: opts.url,
    pgBin: opts.pgBin,
    client: step.clients,
    jobs: step.jobs,
    time: step.duration,
    transactions: step.transactions,
    rate: step.rate,
    warmup: step.warmup,
    latencyLimit: step.latencyLimit,
    protocol: step.protocol,
    randomSeed: opts.randomSeed,
  };
}

/** A step with its options resolved and its workloads planned, before anything starts. */
interface CheckedStep {
  readonly step: SuiteStep;
  readonly cfg: RunConfig;
  /** Undefined for a scenario file: its scenarios' workloads are resolved when the step runs. */
  readonly planned: PlannedWorkloads | undefined;
}

async function checkStep(step: SuiteStep, opts: RawSuiteOptions): Promise<CheckedStep> {
  const cfg = resolveRunConfig(runOptions(step, opts));
  return { step, cfg, planned: cfg.scenario === undefined ? await planWorkloads(cfg) : undefined };
}

async function runStep({ step, cfg, planned }: CheckedStep, target: Target, io: CliIO, signal: AbortSignal): Promise<SuiteStepResult> {
  // The server is sampled as in a run: a step's targets may be on its figures (cache hit, lag, connections).
  const outputs = createRunOutputs({ observe: cfg.observe, serverMetrics: cfg.serverMetrics });
  const { result, outcome } = await executeRun(cfg, target, io, { signal, outputs, ...(planned === undefined ? {} : { planned }) });
  // The workloads' report figures, read by executeRun. A scenario-file step had its figures looked
  // up in the default workload's (there are none): kept so.
  const reports: Readonly<Record<string, WorkloadFigures>> = cfg.scenario === undefined ? (result.workloads ?? {}) : {};
  const targets: SuiteTargetResult[] = result.thresholds.map((t) => ({ expr: t.expr, ok: t.ok, actual: t.actual }));
  for (const f of step.figureThresholds) {
    // The first workload of the step whose report has the figure.
    const actual = Object.values(reports).find((r) => r[f.figure] !== undefined)?.[f.figure];
    targets.push({ expr: f.expr, ok: checkFigure(f, actual), actual: actual === undefined ? 'n/a' : String(actual) });
  }
  const s = result.summary;
  const ran = runCompleted(result, outcome);
  return {
    name: step.name,
    workloads: step.workloads,
    status: !ran ? 'error' : targets.every((t) => t.ok) ? 'passed' : 'failed',
    ...(ran
      ? {}
      : {
          error: outcome.interrupted
            ? 'interrupted'
            : `no transaction succeeded${Object.values(outcome.firstErrors)[0] === undefined ? '' : `: ${String(Object.values(outcome.firstErrors)[0])}`}`,
        }),
    latencyMs: { p50: s.latencyMs.p50, p95: s.latencyMs.p95, p99: s.latencyMs.p99 },
    tps: s.tps,
    transactions: s.transactions,
    failed: s.failed,
    targets,
    workloadReports: reports,
    result,
  };
}

const ms = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(2));

/** The suite's table: one row per step (a second line per extra target). */
function formatSuiteTable(suite: string, steps: readonly SuiteStepResult[]): string {
  const header = ['step', 'p50 ms', 'p95 ms', 'p99 ms', 'throughput', 'target (actual)', 'result'];
  const rows: string[][] = [];
  for (const s of steps) {
    const rowsPerS = Object.values(s.workloadReports ?? {}).find((r) => typeof r['rows_per_s'] === 'number')?.['rows_per_s'];
    const throughput = s.tps === undefined ? '-' : `${s.tps.toFixed(1)} tps${rowsPerS === undefined ? '' : `, ${String(rowsPerS)} rows/s`}`;
    const targets = s.targets.length === 0 ? ['-'] : s.targets.map((t) => `${t.expr} (${t.actual})${t.ok ? '' : ' ✗'}`);
    const result = s.status === 'passed' ? 'pass' : s.status === 'failed' ? 'FAIL' : `ERROR: ${s.error ?? ''}`;
    rows.push([s.name, ms(s.latencyMs?.p50), ms(s.latencyMs?.p95), ms(s.latencyMs?.p99), throughput, targets[0]!, result]);
    for (const t of targets.slice(1)) rows.push(['', '', '', '', '', t, '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const passed = steps.filter((s) => s.status === 'passed').length;
  return [`suite ${suite}: ${passed} of ${steps.length} steps passed`, '', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export async function suiteCommand(file: string, opts: RawSuiteOptions, io: CliIO): Promise<number> {
  const suite = loadSuiteFile(file);
  const only = opts.step ?? [];
  const unknown = only.filter((n) => !suite.steps.some((s) => s.name === n));
  if (unknown.length > 0) {
    printErr(io, `pgsurge: --step ${unknown.join(', ')}: no such step in ${file} (steps: ${suite.steps.map((s) => s.name).join(', ')})`);
    return 2;
  }
  // --threshold: a target of every step, a run threshold or a workload figure as in the file.
  const cliFigures = (opts.threshold ?? []).flatMap((t) => parseFigureThreshold(t) ?? []);
  const cliRun = (opts.threshold ?? []).filter((t) => parseFigureThreshold(t) === undefined);
  const steps = (only.length === 0 ? suite.steps : suite.steps.filter((s) => only.includes(s.name))).map((s) => ({
    ...s,
    runThresholds: [...s.runThresholds, ...cliRun],
    figureThresholds: [...s.figureThresholds, ...cliFigures],
  }));
  // Every step's options are checked before anything starts: a typo in step 4 should not cost 3 runs.
  const checked: CheckedStep[] = [];
  for (const s of steps) checked.push(await checkStep(s, opts));
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let target: Target | undefined;
  const results: SuiteStepResult[] = [];
  try {
    target = await resolveTarget({ url: opts.url, pgBin: opts.pgBin }, io.env, (l) => printErr(io, l));
    for (const [i, c] of checked.entries()) {
      const step = c.step;
      if (interrupt.signal.aborted) break;
      printErr(io, `pgsurge: suite ${suite.name}: step ${i + 1}/${steps.length}: ${step.name}`);
      try {
        results.push(await runStep(c, target, io, interrupt.signal));
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        printErr(io, `pgsurge: step ${step.name} could not run: ${message}`);
        results.push({ name: step.name, workloads: step.workloads, status: 'error', error: message, targets: [] });
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await target?.throwaway?.stop();
  }
  printOut(io, formatSuiteTable(suite.name, results));
  if (opts.json !== undefined) {
    const doc = {
      schema: 'pgsurge.suite/v1',
      tool: TOOL,
      suite: suite.name,
      file,
      target: target?.description,
      throwaway: target?.throwaway !== undefined,
      ok: results.length === steps.length && results.every((r) => r.status === 'passed'),
      steps: results,
    };
    writeFileSync(opts.json, `${JSON.stringify(redactValue(doc), null, 2)}\n`);
  }
  if (interrupt.signal.aborted || results.some((r) => r.status === 'error')) return 1;
  return results.some((r) => r.status === 'failed') ? 99 : 0;
}
