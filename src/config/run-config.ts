/**
 * Resolution of `pgsurge run`'s configuration: option values (from the CLI, a form or a request)
 * → a validated, frozen RunConfig, reporting every problem at once in the user's words (`-R/--rate`,
 * never `rateHz`). Precedence: given values > PG* environment (for the target, in
 * src/driver/conninfo.ts) > the table's defaults. Rate stages without -R start from 0/s.
 */
import type { z } from 'zod';
import { usageError, PgsurgeError } from '../errors.js';
import { redactUrl } from '../driver/conninfo.js';
import { redactValue } from './redact.js';
import { loadScenarioFile } from './scenario.js';
import type { WorkloadSpec } from '../workload/resolve.js';
import { BUILTIN_NAMES, parseWorkloadSpec, resolveBuiltin, splitWeight } from './workload-spec.js';
import { defaultClients, stagesAreRatesOf } from './units.js';
import {
  RUN_OPTIONS,
  optionKey,
  optionLabel,
  runOptionByKey,
  type ParsedOption,
  type RunOptionKey,
  type RunOptionSpec,
  type RunOptionValues,
} from './run-options.js';
import { runConfigSchema, type RunConfig } from './run-schema.js';
import { parseListen } from './listen.js';
import { tagRecord } from './tags.js';
import { serverSettingRecord } from './server-settings.js';
export { BUILTIN_NAMES, parseWorkloadSpec } from './workload-spec.js';
export { PROTOCOLS, runConfigSchema, type RunConfig, type RunConfigField } from './run-schema.js';
export type { RunOptionValues } from './run-options.js';

/** Turn option values (as the CLI hands them over) into a validated, frozen RunConfig; every problem is reported at once. */
export function resolveRunConfig(values: RunOptionValues): RunConfig {
  return resolveWith(values, []);
}

/**
 * The same for a plain JSON-ish object (a form, a REST request): keys are the option keys of
 * RunOptionValues (`client`, `maxQueue`, `vacuum`…); numbers are taken for values; unknown keys
 * are problems like the others.
 */
export function resolveRunRequest(input: unknown): RunConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw usageError('BAD_OPTIONS', 'expected an object of option values');
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (k !== 'workloads' && runOptionByKey(k) === undefined) problems.push(`unknown option "${k}"`);
    else values[k] = v;
  }
  return resolveWith(values, problems);
}

/**
 * The config as echoed into a result: no URL or conninfo string keeps its password, and every other
 * string from the user (defines, paths, hosts) goes through the same redaction as printed output.
 */
export function redactRunConfig(cfg: RunConfig): Record<string, unknown> {
  return redactValue({
    ...cfg,
    ...(cfg.url === undefined ? {} : { url: redactUrl(cfg.url) }),
    targets: cfg.targets.map((t) => ({ name: t.name, url: redactUrl(t.url) })),
    replicas: cfg.replicas.map(redactUrl),
    observeServers: cfg.observeServers.map(redactUrl),
    thresholds: cfg.thresholds.map((t) => t.expr),
  }) as Record<string, unknown>;
}

/** A value of the given kind from a CLI or a request; undefined when it has another shape. */
function asText(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

function resolveWith(values: Readonly<Record<string, unknown>>, problems: string[]): RunConfig {
  // A single problem whose error carries hint lines (a threshold's grammar) is shown as it was thrown.
  let hinted: PgsurgeError | undefined;
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof PgsurgeError)) throw e;
      problems.push(e.message);
      if (e.details.length > 0) hinted = e;
      return undefined;
    }
  };

  // Each option's text through its parser (or its default's); flags and --out as they are.
  const parsed = new Map<string, unknown>();
  const given = (key: RunOptionKey): boolean => values[key] !== undefined;
  for (const o of RUN_OPTIONS as readonly RunOptionSpec[]) {
    const key = optionKey(o.long);
    const label = optionLabel(o);
    const v = values[key];
    switch (o.kind) {
      case 'value': {
        const t = v === undefined ? o.default : asText(v);
        if (v !== undefined && t === undefined) problems.push(`${label}: expected a value, got ${JSON.stringify(v)}`);
        else if (t !== undefined)
          parsed.set(
            key,
            attempt(() => o.parse(t, label)),
          );
        break;
      }
      case 'list': {
        const texts = v === undefined ? [] : Array.isArray(v) ? v.map(asText) : [asText(v)];
        if (texts.some((t) => t === undefined)) problems.push(`${label}: expected a list of values, got ${JSON.stringify(v)}`);
        parsed.set(
          key,
          texts.flatMap((t) => (t === undefined ? [] : [attempt(() => o.parse(t, label))])).filter((x) => x !== undefined),
        );
        break;
      }
      case 'optional-value':
        if (v !== undefined && typeof v !== 'boolean' && asText(v) === undefined) problems.push(`${label}: expected a value or true, got ${JSON.stringify(v)}`);
        // false is --no-x where the option has one, else the same as not given.
        else if (v === false ? o.negatedHelp !== undefined : v !== undefined) parsed.set(key, typeof v === 'boolean' ? v : asText(v));
        break;
      case 'flag':
        if (v !== undefined && typeof v !== 'boolean') problems.push(`${label}: expected true or false, got ${JSON.stringify(v)}`);
        // --no-x: false when given, true otherwise (as commander sets it).
        else parsed.set(key, o.long.startsWith('no-') ? v !== false : v === true);
        break;
    }
  }
  const one = <K extends RunOptionKey>(k: K): ParsedOption<K> | undefined => parsed.get(k) as ParsedOption<K> | undefined;
  const many = <K extends RunOptionKey>(k: K): ParsedOption<K>[] => (parsed.get(k) as ParsedOption<K>[] | undefined) ?? [];
  const flag = (k: RunOptionKey): boolean => parsed.get(k) === true;

  // Options that are not derived fill their one field as they are.
  const candidate: Record<string, unknown> = {};
  for (const o of RUN_OPTIONS) if (!('derived' in o) && o.fills[0] !== undefined) candidate[o.fills[0]] = parsed.get(optionKey(o.long));

  // Workloads: positional specs (a .yaml/.json one is a scenario file), -b, -f; or a scenario file.
  const positional: string[] = [];
  const workloadArgs = values['workloads'];
  if (workloadArgs !== undefined && !(Array.isArray(workloadArgs) && workloadArgs.every((w) => typeof w === 'string')))
    problems.push(`WORKLOAD: expected a list of workloads, got ${JSON.stringify(workloadArgs)}`);
  let scenarioFile = one('scenario');
  for (const spec of Array.isArray(workloadArgs) ? workloadArgs.filter((w): w is string => typeof w === 'string') : []) {
    if (/\.(ya?ml|json)$/i.test(spec)) {
      if (scenarioFile !== undefined) problems.push(`only one scenario file at a time (${scenarioFile}, ${spec})`);
      scenarioFile = spec;
    } else positional.push(spec);
  }
  let scenario: RunConfig['scenario'];
  if (scenarioFile !== undefined) {
    const file = scenarioFile;
    try {
      scenario = { file, ...loadScenarioFile(file) };
    } catch (e) {
      // A scenario file's error lists each of its problems.
      if (e instanceof PgsurgeError) problems.push(...(e.details.length > 0 ? e.details : [e.message]));
      else throw e;
    }
    const clash = (
      [
        ['workloads', positional.length > 0 || many('builtin').length > 0 || many('file').length > 0],
        ['-c', given('client')],
        ['-j', given('jobs')],
        ['-T', given('time')],
        ['-t', given('transactions')],
        ['-R', given('rate')],
        ['--stages', given('stages')],
        ['-L', given('latencyLimit')],
        ['--think-time', given('thinkTime')],
      ] as const
    )
      .filter(([, g]) => g)
      .map(([name]) => name);
    if (clash.length > 0) problems.push(`a scenario file sets the workloads and the load: leave out ${clash.join(', ')}`);
  }

  const workloads: WorkloadSpec[] = [];
  for (const spec of positional) attempt(() => workloads.push(parseWorkloadSpec(spec, 'WORKLOAD')));
  for (const spec of many('builtin')) {
    attempt(() => {
      const { name, weight } = splitWeight(spec, '-b');
      const b = resolveBuiltin(name);
      if (b === undefined) throw usageError('UNKNOWN_WORKLOAD', `-b: unknown built-in script "${name}" (${BUILTIN_NAMES.join(', ')})`);
      workloads.push({ kind: 'builtin', name: b, weight });
    });
  }
  for (const spec of many('file')) {
    attempt(() => {
      const { name, weight } = splitWeight(spec, '-f');
      workloads.push({ kind: 'file', name, weight });
    });
  }
  if (workloads.length === 0) workloads.push({ kind: 'builtin', name: 'tpcb-like', weight: 1 });
  if (workloads.every((w) => w.weight === 0)) problems.push('every workload has weight 0');

  // The load: its length, its model (rates or clients) and the defaults that follow from them.
  const durationMs = one('time');
  const transactionsPerClient = one('transactions');
  const rateHz = one('rate');
  const stagesParsed = one('stages');
  const stages = stagesParsed?.stages;
  const stagesAreRates = stagesAreRatesOf(stagesParsed, rateHz);
  const warmupMs = one('warmup') ?? 0;
  const progressMs = one('progress');
  const latencyLimitMs = one('latencyLimit');
  if (durationMs !== undefined && transactionsPerClient !== undefined) problems.push('-T and -t cannot be used together (pgbench refuses them too)');
  if (stages !== undefined && (durationMs !== undefined || transactionsPerClient !== undefined))
    problems.push('--stages sets the duration: leave out -T and -t');
  if (rateHz !== undefined && transactionsPerClient !== undefined) problems.push('-R needs a duration (-T or --stages), not -t');
  if (latencyLimitMs !== undefined && !stagesAreRates) problems.push('-L/--latency-limit needs an open-loop run (-R or rate stages)');
  const thinkTimeMs = one('thinkTime');
  if (thinkTimeMs !== undefined && (rateHz !== undefined || stages !== undefined))
    problems.push(`--think-time is for the closed loop: leave out ${rateHz !== undefined ? '-R/--rate' : '--stages'}`);
  if (given('thinkTimeDist') && !given('thinkTime')) problems.push('--think-time-dist needs --think-time');
  if (warmupMs > 0 && transactionsPerClient !== undefined) problems.push('--warmup needs a duration (-T), not -t');
  const totalStagesMs = stages?.reduce((a, s) => a + s.durationMs, 0);
  // --find-limit drives the load itself (src/limit): a fixed count or a given profile would fight it.
  const findLimit = flag('findLimit');
  if (findLimit) {
    if (transactionsPerClient !== undefined) problems.push('--find-limit needs a duration (-T bounds the whole search), not -t');
    if (stages !== undefined) problems.push('--find-limit steps the load itself: leave out --stages');
    if (scenarioFile !== undefined) problems.push('--find-limit and --scenario cannot be used together (the search steps one load)');
    if (many('target').length > 0) problems.push('--find-limit and --target cannot be used together: search one target at a time');
  } else if (given('findLimitStep')) problems.push('--find-limit-step needs --find-limit');
  candidate['findLimit'] = findLimit;
  candidate['findLimitStepMs'] = one('findLimitStep') ?? 5000;
  candidate['workloads'] = workloads;
  candidate['scenario'] = scenario;
  candidate['clients'] = one('client') ?? defaultClients(stagesAreRates, stages);
  // pgbench runs no more threads than clients (a thread without a client would idle and skew the
  // per-thread share of -R and --max-queue); the plan line and the result say what -j asked.
  const threads = one('jobs');
  const clients = candidate['clients'];
  candidate['threads'] = threads !== undefined && typeof clients === 'number' ? Math.min(threads, clients) : threads;
  if (threads !== undefined && typeof clients === 'number' && threads > clients) candidate['threadsAsked'] = threads;
  // --find-limit ends the run when its search is done: without -T it gets room for a dozen steps.
  const defaultDurationMs = findLimit ? 12 * (candidate['findLimitStepMs'] as number) : 10_000;
  candidate['durationMs'] = scenario?.durationMs ?? totalStagesMs ?? durationMs ?? (transactionsPerClient === undefined ? defaultDurationMs : undefined);
  candidate['rateHz'] = rateHz;
  candidate['stages'] = stages;
  candidate['stagesAreRates'] = stagesAreRates;
  candidate['thinkTime'] = thinkTimeMs === undefined ? undefined : { ms: thinkTimeMs, dist: one('thinkTimeDist') ?? 'fixed' };
  // pgbench's -P is also the grid its progress figures are computed on: the same here, unless --interval says otherwise.
  candidate['intervalMs'] = given('interval') ? (one('interval') ?? 1000) : progressMs !== undefined && progressMs > 0 ? progressMs : 1000;
  const stepMs = candidate['findLimitStepMs'] as number;
  const gridMs = candidate['intervalMs'] as number;
  if (findLimit && stepMs < 2 * gridMs)
    problems.push(`--find-limit-step ${stepMs / 1000}s: a step needs at least two intervals of ${gridMs / 1000}s (its first is not judged)`);
  if (findLimit && stepMs % gridMs !== 0) problems.push(`--find-limit-step ${stepMs / 1000}s: a whole number of intervals of ${gridMs / 1000}s`);
  candidate['defines'] = Object.fromEntries(many('define'));
  candidate['tags'] = attempt(() => tagRecord(many('tag'), '--tag')) ?? {};
  candidate['serverSettings'] = attempt(() => serverSettingRecord(many('serverSetting'), '--server-setting')) ?? {};
  if (many('serverSetting').length > 0) {
    const elsewhere = given('url') ? '--url' : many('target').length > 0 ? '--target' : one('fleet') !== undefined ? '--fleet' : undefined;
    if (elsewhere !== undefined)
      problems.push(`--server-setting sets up the throwaway server, and ${elsewhere} names a server of yours: set it there (ALTER SYSTEM, postgresql.conf)`);
  }
  candidate['noVacuum'] = parsed.get('vacuum') === false;
  candidate['verifyWrites'] = flag('verifyWrites');
  candidate['failover'] = flag('failover') || flag('verifyWrites');

  // Where the load goes: one target (--url or the environment), or each --target in turn.
  const targets = many('target');
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) problems.push(`--target: "${t.name}" is given twice`);
    names.add(t.name);
  }
  candidate['targets'] = targets;
  const replicas = many('replica');
  if (targets.length > 0 && given('url')) problems.push('--target and --url cannot be used together');
  if (targets.length > 0 && replicas.length > 0) problems.push('--replica and --target cannot be used together (each target is run as it is)');
  if (targets.length > 0 && flag('routeReads')) problems.push('--route-reads and --target cannot be used together (each target is run as it is)');
  if (replicas.length > 0 && flag('routeReads')) problems.push('--replica and --route-reads cannot be used together (reads go to the --replica servers)');
  // A part of a run (--shard): one load split across processes; what needs the whole run in one process is refused.
  const shard = one('shard');
  if (shard !== undefined) {
    const whole: [string, boolean][] = [
      ['--find-limit', findLimit],
      ['--target', targets.length > 0],
      ['--repeat', (one('repeat') ?? 1) > 1],
      ['--failover/--verify-writes', flag('failover') || flag('verifyWrites')],
    ];
    for (const [name, on] of whole) if (on) problems.push(`--shard and ${name} cannot be used together (one process must see the whole run)`);
    const groups = scenario === undefined ? [{ name: '', clients: candidate['clients'] }] : scenario.groups.map((g) => ({ name: g.name, clients: g.clients }));
    for (const g of groups) {
      if (typeof g.clients === 'number' && g.clients < shard.n)
        problems.push(
          `--shard ${shard.k}/${shard.n}: ${g.name === '' ? '' : `scenario ${g.name}: `}${g.clients} client${g.clients === 1 ? '' : 's'} cannot be split into ${shard.n} parts; give at least ${shard.n}`,
        );
    }
  } else if (given('runId')) problems.push('--run-id needs --shard');
  candidate['shard'] = shard;
  const coordinatorUrl = one('coordinator');
  if (coordinatorUrl !== undefined && shard === undefined) problems.push('--coordinator needs --shard (the part this process runs)');
  candidate['coordinatorUrl'] = coordinatorUrl;
  // A part that dials its coordinator speaks the same protocol as one reached over SSH.
  const coordinated = flag('coordinated') || coordinatorUrl !== undefined;
  if (coordinated && shard === undefined && coordinatorUrl === undefined) problems.push('--coordinated needs --shard');
  if (coordinated && one('startAt') !== undefined) problems.push('--coordinated and --start-at cannot be used together (the coordinator sets the start)');
  candidate['coordinated'] = coordinated;
  // Of a coordinator's parts only the first samples the server (one observer is enough and spares
  // it) and vacuums (parts vacuuming the same tables at once would wait on each other's locks):
  // pods of one Job run one command and learn their part from their index.
  if (coordinated && shard !== undefined && shard.k > 1) {
    candidate['observe'] = false;
    candidate['noVacuum'] = true;
  }
  const fleet = one('fleet');
  // What a coordinator (--fleet, --parts) cannot do: it runs no load itself and sees the run in parts.
  const notForCoordinators: [string, boolean][] = [
    ['--shard', shard !== undefined],
    ['--start-at', one('startAt') !== undefined],
    ['--find-limit', findLimit],
    ['--target', targets.length > 0],
    ['--repeat', (one('repeat') ?? 1) > 1],
    ['--failover/--verify-writes', flag('failover') || flag('verifyWrites')],
    ['--log', one('log') !== undefined],
    // One part cannot know when the others are done with the tables.
    ['--teardown', flag('teardown')],
  ];
  if (fleet !== undefined) {
    for (const [name, on] of notForCoordinators) if (on) problems.push(`--fleet and ${name} cannot be used together`);
    const n = fleet.length * (one('shardsPerHost') ?? 1);
    if (scenarioFile !== undefined)
      problems.push(
        `--fleet and a scenario file cannot be used together (${scenarioFile} names files every machine would need): run the parts with --shard K/N there, then pgsurge merge`,
      );
    const clients = candidate['clients'];
    if (typeof clients === 'number' && clients < n)
      problems.push(`--fleet: ${clients} client${clients === 1 ? '' : 's'} cannot be split into ${n} parts; give at least ${n}`);
  } else {
    for (const o of ['shardsPerHost', 'remoteCommand'] as const)
      if (given(o) && values[o] !== (o === 'shardsPerHost' ? '1' : 'npx pgsurge'))
        problems.push(`--${o === 'shardsPerHost' ? 'shards-per-host' : 'remote-command'} needs --fleet`);
    if (many('sshOption').length > 0) problems.push('--ssh-option needs --fleet');
  }
  candidate['fleet'] = fleet;
  const parts = one('parts');
  if (parts !== undefined) {
    for (const [name, on] of [['--fleet', fleet !== undefined] as [string, boolean], ...notForCoordinators])
      if (on) problems.push(`--parts and ${name} cannot be used together`);
    const clients = candidate['clients'];
    if (typeof clients === 'number' && clients < parts)
      problems.push(`--parts: ${clients} client${clients === 1 ? '' : 's'} cannot be split into ${parts} parts; give at least ${parts}`);
  } else {
    if (one('partsListen') !== undefined) problems.push('--parts-listen needs --parts');
    if (one('linger') !== undefined) problems.push('--linger needs --parts');
  }
  candidate['parts'] = parts;
  candidate['partsListen'] = parts === undefined ? undefined : (one('partsListen') ?? '0.0.0.0:7070');
  candidate['lingerMs'] = one('linger');
  candidate['shardsPerHost'] = one('shardsPerHost') ?? 1;
  candidate['sshOptions'] = many('sshOption');
  candidate['remoteCommand'] = one('remoteCommand') ?? 'npx pgsurge';
  const log = one('log');
  if (log !== undefined && targets.length > 0) problems.push('--log and --target cannot be used together (one log per run: run each target on its own)');
  if (log !== undefined && (one('repeat') ?? 1) > 1) problems.push('--log and --repeat cannot be used together (one log per run)');
  candidate['log'] = log;
  const ui = parsed.get('ui') as string | true | undefined;
  if (typeof ui === 'string') attempt(() => parseListen(ui, '--ui'));
  if (ui !== undefined) {
    const alone: [string, boolean][] = [
      ['--target', targets.length > 0],
      ['--repeat', (one('repeat') ?? 1) > 1],
      ['--coordinated', coordinated],
    ];
    for (const [name, on] of alone) if (on) problems.push(`--ui and ${name} cannot be used together (the live page shows one run)`);
  }
  candidate['runId'] = one('runId');

  // Refused, not resolved either way: machine figures are part of the server samples, so one of the two wishes would be dropped.
  if (parsed.get('observe') === false && many('serverMetrics').length > 0)
    problems.push('--server-metrics and --no-observe cannot be used together (machine figures come with the server samples): leave out one of them');
  if (parsed.get('observe') === false && many('observeServer').length > 0)
    problems.push('--observe-server and --no-observe cannot be used together (one names servers to sample, the other samples none): leave out one of them');

  if (problems.length === 1 && hinted !== undefined && hinted.message === problems[0]) throw hinted;
  if (problems.length > 0) {
    throw usageError(
      'BAD_OPTIONS',
      problems.length === 1 ? problems[0]! : `${problems.length} problems with the options:`,
      problems.length === 1 ? [] : problems,
    );
  }
  const result = runConfigSchema.safeParse(stripUndefined(candidate));
  if (!result.success) {
    const all = result.error.issues.map((i) => schemaProblem(i, values));
    // A field that options fill together (--stages sets the duration) is blamed on what was given.
    const lines = (all.some((p) => p.given) ? all.filter((p) => p.given) : all).map((p) => p.line);
    throw usageError('BAD_OPTIONS', lines.length === 1 ? lines[0]! : `${lines.length} problems with the options:`, lines.length === 1 ? [] : lines);
  }
  return Object.freeze(result.data);
}

/**
 * A schema problem in the user's words: the option as typed that fills the field (of those that
 * do, the one given: `durationMs` is -T's or --stages'), the stage for a list, what is wrong, and
 * the value as given (`--think-time: must be more than 0, got "0s"`). Never the field's name, its
 * sub-fields (`.ms`, `.durationMs`) or the schema library's wording.
 */
function schemaProblem(issue: z.core.$ZodIssue, values: Readonly<Record<string, unknown>>): { line: string; given: boolean } {
  const field = issue.path[0];
  const filling = RUN_OPTIONS.filter((x) => (x.fills as readonly PropertyKey[]).includes(field ?? ''));
  const o = filling.find((x) => values[optionKey(x.long)] !== undefined) ?? filling[0];
  const index = issue.path.find((p): p is number => typeof p === 'number');
  const label = `${o === undefined ? 'an option' : optionLabel(o)}${index === undefined ? '' : ` (item ${index + 1})`}`;
  const given = o === undefined ? undefined : asText(values[optionKey(o.long)]);
  const what =
    issue.code === 'too_small'
      ? `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}`
      : issue.code === 'too_big'
        ? `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}`
        : issue.message;
  return { line: `${label}: ${what}${given === undefined ? '' : `, got "${given}"`}`, given: given !== undefined };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
