/**
 * `pgsurge run WORKLOAD --target direct=URL --target pgbouncer=URL …`: the same run (same
 * workload, load, duration and random seed) against each target in turn, then one comparison
 * table and, with --html/--out, the overlaid timelines.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../config/run-config.js';
import type { NamedTarget } from '../config/targets.js';
import type { LiveOutput } from '../output/types.js';
import { compareResults, type LabelledResult } from '../report/compare.js';
import { formatComparison } from '../report/compare-format.js';
import { renderCompareHtml } from '../report/compare-html.js';
import { renderHtml } from '../report/html.js';
import { formatSummary } from '../report/summary.js';
import { defaultOutDir } from './artifacts.js';
import { printErr, printOut, type CliIO } from './output.js';
import type { ExecutedRun } from './executed-run.js';
import { urlTarget, type Target } from './target.js';
import { runExitCode } from './exit-code.js';

export async function runTargets(
  cfg: RunConfig,
  targets: readonly NamedTarget[],
  io: CliIO,
  opts: {
    readonly signal: AbortSignal;
    readonly makeOutputs: () => LiveOutput[];
    readonly execute: (cfg: RunConfig, target: Target, io: CliIO, o: { signal: AbortSignal; outputs: readonly LiveOutput[] }) => Promise<ExecutedRun>;
    readonly out: string | boolean | undefined;
    readonly html: string | undefined;
  },
): Promise<{ runs: (ExecutedRun & { name: string })[]; exitCode: number }> {
  // Every URL is checked before the first run starts.
  const conns = targets.map((t) => ({ ...t, target: urlTarget(t.url, io.env) }));
  const runs: (ExecutedRun & { name: string })[] = [];
  for (const t of conns) {
    if (opts.signal.aborted) break;
    printErr(io, `\npgsurge: target ${t.name} (${t.target.description})`);
    const run = await opts.execute(cfg, t.target, io, { signal: opts.signal, outputs: opts.makeOutputs() });
    runs.push({ ...run, name: t.name });
    printOut(io, `\n== ${t.name} ==\n${formatSummary(run.result, { perStatement: cfg.perStatement })}`);
  }
  const labelled: LabelledResult[] = runs.map((r) => ({ label: r.name, result: r.result }));
  const comparison = labelled.length > 1 ? compareResults(labelled) : undefined;
  if (comparison !== undefined) printOut(io, `\n${formatComparison(comparison)}`);

  if (cfg.json !== undefined) {
    writeFileSync(cfg.json, `${JSON.stringify({ targets: runs.map((r) => ({ name: r.name, result: r.result })) }, null, 2)}\n`);
  }
  if (opts.html !== undefined && comparison !== undefined) writeFileSync(opts.html, renderCompareHtml(comparison));
  if (opts.out !== undefined && opts.out !== false && runs[0] !== undefined) {
    const dir = opts.out === true ? defaultOutDir(runs[0].result, cfg) : opts.out;
    mkdirSync(dir, { recursive: true });
    for (const r of runs) {
      writeFileSync(join(dir, `${r.name}.json`), `${JSON.stringify(r.result, null, 2)}\n`);
      writeFileSync(join(dir, `${r.name}.html`), renderHtml(r.result));
    }
    if (comparison !== undefined) writeFileSync(join(dir, 'compare.html'), renderCompareHtml(comparison));
    printErr(io, `pgsurge: results in ${dir}/`);
  }
  // Each run's code as for one target (without the failover verdict); the worst one wins.
  const codes = runs.map((r) => runExitCode(r.result, r.outcome));
  const exitCode = runs.length < targets.length ? 1 : codes.includes(1) ? 1 : codes.includes(99) ? 99 : 0;
  return { runs, exitCode };
}
