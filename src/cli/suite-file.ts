/**
 * Suite files: named benchmark steps run in order, each a workload + load model + targets.
 *
 * ```yaml
 * name: vector search
 * steps:
 *   - name: single-namespace search
 *     workload: vector-search         # built-in, script.sql, module.ts; a list for a weighted mix
 *     only: search_one                # built-in modules: run only these transaction types (-D only=…)
 *     clients: 1
 *     transactions: 1000              # per client (-t); or duration: 30s (-T); rate: 500/s (-R)
 *     define: { dimension: 32 }       # -D name=value
 *     thresholds: ['p95<10ms', 'workload.rows_per_s>1000']
 * ```
 *
 * Option names are `run`'s: clients, jobs, duration, transactions, rate, warmup, latencyLimit,
 * protocol, define, thresholds. A threshold is either one of `run`'s (p95<10ms, tps>=500,
 * errors<1%) or `workload.FIGURE OP NUMBER` on a figure of the workload's report (rows_per_s,
 * data_written_mb_per_s, …). Every problem is reported at once, with its path and line.
 */
import { z } from '../vendor/zod.js';
import { fileProblems, parseYamlWithSchema, readUserYamlFile } from '../config/user-file.js';
import { parseThreshold } from '../metrics/thresholds.js';

export interface FigureThreshold {
  readonly expr: string;
  readonly figure: string;
  readonly op: '<' | '<=' | '>' | '>=' | '==';
  readonly value: number;
}

export interface SuiteStep {
  readonly name: string;
  readonly workloads: readonly string[];
  readonly clients?: string;
  readonly jobs?: string;
  readonly duration?: string;
  readonly transactions?: string;
  readonly rate?: string;
  readonly warmup?: string;
  readonly latencyLimit?: string;
  readonly protocol?: string;
  readonly defines: readonly string[];
  /** `run` thresholds (passed to the run) and workload-figure thresholds (checked by the suite). */
  readonly runThresholds: readonly string[];
  readonly figureThresholds: readonly FigureThreshold[];
}

export interface Suite {
  readonly name: string;
  readonly steps: readonly SuiteStep[];
}

const text = z.union([z.string(), z.number()]).transform(String);
const stepSchema = z.strictObject({
  name: z.string().min(1),
  workload: z.union([z.string(), z.array(z.string()).min(1)]),
  only: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  clients: text.optional(),
  jobs: text.optional(),
  duration: text.optional(),
  transactions: text.optional(),
  rate: text.optional(),
  warmup: text.optional(),
  latencyLimit: text.optional(),
  protocol: z.enum(['simple', 'extended', 'prepared']).optional(),
  define: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  thresholds: z.array(z.string()).optional(),
});
const fileSchema = z.strictObject({ name: z.string().optional(), steps: z.array(stepSchema).min(1) });

const FIGURE = /^\s*workload\.([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|<|>|=)\s*(-?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*$/;

/** `workload.rows_per_s>1000` → a figure threshold; anything else must be a `run` threshold. */
export function parseFigureThreshold(expr: string): FigureThreshold | undefined {
  const m = FIGURE.exec(expr);
  if (m === null) return undefined;
  const op = m[2] === '=' ? '==' : (m[2] as FigureThreshold['op']);
  return { expr: expr.trim(), figure: m[1]!, op, value: Number(m[3]) };
}

export function checkFigure(t: FigureThreshold, actual: number | string | undefined): boolean {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) return false;
  switch (t.op) {
    case '<':
      return actual < t.value;
    case '<=':
      return actual <= t.value;
    case '>':
      return actual > t.value;
    case '>=':
      return actual >= t.value;
    case '==':
      return actual === t.value;
  }
}

export function loadSuiteFile(file: string): Suite {
  return parseSuite(readUserYamlFile(file, 'SUITE_UNREADABLE', 'suite file'), file);
}

export function parseSuite(source: string, file: string): Suite {
  const { data, where } = parseYamlWithSchema(source, file, fileSchema, { kind: 'suite', syntaxCode: 'SUITE_SYNTAX', invalidCode: 'SUITE_INVALID' });
  const problems: string[] = [];
  const names = new Set<string>();
  const steps: SuiteStep[] = data.steps.map((s, i) => {
    const at = `steps.${i}`;
    if (names.has(s.name)) problems.push(`${file}: ${at}.name: "${s.name}" is used twice${where(['steps', i, 'name'])}`);
    names.add(s.name);
    if (s.duration !== undefined && s.transactions !== undefined)
      problems.push(`${file}: ${at}: duration and transactions cannot be used together${where(['steps', i])}`);
    const runThresholds: string[] = [];
    const figureThresholds: FigureThreshold[] = [];
    (s.thresholds ?? []).forEach((t, j) => {
      const figure = parseFigureThreshold(t);
      if (figure !== undefined) figureThresholds.push(figure);
      else {
        try {
          parseThreshold(t);
          runThresholds.push(t);
        } catch (e) {
          problems.push(
            `${file}: ${at}.thresholds.${j}: ${e instanceof Error ? e.message : String(e)} (or workload.FIGURE OP NUMBER)${where(['steps', i, 'thresholds', j])}`,
          );
        }
      }
    });
    const defines = Object.entries(s.define ?? {}).map(([k, v]) => `${k}=${v}`);
    if (s.only !== undefined) defines.push(`only=${Array.isArray(s.only) ? s.only.join(',') : s.only}`);
    const opt = <K extends string>(k: K, v: string | undefined): Partial<Record<K, string>> => (v === undefined ? {} : ({ [k]: v } as Record<K, string>));
    return {
      name: s.name,
      workloads: Array.isArray(s.workload) ? s.workload : [s.workload],
      ...opt('clients', s.clients),
      ...opt('jobs', s.jobs),
      ...opt('duration', s.duration),
      ...opt('transactions', s.transactions),
      ...opt('rate', s.rate),
      ...opt('warmup', s.warmup),
      ...opt('latencyLimit', s.latencyLimit),
      ...opt('protocol', s.protocol),
      defines,
      runThresholds,
      figureThresholds,
    };
  });
  if (problems.length > 0) throw fileProblems('SUITE_INVALID', file, 'suite', problems);
  return { name: data.name ?? file.replace(/^.*[\\/]/, '').replace(/\.[^.]+$/, ''), steps };
}
