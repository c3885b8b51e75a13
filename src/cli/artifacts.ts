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
  const what = cfg.scenario !== undefined ? basename(cfg.scenario.file).replace(/\.[^.]+$/, '') : cfg.workloads.map((w) => basename(w.name).replace(/\.[^.]+$/, '')).join('+');
  return join('pgsurge-results', `${stamp}-${what.replace(/[^A-Za-z0-9_.+-]/g, '_').slice(0, 60)}`);
}

export interface WrittenArtifacts {
  readonly outDir: string | undefined;
  readonly files: readonly string[];
}

/** Write the files the options ask for; `out` is the --out value (true: a default name). */
export function writeArtifacts(result: ResultV1, cfg: RunConfig, out: string | boolean | undefined, html: string | undefined): WrittenArtifacts {
  const files: string[] = [];
  const write = (file: string, content: string): void => {
    writeFileSync(file, content);
    files.push(file);
  };
  if (cfg.json !== undefined) write(cfg.json, `${JSON.stringify(result, null, 2)}\n`);
  if (cfg.csv !== undefined) write(cfg.csv, formatIntervalsCsv(result));
  if (html !== undefined) write(html, renderHtml(result));
  if (out === undefined || out === false) return { outDir: undefined, files };
  const dir = out === true ? defaultOutDir(result, cfg) : out;
  mkdirSync(dir, { recursive: true });
  write(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  write(join(dir, 'report.html'), renderHtml(result));
  write(join(dir, 'intervals.csv'), formatIntervalsCsv(result));
  const inputs = [...cfg.workloads.filter((w) => w.kind !== 'builtin').map((w) => w.name), ...(cfg.scenario === undefined ? [] : [cfg.scenario.file])];
  for (const f of inputs) {
    if (!existsSync(f)) continue;
    const copy = join(dir, basename(f));
    copyFileSync(f, copy);
    files.push(copy);
  }
  return { outDir: dir, files };
}
