/**
 * What a run leaves on disk: --json, --csv, --html, and --out DIR (all of them in one directory,
 * with copies of the scripts and scenario file, so runs can be collected and compared later).
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunConfig } from '../config/run-config.js';
import { formatIntervalsCsv } from '../report/csv.js';
import { renderHtml } from '../report/html.js';
import type { ResultV1 } from '../report/result.js';

/** A default --out directory name: time and workload, e.g. pgsurge-results/20261121-141502-tpcb-like. */
export function defaultOutDir(result: ResultV1, cfg: RunConfig): string {
  const d = new Date(result.startedAt);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  const what =
    cfg.scenario !== undefined
      ? basename(cfg.scenario.file).replace(/\.[^.]+$/, '')
      : cfg.workloads.map((w) => basename(w.name).replace(/\.[^.]+$/, '')).join('+');
  return join('pgsurge-results', `${stamp}-${what.replace(/[^A-Za-z0-9_.+-]/g, '_').slice(0, 60)}`);
}

export interface WrittenArtifacts {
  readonly outDir: string | undefined;
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
  if (cfg.json !== undefined) writeFileSync(cfg.json, json());
  if (cfg.csv !== undefined) writeFileSync(cfg.csv, csv());
  if (html !== undefined) writeFileSync(html, report());
  if (out === undefined || out === false) return { outDir: undefined };
  const dir = out === true ? defaultOutDir(result, cfg) : out;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'result.json'), json());
  writeFileSync(join(dir, 'report.html'), report());
  writeFileSync(join(dir, 'intervals.csv'), csv());
  const inputs = [...cfg.workloads.filter((w) => w.kind !== 'builtin').map((w) => w.name), ...(cfg.scenario === undefined ? [] : [cfg.scenario.file])];
  for (const f of inputs) {
    if (!existsSync(f)) continue;
    copyFileSync(f, join(dir, basename(f)));
  }
  return { outDir: dir };
}
