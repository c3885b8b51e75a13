/**
 * After a run: call the `report` hook of every workload module that has one, with the measured
 * duration and its successful transactions per type, and format the figures for the summary.
 * A failing hook is reported as `{ error }` for that workload: the run itself already happened.
 */
import type { SetupDb, WorkloadDefinition } from '../module/api.js';
import type { WorkloadSource } from '../sources.js';

export type WorkloadFigures = Readonly<Record<string, number | string>>;

export interface ReportableRun {
  readonly durationS: number;
  /** The result's transaction types: "workload.txn", or "scenario/workload.txn" with scenarios. */
  readonly transactionTypes: Readonly<Record<string, { readonly transactions: number }>>;
}

export interface ReportableWorkloads {
  readonly sources: readonly WorkloadSource[];
  readonly modules: readonly { readonly file: string; readonly def: WorkloadDefinition; readonly options: Readonly<Record<string, unknown>> }[];
}

/** Successful transactions of one workload source, by transaction name without the prefix. */
function transactionsOf(sourceName: string, run: ReportableRun): Record<string, number> {
  const out: Record<string, number> = {};
  const prefix = `${sourceName}.`;
  for (const [type, t] of Object.entries(run.transactionTypes)) {
    const bare = type.slice(type.indexOf('/') + 1);
    if (!bare.startsWith(prefix)) continue;
    const txn = bare.slice(prefix.length);
    out[txn] = (out[txn] ?? 0) + t.transactions;
  }
  return out;
}

/** Figures per workload name (the result's workload prefix), for every module with a report hook. */
export async function collectWorkloadReports(db: SetupDb, work: ReportableWorkloads, run: ReportableRun): Promise<Record<string, WorkloadFigures>> {
  const out: Record<string, WorkloadFigures> = {};
  for (const source of work.sources) {
    if (source.kind !== 'module' || source.name in out) continue;
    const m = work.modules.find((x) => x.file === source.file);
    if (m?.def.report === undefined) continue;
    try {
      out[source.name] = await m.def.report(db, m.options as never, { durationS: run.durationS, transactions: transactionsOf(source.name, run) });
    } catch (e) {
      out[source.name] = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return out;
}

/** Summary lines: one block per workload, `name  value` aligned. */
export function formatWorkloadReports(reports: Readonly<Record<string, WorkloadFigures>>): string {
  const blocks: string[] = [];
  for (const [name, figures] of Object.entries(reports)) {
    const keys = Object.keys(figures);
    if (keys.length === 0) continue;
    const width = Math.max(...keys.map((k) => k.length));
    blocks.push([`workload ${name}:`, ...keys.map((k) => `  ${k.padEnd(width)}  ${String(figures[k])}`)].join('\n'));
  }
  return blocks.join('\n');
}
