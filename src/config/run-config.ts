/**
 * The resolved configuration of `pgsurge run`: one zod schema is the source of truth for the types;
 * `resolveRunConfig` turns raw CLI values into it, reporting every problem at once, and freezes it.
 * Precedence: CLI > PG* environment (for the target, in src/driver/conninfo.ts) > defaults.
 * Rate stages without -R start from 0/s.
 */
import { z } from 'zod';
import { usageError, PgsurgeError } from '../errors.js';
import { loadScenarioFile, type ScenarioGroup } from './scenario.js';
import type { WorkloadSpec } from '../workload/resolve.js';
import { BUILTIN_NAMES, parseWorkloadSpec, resolveBuiltin, splitWeight } from './workload-spec.js';
export { BUILTIN_NAMES, parseWorkloadSpec } from './workload-spec.js';
import { THINK_DISTS } from '../executor/think-time.js';
import { defaultClients, parseDefine, parseDurationMs, parsePositiveInt, parseRateHz, parseStages, stagesAreRatesOf, type Stage } from './units.js';

export const PROTOCOLS = ['simple', 'extended', 'prepared'] as const;

const stageSchema = z.object({ durationMs: z.number().positive(), target: z.number().nonnegative() });

export const runConfigSchema = z.object({
  /** Workload specs as given: built-in names or script files, each with an optional @weight. */
  workloads: z.array(z.object({ kind: z.enum(['builtin', 'file', 'module']), name: z.string(), weight: z.number().int().nonnegative() })).min(1),
  url: z.string().optional(),
  pgBin: z.string().optional(),
  clients: z.number().int().positive(),
  threads: z.number().int().positive(),
  durationMs: z.number().positive().optional(),
  transactionsPerClient: z.number().int().positive().optional(),
  rateHz: z.number().positive().optional(),
  arrivals: z.enum(['uniform', 'poisson']),
  maxQueue: z.number().int().positive(),
  latencyLimitMs: z.number().positive().optional(),
  stages: z.array(stageSchema).optional(),
  stagesAreRates: z.boolean(),
  /** Closed loop: each client waits this long (fixed, or exponential with this mean) after a transaction. */
  thinkTime: z.object({ ms: z.number().positive(), dist: z.enum(THINK_DISTS) }).optional(),
  warmupMs: z.number().nonnegative(),
  progressMs: z.number().nonnegative().optional(),
  intervalMs: z.number().positive(),
  protocol: z.enum(PROTOCOLS),
  scale: z.number().int().positive().optional(),
  defines: z.record(z.string(), z.string()),
  noVacuum: z.boolean(),
  /** Run the workload modules' teardown after the run. */
  teardown: z.boolean(),
  perStatement: z.boolean(),
  maxTries: z.number().int().positive(),
  randomSeed: z.number().int().nonnegative(),
  queryTimeoutMs: z.number().positive(),
  graceMs: z.number().nonnegative(),
  json: z.string().optional(),
  csv: z.string().optional(),
  thresholds: z.array(z.string()),
  verbose: z.boolean(),
  /** Measure failover (outages, reconnects, timelines: src/ha); implied by verifyWrites. */
  failover: z.boolean(),
  /** Keep a ledger of every write and check the final state after the run (ha-writes workload). */
  verifyWrites: z.boolean(),
  /** A scenario file: several workloads, each with its own load (replaces the workloads and load options). */
  scenario: z
    .object({
      file: z.string(),
      durationMs: z.number().positive(),
      groups: z.array(z.custom<ScenarioGroup>((v) => typeof v === 'object' && v !== null)),
    })
    .optional(),
});

export type RunConfig = Readonly<z.infer<typeof runConfigSchema>>;

/** Raw option values as the CLI library hands them over (strings, repeatables as arrays). */
export interface RawRunOptions {
  readonly workloads: readonly string[];
  readonly builtin?: readonly string[];
  readonly file?: readonly string[];
  readonly url?: string;
  readonly pgBin?: string;
  readonly client?: string;
  readonly jobs?: string;
  readonly time?: string;
  readonly transactions?: string;
  readonly rate?: string;
  readonly arrivals?: string;
  readonly maxQueue?: string;
  readonly latencyLimit?: string;
  readonly stages?: string;
  readonly thinkTime?: string;
  readonly thinkTimeDist?: string;
  readonly warmup?: string;
  readonly progress?: string;
  readonly interval?: string;
  readonly protocol?: string;
  readonly scale?: string;
  readonly define?: readonly string[];
  readonly vacuum?: boolean;
  readonly teardown?: boolean;
  readonly reportPerCommand?: boolean;
  readonly maxTries?: string;
  readonly randomSeed?: string;
  readonly queryTimeout?: string;
  readonly grace?: string;
  readonly json?: string;
  readonly csv?: string;
  readonly threshold?: readonly string[];
  readonly verbose?: boolean;
  readonly failover?: boolean;
  readonly verifyWrites?: boolean;
  readonly scenario?: string;
  /** --out [DIR]: true when given without a directory. */
  readonly out?: string | boolean;
  readonly html?: string;
  /** --target NAME=URL (repeatable): the same run against each target in turn. */
  readonly target?: readonly string[];
  /** --replica URL (repeatable): read-only transaction types go there. */
  readonly replica?: readonly string[];
  /** --route-reads: read-only transaction types go to the standbys among --url's hosts. */
  readonly routeReads?: boolean;
}

/** Turn raw CLI values into a validated, frozen RunConfig; every problem is reported at once. */
export function resolveRunConfig(raw: RawRunOptions): RunConfig {
  const problems: string[] = [];
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      // An error that lists several problems (a scenario file) contributes each of them.
      if (e instanceof PgsurgeError) problems.push(...(e.details.length > 0 ? e.details : [e.message]));
      else throw e;
      return undefined;
    }
  };

  let scenarioFile = raw.scenario;
  const positional: string[] = [];
  for (const spec of raw.workloads) {
    if (/\.(ya?ml|json)$/i.test(spec)) {
      if (scenarioFile !== undefined) problems.push(`only one scenario file at a time (${scenarioFile}, ${spec})`);
      scenarioFile = spec;
    } else positional.push(spec);
  }
  const scenario = scenarioFile === undefined ? undefined : attempt(() => ({ file: scenarioFile, ...loadScenarioFile(scenarioFile) }));
  if (scenarioFile !== undefined) {
    const clash = (
      [
        ['workloads', positional.length > 0 || (raw.builtin ?? []).length > 0 || (raw.file ?? []).length > 0],
        ['-c', raw.client !== undefined],
        ['-j', raw.jobs !== undefined],
        ['-T', raw.time !== undefined],
        ['-t', raw.transactions !== undefined],
        ['-R', raw.rate !== undefined],
        ['--stages', raw.stages !== undefined],
        ['-L', raw.latencyLimit !== undefined],
        ['--think-time', raw.thinkTime !== undefined],
      ] as const
    )
      .filter(([, given]) => given)
      .map(([name]) => name);
    if (clash.length > 0) problems.push(`a scenario file sets the workloads and the load: leave out ${clash.join(', ')}`);
  }

  const workloads: WorkloadSpec[] = [];
  for (const spec of positional) {
    attempt(() => workloads.push(parseWorkloadSpec(spec, 'WORKLOAD')));
  }
  for (const spec of raw.builtin ?? []) {
    attempt(() => {
      const { name, weight } = splitWeight(spec, '-b');
      const b = resolveBuiltin(name);
      if (b === undefined) throw usageError('UNKNOWN_WORKLOAD', `-b: unknown built-in script "${name}" (${BUILTIN_NAMES.join(', ')})`);
      workloads.push({ kind: 'builtin', name: b, weight });
    });
  }
  for (const spec of raw.file ?? []) {
    attempt(() => {
      const { name, weight } = splitWeight(spec, '-f');
      workloads.push({ kind: 'file', name, weight });
    });
  }
  if (workloads.length === 0) workloads.push({ kind: 'builtin', name: 'tpcb-like', weight: 1 });
  if (workloads.every((w) => w.weight === 0)) problems.push('every workload has weight 0');

  const defines: Record<string, string> = {};
  for (const d of raw.define ?? []) {
    const define = attempt(() => parseDefine(d));
    if (define !== undefined) defines[define[0]] = define[1];
  }

  const clients = attempt(() => (raw.client === undefined ? undefined : parsePositiveInt(raw.client, '-c/--client')));
  const threads = attempt(() => (raw.jobs === undefined ? 1 : parsePositiveInt(raw.jobs, '-j/--jobs'))) ?? 1;
  const durationMs = attempt(() => (raw.time === undefined ? undefined : parseDurationMs(raw.time, '-T/--time')));
  const transactionsPerClient = attempt(() => (raw.transactions === undefined ? undefined : parsePositiveInt(raw.transactions, '-t/--transactions')));
  const rateHz = attempt(() => (raw.rate === undefined ? undefined : parseRateHz(raw.rate, '-R/--rate')));
  const stagesParsed = attempt(() => (raw.stages === undefined ? undefined : parseStages(raw.stages)));
  const stages: Stage[] | undefined = stagesParsed?.stages;
  const stagesAreRates = stagesAreRatesOf(stagesParsed, rateHz);
  const thinkTime = attempt(() => (raw.thinkTime === undefined ? undefined : { ms: parseDurationMs(raw.thinkTime, '--think-time'), dist: raw.thinkTimeDist ?? 'fixed' }));
  const warmupMs = attempt(() => (raw.warmup === undefined ? 0 : parseDurationMs(raw.warmup, '--warmup'))) ?? 0;
  const progressMs = attempt(() => (raw.progress === undefined ? undefined : parseDurationMs(raw.progress, '-P/--progress')));
  // pgbench's -P is also the grid its progress figures are computed on: the same here, unless --interval says otherwise.
  const intervalMs = attempt(() => (raw.interval === undefined ? (progressMs !== undefined && progressMs > 0 ? progressMs : 1000) : parseDurationMs(raw.interval, '--interval'))) ?? 1000;
  const latencyLimitMs = attempt(() => (raw.latencyLimit === undefined ? undefined : parseDurationMs(/^\d+(\.\d+)?$/.test(raw.latencyLimit) ? `${raw.latencyLimit}ms` : raw.latencyLimit, '-L/--latency-limit')));
  const queryTimeoutMs = attempt(() => parseDurationMs(raw.queryTimeout ?? '30s', '--query-timeout')) ?? 30_000;
  const graceMs = attempt(() => parseDurationMs(raw.grace ?? '5s', '--grace')) ?? 5000;
  const maxTries = attempt(() => (raw.maxTries === undefined ? 1 : parsePositiveInt(raw.maxTries, '--max-tries'))) ?? 1;
  const maxQueue = attempt(() => (raw.maxQueue === undefined ? 10_000 : parsePositiveInt(raw.maxQueue, '--max-queue'))) ?? 10_000;
  const scale = attempt(() => (raw.scale === undefined ? undefined : parsePositiveInt(raw.scale, '-s/--scale')));

  let randomSeed = Math.floor(Math.random() * 2 ** 32);
  if (raw.randomSeed !== undefined && raw.randomSeed !== 'time' && raw.randomSeed !== 'rand') {
    if (!/^\d+$/.test(raw.randomSeed)) problems.push(`--random-seed: expected an unsigned integer, "time" or "rand", got "${raw.randomSeed}"`);
    else randomSeed = Number(raw.randomSeed) % 2 ** 53;
  } else if (raw.randomSeed === 'time') randomSeed = Date.now() % 2 ** 32;

  const protocol = raw.protocol ?? 'prepared';
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) problems.push(`-M/--protocol: expected simple, extended or prepared, got "${protocol}"`);
  const arrivals = raw.arrivals ?? 'poisson';
  if (arrivals !== 'uniform' && arrivals !== 'poisson') problems.push(`--arrivals: expected uniform or poisson, got "${arrivals}"`);

  if (durationMs !== undefined && transactionsPerClient !== undefined) problems.push('-T and -t cannot be used together (pgbench refuses them too)');
  if (stages !== undefined && (durationMs !== undefined || transactionsPerClient !== undefined)) problems.push('--stages sets the duration: leave out -T and -t');
  if (rateHz !== undefined && transactionsPerClient !== undefined) problems.push('-R needs a duration (-T or --stages), not -t');
  if (latencyLimitMs !== undefined && !stagesAreRates) problems.push('-L/--latency-limit needs an open-loop run (-R or rate stages)');
  if (raw.thinkTime !== undefined && (rateHz !== undefined || stages !== undefined)) problems.push(`--think-time is for the closed loop: leave out ${rateHz !== undefined ? '-R/--rate' : '--stages'}`);
  if (raw.thinkTimeDist !== undefined && !(raw.thinkTime !== undefined && (THINK_DISTS as readonly string[]).includes(raw.thinkTimeDist))) problems.push(`--think-time-dist: expected ${THINK_DISTS.join(' or ')}, with --think-time`);
  if (warmupMs > 0 && transactionsPerClient !== undefined) problems.push('--warmup needs a duration (-T), not -t');

  const totalStagesMs = stages?.reduce((a, s) => a + s.durationMs, 0);
  const candidate: Record<string, unknown> & { durationMs: number | undefined } = {
    workloads,
    url: raw.url,
    pgBin: raw.pgBin,
    clients: clients ?? defaultClients(stagesAreRates, stages),
    threads,
    durationMs: totalStagesMs ?? durationMs ?? (transactionsPerClient === undefined ? 10_000 : undefined),
    transactionsPerClient,
    rateHz,
    arrivals,
    maxQueue,
    latencyLimitMs,
    stages,
    stagesAreRates,
    thinkTime,
    warmupMs,
    progressMs,
    intervalMs,
    protocol,
    scale,
    defines,
    noVacuum: raw.vacuum === false,
    teardown: raw.teardown === true,
    perStatement: raw.reportPerCommand === true,
    maxTries,
    randomSeed,
    queryTimeoutMs,
    graceMs,
    json: raw.json,
    csv: raw.csv,
    thresholds: [...(raw.threshold ?? [])],
    verbose: raw.verbose === true,
    failover: raw.failover === true || raw.verifyWrites === true,
    verifyWrites: raw.verifyWrites === true,
    scenario,
  };
  if (scenario !== undefined) candidate.durationMs = scenario.durationMs;
  if (problems.length > 0) {
    throw usageError('BAD_OPTIONS', problems.length === 1 ? problems[0]! : `${problems.length} problems with the options:`, problems.length === 1 ? [] : problems);
  }
  const parsed = runConfigSchema.safeParse(stripUndefined(candidate));
  if (!parsed.success) {
    throw usageError('BAD_OPTIONS', 'invalid options:', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return Object.freeze(parsed.data);
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
