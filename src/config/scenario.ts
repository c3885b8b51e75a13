/**
 * Scenario files: several workloads at once, each with its own load model and start time (Locust's
 * user classes, k6's scenarios). YAML or JSON:
 *
 * ```yaml
 * duration: 2m                      # default for scenarios that do not say
 * scenarios:
 *   readers:
 *     workload: select-only         # built-in, script.sql, module.ts; a list for a weighted mix
 *     rate: 900/s                   # open loop (clients: the pool, default 16) …
 *   writer:
 *     workload: [./bulk.ts@1]
 *     clients: 2                    # … or closed loop
 *     start: 30s
 *     duration: 1m
 * ```
 *
 * Every problem is reported at once, with its path in the file and its line.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { usageError } from '../errors.js';
import { parseDurationMs, parseRateHz, parseStages, type Stage } from './units.js';
import { parseWorkloadSpec } from './workload-spec.js';

export interface ScenarioGroup {
  readonly name: string;
  /** Workload specs as on the command line: "select-only", "x.sql@3", "mod.ts". */
  readonly workloads: readonly string[];
  readonly clients: number;
  readonly threads: number;
  readonly rateHz: number | undefined;
  readonly arrivals: 'uniform' | 'poisson';
  readonly stages: readonly Stage[] | undefined;
  readonly stagesAreRates: boolean;
  readonly startMs: number;
  readonly durationMs: number;
  readonly latencyLimitMs: number | undefined;
  readonly maxQueue: number;
  readonly defines: Readonly<Record<string, string>>;
}

const text = z.union([z.string(), z.number()]).transform(String);
const scenarioSchema = z.strictObject({
  workload: z.union([z.string(), z.array(z.string()).min(1)]),
  clients: z.number().int().positive().optional(),
  threads: z.number().int().positive().optional(),
  rate: text.optional(),
  arrivals: z.enum(['uniform', 'poisson']).optional(),
  stages: text.optional(),
  start: text.optional(),
  duration: text.optional(),
  latencyLimit: text.optional(),
  maxQueue: z.number().int().positive().optional(),
  define: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
});
const fileSchema = z.strictObject({
  duration: text.optional(),
  scenarios: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'scenario names use letters, digits, "_", "-", "."'), scenarioSchema),
});

export function loadScenarioFile(file: string): { groups: ScenarioGroup[]; durationMs: number } {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw usageError('SCENARIO_UNREADABLE', `cannot read scenario file ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`);
  }
  return parseScenario(source, file);
}

export function parseScenario(source: string, file: string): { groups: ScenarioGroup[]; durationMs: number } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw usageError('SCENARIO_SYNTAX', `${file}${pos === undefined ? '' : `:${pos.line}:${pos.col}`}: ${e.message.split('\n')[0]}`);
  }
  const where = (path: readonly PropertyKey[]): string => {
    const node = doc.getIn(path.map(String), true);
    if (!isNode(node) || node.range === undefined || node.range === null) return '';
    const p = lines.linePos(node.range[0]);
    return ` (line ${p.line})`;
  };
  const parsed = fileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top level)'}: ${i.message}${where(i.path)}`);
    throw usageError('SCENARIO_INVALID', `${file}: ${details.length} problem${details.length === 1 ? '' : 's'} in the scenario file:`, details);
  }
  const problems: string[] = [];
  const attempt = <T>(path: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      problems.push(`${file}: ${path}: ${e instanceof Error ? e.message.replace(/^[^:]*: /, '') : String(e)}${where(path.split('.'))}`);
      return undefined;
    }
  };
  const defaultDurationMs = parsed.data.duration === undefined ? undefined : attempt('duration', () => parseDurationMs(parsed.data.duration!, 'duration'));
  const groups: ScenarioGroup[] = [];
  const entries = Object.entries(parsed.data.scenarios);
  if (entries.length === 0) problems.push(`${file}: scenarios: no scenario given`);
  for (const [name, s] of entries) {
    const at = `scenarios.${name}`;
    const rateHz = s.rate === undefined ? undefined : attempt(`${at}.rate`, () => parseRateHz(s.rate!, 'rate'));
    const stagesParsed = s.stages === undefined ? undefined : attempt(`${at}.stages`, () => parseStages(s.stages!, 'stages'));
    const stagesAreRates = stagesParsed === undefined ? rateHz !== undefined : (stagesParsed.rates ?? rateHz !== undefined);
    const startMs = s.start === undefined ? 0 : (attempt(`${at}.start`, () => parseDurationMs(s.start!, 'start')) ?? 0);
    const ownDurationMs = s.duration === undefined ? undefined : attempt(`${at}.duration`, () => parseDurationMs(s.duration!, 'duration'));
    const stagesMs = stagesParsed?.stages.reduce((a, st) => a + st.durationMs, 0);
    const durationMs = stagesMs ?? ownDurationMs ?? defaultDurationMs;
    if (durationMs === undefined) problems.push(`${file}: ${at}: needs a duration (its own, stages, or the file's duration)${where(at.split('.'))}`);
    if (stagesMs !== undefined && ownDurationMs !== undefined) problems.push(`${file}: ${at}: stages set the duration: leave out duration${where([...at.split('.'), 'duration'])}`);
    const latencyLimitMs = s.latencyLimit === undefined ? undefined : attempt(`${at}.latencyLimit`, () => parseDurationMs(s.latencyLimit!, 'latencyLimit'));
    if (latencyLimitMs !== undefined && !stagesAreRates) problems.push(`${file}: ${at}.latencyLimit: needs an open-loop scenario (rate)${where([...at.split('.'), 'latencyLimit'])}`);
    const workloads = Array.isArray(s.workload) ? s.workload : [s.workload];
    workloads.forEach((w, i) => attempt(`${at}.workload${Array.isArray(s.workload) ? `.${i}` : ''}`, () => parseWorkloadSpec(w, 'workload')));
    groups.push({
      name,
      workloads,
      clients: s.clients ?? (stagesAreRates ? 16 : stagesParsed !== undefined ? Math.max(1, ...stagesParsed.stages.map((st) => st.target)) : 1),
      threads: s.threads ?? 1,
      rateHz,
      arrivals: s.arrivals ?? 'poisson',
      stages: stagesParsed?.stages,
      stagesAreRates,
      startMs,
      durationMs: durationMs ?? 0,
      latencyLimitMs,
      maxQueue: s.maxQueue ?? 10_000,
      defines: s.define ?? {},
    });
  }
  if (problems.length > 0) {
    throw usageError('SCENARIO_INVALID', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the scenario file:`, problems);
  }
  return { groups, durationMs: Math.max(...groups.map((g) => g.startMs + g.durationMs)) };
}
