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
import { z } from '../vendor/zod.js';
import { fileProblems, parseYamlWithSchema, readUserYamlFile } from './user-file.js';
import { defaultClients, parseDurationMs, parseRateHz, parseStages, stagesAreRatesOf, type Stage } from './units.js';
import { parseWorkloadSpec } from './workload-spec.js';

export interface ScenarioGroup {
  readonly name: string;
  /** Workload specs as on the command line: "select-only", "x.sql@3", "mod.ts". */
  readonly workloads: readonly string[];
  readonly clients: number;
  /** At most one per client, as in a plain run; `threads` as written is in threadsAsked when larger. */
  readonly threads: number;
  readonly threadsAsked?: number;
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
  return parseScenario(readUserYamlFile(file, 'SCENARIO_UNREADABLE', 'scenario file'), file);
}

export function parseScenario(source: string, file: string): { groups: ScenarioGroup[]; durationMs: number } {
  const { data, where } = parseYamlWithSchema(source, file, fileSchema, { kind: 'scenario', syntaxCode: 'SCENARIO_SYNTAX', invalidCode: 'SCENARIO_INVALID' });
  const problems: string[] = [];
  const attempt = <T>(path: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      problems.push(`${file}: ${path}: ${e instanceof Error ? e.message.replace(/^[^:]*: /, '') : String(e)}${where(path.split('.'))}`);
      return undefined;
    }
  };
  const defaultDurationMs = data.duration === undefined ? undefined : attempt('duration', () => parseDurationMs(data.duration!, 'duration'));
  const groups: ScenarioGroup[] = [];
  const entries = Object.entries(data.scenarios);
  if (entries.length === 0) problems.push(`${file}: scenarios: no scenario given`);
  for (const [name, s] of entries) {
    const at = `scenarios.${name}`;
    const rateHz = s.rate === undefined ? undefined : attempt(`${at}.rate`, () => parseRateHz(s.rate!, 'rate'));
    const stagesParsed = s.stages === undefined ? undefined : attempt(`${at}.stages`, () => parseStages(s.stages!, 'stages'));
    const stagesAreRates = stagesAreRatesOf(stagesParsed, rateHz);
    const startMs = s.start === undefined ? 0 : (attempt(`${at}.start`, () => parseDurationMs(s.start!, 'start')) ?? 0);
    const ownDurationMs = s.duration === undefined ? undefined : attempt(`${at}.duration`, () => parseDurationMs(s.duration!, 'duration'));
    const stagesMs = stagesParsed?.stages.reduce((a, st) => a + st.durationMs, 0);
    const durationMs = stagesMs ?? ownDurationMs ?? defaultDurationMs;
    if (durationMs === undefined) problems.push(`${file}: ${at}: needs a duration (its own, stages, or the file's duration)${where(at.split('.'))}`);
    if (stagesMs !== undefined && ownDurationMs !== undefined)
      problems.push(`${file}: ${at}: stages set the duration: leave out duration${where([...at.split('.'), 'duration'])}`);
    const latencyLimitMs = s.latencyLimit === undefined ? undefined : attempt(`${at}.latencyLimit`, () => parseDurationMs(s.latencyLimit!, 'latencyLimit'));
    if (latencyLimitMs !== undefined && !stagesAreRates)
      problems.push(`${file}: ${at}.latencyLimit: needs an open-loop scenario (rate)${where([...at.split('.'), 'latencyLimit'])}`);
    const workloads = Array.isArray(s.workload) ? s.workload : [s.workload];
    workloads.forEach((w, i) => attempt(`${at}.workload${Array.isArray(s.workload) ? `.${i}` : ''}`, () => parseWorkloadSpec(w, 'workload')));
    const clients = s.clients ?? defaultClients(stagesAreRates, stagesParsed?.stages);
    const threads = s.threads ?? 1;
    groups.push({
      name,
      workloads,
      clients,
      threads: Math.min(threads, clients),
      ...(threads > clients ? { threadsAsked: threads } : {}),
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
  if (problems.length > 0) throw fileProblems('SCENARIO_INVALID', file, 'scenario', problems);
  return { groups, durationMs: Math.max(...groups.map((g) => g.startMs + g.durationMs)) };
}
