/**
 * What a run leaves on disk: --json, --csv, --html, and --out DIR (all of them in one directory,
 * with copies of the scripts and scenario file in DIR/inputs/, so runs can be collected and
 * compared later and no input can overwrite an output).
 *
 * Every output is attempted: one that fails does not stop the others; the failures are returned.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { RunConfig } from '../config/run-config.js';
import { formatIntervalsCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import type { ResultV1 } from '../report/result.js';
import { failureReason, writeOutputFile, type InputFile, type OutputFailure, type OutputRequest } from './output-paths.js';

/** Where --out without a directory puts its run directories. */
const DEFAULT_OUT_ROOT = 'pgsurge-results';

/** A default --out directory name: time and workload, e.g. pgsurge-results/20261121-141502-tpcb-like. */
export function defaultOutDir(result: ResultV1, cfg: RunConfig): string {
  const d = new Date(result.startedAt);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const what =
    cfg.scenario !== undefined
      ? basename(cfg.scenario.file).replace(/\.[^.]+$/, '')
      : cfg.workloads.map((w) => basename(w.name).replace(/\.[^.]+$/, '')).join('+');
  return join(DEFAULT_OUT_ROOT, `${stamp}-${what.replace(/[^A-Za-z0-9_.+-]/g, '_').slice(0, 60)}`);
}

/** The outputs the options ask for, to check before the run starts (output-paths.ts). */
export function runOutputRequests(cfg: Pick<RunConfig, 'json' | 'csv' | 'html' | 'out' | 'log'>): OutputRequest[] {
  const out: OutputRequest[] = [];
  if (cfg.json !== undefined) out.push({ option: '--json', path: cfg.json, kind: 'file' });
  if (cfg.csv !== undefined) out.push({ option: '--csv', path: cfg.csv, kind: 'file' });
  if (cfg.html !== undefined) out.push({ option: '--html', path: cfg.html, kind: 'file' });
  if (cfg.log !== undefined) out.push({ option: '--log', path: cfg.log, kind: 'file' });
  // --out alone: a new directory under pgsurge-results/ is made at the end; that one must be creatable.
  if (cfg.out !== undefined) out.push({ option: '--out', path: cfg.out === true ? DEFAULT_OUT_ROOT : cfg.out, kind: 'dir' });
  return out;
}

/** The files the run reads (scripts, modules, the scenario file): copied by --out, never overwritten. */
export function runInputFiles(cfg: Pick<RunConfig, 'workloads' | 'scenario'>): InputFile[] {
  return [
    ...cfg.workloads.filter((w) => w.kind !== 'builtin').map((w) => ({ path: w.name, given: w.kind === 'file' ? `-f ${w.name}` : w.name })),
    ...(cfg.scenario === undefined ? [] : [{ path: cfg.scenario.file, given: cfg.scenario.file }]),
  ].filter((i) => existsSync(i.path));
}

export interface WrittenArtifacts {
  readonly outDir: string | undefined;
  /** Outputs that could not be written (the others were). */
  readonly failures: readonly OutputFailure[];
}

/** `name.ext`, or `name-2.ext`, `name-3.ext`… when an earlier input took the name. */
function uniqueName(name: string, taken: Set<string>): string {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${stem}-${n}${ext}`;
  taken.add(candidate);
  return candidate;
}

/** Write the files the options ask for; `out` is the --out value (true: a default name). */
export function writeArtifacts(result: ResultV1, cfg: RunConfig, out: string | boolean | undefined, html: string | undefined): WrittenArtifacts {
  // Each text is made once, when first needed (--json and --out both write the JSON, …).
  const once = (make: () => string): (() => string) => {
    let text: string | undefined;
    return () => (text ??= make());
  };
  const json = once(() => `${JSON.stringify(result, null, 2)}\n`);
  const csv = once(() => formatIntervalsCsv(result));
  const report = once(() => renderHtml(result));
  const failures: OutputFailure[] = [];
  const write = (option: string, path: string, text: () => string): void => {
    const failed = writeOutputFile({ option, path }, text);
    if (failed !== undefined) failures.push(failed);
  };
  if (cfg.json !== undefined) write('--json', cfg.json, json);
  if (cfg.csv !== undefined) write('--csv', cfg.csv, csv);
  if (html !== undefined) write('--html', html, report);
  if (out === undefined || out === false) return { outDir: undefined, failures };
  const dir = out === true ? defaultOutDir(result, cfg) : out;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    failures.push({ option: '--out', path: dir, reason: failureReason({ option: '--out', path: dir, kind: 'dir' }, e) });
    return { outDir: undefined, failures };
  }
  write('--out', join(dir, 'result.json'), json);
  write('--out', join(dir, 'report.html'), report);
  write('--out', join(dir, 'intervals.csv'), csv);
  const inputs = runInputFiles(cfg);
  if (inputs.length > 0) {
    const inputsDir = join(dir, 'inputs');
    const taken = new Set<string>();
    for (const f of inputs) {
      const to = join(inputsDir, uniqueName(basename(f.path), taken));
      try {
        mkdirSync(inputsDir, { recursive: true });
        copyFileSync(f.path, to);
      } catch (e) {
        failures.push({ option: '--out', path: to, reason: `copy of ${f.path}: ${failureReason({ option: '--out', path: to, kind: 'file' }, e)}` });
      }
    }
  }
  return { outDir: dir, failures };
}
