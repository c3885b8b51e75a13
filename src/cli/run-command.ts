/**
 * `pgsurge run`: the one place where a run is wired together (k6's cmd/run.go):
 * config → workloads → target (maybe throwaway) → checks → engine → result → outputs → exit code.
 */
import type pg from 'pg';
import { resolveRunConfig, type RawRunOptions, type RunConfig } from '../config/run-config.js';
import { PgsurgeError, usageError } from '../errors.js';
import { runLoad, type RunGroup, type RunOutcome, type RunPlan } from '../engine/run.js';
import { groupSpecs, type GroupSpec } from './plan.js';
import { summarizeGroups } from '../report/groups.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import { parseConnInfo, redactUrl } from '../driver/conninfo.js';
import { parseThreshold, type Threshold } from '../metrics/thresholds.js';
import { FAILURE_CLASSES, type MetricsLayout } from '../metrics/types.js';
import { buildResult, type ResultV1 } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import { formatProgress } from '../output/progress.js';
import { mergeResolved, resolveWorkloads, type ResolvedWorkloads } from '../workload/resolve.js';
import { locateInModule } from '../workload/module/program.js';
import { collectWorkloadReports } from '../workload/builtin/run-report.js';
import { pgbenchDefaultSeed } from '../workload/pgbench/prng.js';
import type { TxnProgram } from '../workload/types.js';
import { detectPgbenchScale, initPgbench, DEFAULT_INIT_STEPS } from '../workload/builtin/pgbench-init.js';
import { openAdminClient } from '../driver/admin-client.js';
import { connectFirstHost, resolveTarget, type Target } from './target.js';
import { printErr, printOut, registerSecret, type CliIO } from './output.js';
import { TOOL } from './tool.js';
import { writeArtifacts } from './artifacts.js';
import { parseTargets, runTargets } from './multi-target.js';
import type { LiveOutput, RunContext } from '../output/types.js';
import { failoverExitCode, finishHa, formatFailover, prepareHa, type HaPrepared } from '../ha/ha-run.js';

/** Scale of pgbench tables created in a throwaway server when -s is not given. */
const THROWAWAY_DEFAULT_SCALE = 10;

/** Server facts and the checks that must pass before any load is sent. */
async function prepareServer(
  cfg: RunConfig,
  groups: readonly GroupSpec[],
  target: Target,
  work: ResolvedWorkloads,
  io: CliIO,
): Promise<{ host: HostSpec; serverVersion: string; scale: number }> {
  const { client, host } = await connectFirstHost(target.conn);
  try {
    const serverVersion = await showSetting(client, 'server_version');
    const maxConnections = Number(await showSetting(client, 'max_connections'));
    const reserved = Number(await showSetting(client, 'superuser_reserved_connections'));
    const inUse = Number((await client.query<{ n: string }>('select count(*) as n from pg_stat_activity where backend_type = $1', ['client backend'])).rows[0]?.n ?? 0);
    const available = maxConnections - reserved - inUse;
    const clients = groups.reduce((n, g) => n + g.clients, 0);
    if (clients > available) {
      throw usageError(
        'TOO_MANY_CLIENTS',
        `${cfg.scenario === undefined ? `-c ${clients}` : `${clients} clients`} is more than the server can take: max_connections is ${maxConnections} (${reserved} reserved, ${inUse} in use, so ${Math.max(0, available)} free); lower -c or raise max_connections`,
      );
    }
    let scale = cfg.scale ?? 1;
    if (work.usesPgbenchTables) {
      if (target.throwaway !== undefined) {
        scale = cfg.scale ?? THROWAWAY_DEFAULT_SCALE;
        printErr(io, `pgsurge: creating pgbench tables at scale ${scale} in the throwaway server`);
        await initPgbench(() => openAdminClient(target.conn, host), {
          scale,
          steps: DEFAULT_INIT_STEPS,
          unlogged: false,
          fillfactor: 100,
          partitions: 0,
          partitionMethod: 'range',
          foreignKeys: false,
        });
      } else {
        scale = await detectPgbenchScale(client);
        if (cfg.scale !== undefined && cfg.scale !== scale) {
          printErr(io, `pgsurge: scale option ignored, using count from pgbench_branches table (${scale})`);
        }
      }
      if (!cfg.noVacuum) {
        // pgbench's pre-run housekeeping, so repeated runs start alike.
        await client.query('vacuum pgbench_branches');
        await client.query('vacuum pgbench_tellers');
        await client.query('truncate pgbench_history');
      }
    }
    if (target.throwaway !== undefined) {
      for (const m of work.modules) {
        if (m.def.setup === undefined) continue;
        printErr(io, `pgsurge: running the setup of ${m.file} in the throwaway server`);
        await runModuleHook(m.file, 'setup', () => m.def.setup!(client, m.options as never));
      }
    }
    return { host, serverVersion, scale };
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function teardownModules(target: Target, host: HostSpec, work: ResolvedWorkloads, io: CliIO): Promise<void> {
  const withTeardown = work.modules.filter((m) => m.def.teardown !== undefined);
  if (withTeardown.length === 0) return;
  const client = await openAdminClient(target.conn, host);
  try {
    for (const m of withTeardown) {
      printErr(io, `pgsurge: running the teardown of ${m.file}`);
      await runModuleHook(m.file, 'teardown', () => m.def.teardown!(client, m.options as never));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Read routing (issue 7): --replica URLs, or with --route-reads the standbys among --url's hosts.
 * prefer-standby: a replica that has been promoted is left for a standby while there is one.
 */
function readTargets(raw: RawRunOptions, conn: ConnInfo, env: NodeJS.ProcessEnv): ConnInfo | undefined {
  const urls = raw.replica ?? [];
  if (urls.length === 0) return raw.routeReads === true ? { ...conn, targetSessionAttrs: 'prefer-standby' } : undefined;
  const parsed = urls.map((u) => parseConnInfo(u, env));
  for (const p of parsed) if (p.password !== undefined) registerSecret(p.password);
  return { ...parsed[0]!, hosts: parsed.flatMap((p) => p.hosts), targetSessionAttrs: 'prefer-standby' };
}

/** Measured transactions per host ("host:port"), with their mean latency. */
function hostFigures(outcome: RunOutcome): Record<string, { transactions: number; failed: number; meanLatencyMs: number | null }> {
  const out: Record<string, { transactions: number; failed: number; meanLatencyMs: number | null }> = {};
  for (const [h, f] of Object.entries(outcome.hosts)) {
    out[h] = { transactions: f.ok, failed: f.failed, meanLatencyMs: f.ok === 0 ? null : Math.round(f.latencySumUs / f.ok) / 1000 };
  }
  return out;
}

/** Run a module's setup or teardown; its failures name the module (they are the user's code). */
export async function runModuleHook(file: string, hook: 'setup' | 'teardown', fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    // A hook's own usage error (e.g. an option the server cannot satisfy) keeps its message and exit code.
    if (e instanceof PgsurgeError) throw e;
    throw new PgsurgeError('WORKLOAD_HOOK_FAILED', `${hook} of ${locateInModule(e, file)}`, { cause: e });
  }
}

async function showSetting(client: pg.Client, name: string): Promise<string> {
  const r = await client.query<{ setting: string }>('select current_setting($1) as setting', [name]);
  return r.rows[0]?.setting ?? '';
}

/**
 * With the extended protocols, every statement must parse on the server before the load starts.
 * Checked with PREPARE/DEALLOCATE inside one transaction on an ordinary connection, so that nothing
 * is left behind on the server's connections (which a pooler such as PgBouncer shares). Utility
 * statements (BEGIN, SET, VACUUM, …) cannot be PREPAREd and are left to the run.
 */
async function checkStatements(conn: ConnInfo, host: HostSpec, cfg: RunConfig, programs: readonly TxnProgram[]): Promise<void> {
  if (cfg.protocol === 'simple') return;
  const client = await openAdminClient(conn, host);
  const problems: string[] = [];
  try {
    await client.query('begin');
    for (const p of programs) {
      for (const st of p.statements) {
        if (!/^\s*(\(|select|insert|update|delete|merge|values|with|table)\b/i.test(st.parts[0] ?? '')) continue;
        const sql = st.parts.map((part, i) => (i === 0 ? part : `$${i}${part}`)).join('');
        await client.query('savepoint pgsurge_check');
        try {
          await client.query(`prepare pgsurge_check as ${sql.replace(/;\s*$/, '')}`);
          await client.query('deallocate pgsurge_check');
        } catch (e) {
          const err = e as { message?: string; code?: string; position?: string };
          const at = err.position === undefined ? '' : ` at position ${Math.max(1, Number(err.position) - 'prepare pgsurge_check as '.length)}`;
          problems.push(`cannot prepare statement of ${p.name}${st.line > 0 ? ` (line ${st.line})` : ''} "${st.text}": ${err.message ?? String(e)}${at}${err.code === undefined ? '' : ` (${err.code})`}`);
          await client.query('rollback to savepoint pgsurge_check');
        }
      }
    }
    await client.query('rollback');
  } finally {
    await client.end().catch(() => undefined);
  }
  if (problems.length > 0) throw usageError('STATEMENT_INVALID', problems[0]!, problems.slice(1));
}

function redactedConfig(cfg: RunConfig): Record<string, unknown> {
  return { ...cfg, ...(cfg.url === undefined ? {} : { url: redactUrl(cfg.url) }) };
}

export interface ExecutedRun {
  readonly result: ResultV1;
  readonly outcome: RunOutcome;
}

/**
 * One run against one target: checks, load, live outputs, result. The caller owns the target (and
 * stops a throwaway server) and decides what to print and write; a multi-target run calls this once
 * per target.
 */
export async function executeRun(
  cfg: RunConfig,
  target: Target,
  io: CliIO,
  opts: {
    readonly signal: AbortSignal;
    readonly outputs: readonly LiveOutput[];
    readonly onRunning?: () => void;
    /** Read routing: replicas for read-only transaction types. */
    readonly replicaConn?: ConnInfo | undefined;
  },
): Promise<ExecutedRun> {
  const specs = groupSpecs(cfg);
  const resolved = await Promise.all(specs.map((g) => resolveWorkloads(g.workloads, g.defines)));
  const work = mergeResolved(resolved);
  const thresholds: Threshold[] = cfg.thresholds.map((t) => parseThreshold(t));
  if (cfg.protocol === 'simple') {
    const piped = work.programs.find((p) => p.pipeline === true);
    if (piped !== undefined) throw usageError('PIPELINE_SIMPLE', `${piped.name}: pipeline mode needs -M extended or -M prepared (pgbench refuses -M simple with pipelines too)`);
  }
  const server = await prepareServer(cfg, specs, target, work, io);
  const ha = await prepareHa(cfg, target.conn, work.programs.map((p) => p.name), (file) => work.modules.find((m) => m.file === file)?.options);
  await checkStatements(target.conn, server.host, cfg, work.programs);

  // With several scenarios, transaction types are named "scenario/type".
  const prefix = (g: GroupSpec, name: string): string => (specs.length > 1 ? `${g.name}/${name}` : name);
  const layout: MetricsLayout = {
    txnTypes: specs.flatMap((g, i) => resolved[i]!.programs.map((p) => ({ name: prefix(g, p.name), statements: p.statements.map((s) => s.text) }))),
  };
  const totalClients = specs.reduce((n, g) => n + g.clients, 0);
  let typeOffset = 0;
  const groups: RunGroup[] = specs.map((g, i) => {
    const group: RunGroup = {
      name: g.name,
      scripts: resolved[i]!.sources,
      clients: g.clients,
      threads: g.threads,
      load: g.load,
      startOffsetMs: g.startOffsetMs,
      typeOffset,
      // pgbench's :default_seed is the draw after every client's seed; -D still overrides it.
      defines: { default_seed: String(pgbenchDefaultSeed(BigInt(cfg.randomSeed), totalClients)), ...g.defines },
    };
    typeOffset += resolved[i]!.programs.length;
    return group;
  });
  const plan: RunPlan = {
    conn: target.conn,
    host: server.host,
    protocol: cfg.protocol,
    layout,
    groups,
    gridDurationMs: cfg.scenario?.durationMs ?? cfg.durationMs,
    replicaConn: opts.replicaConn,
    warmupMs: cfg.warmupMs,
    scale: server.scale,
    maxTries: cfg.maxTries,
    queryTimeoutMs: cfg.queryTimeoutMs,
    graceMs: cfg.graceMs,
    intervalMs: cfg.intervalMs,
    seed: cfg.randomSeed,
    ...(ha === undefined ? {} : { ha: true }),
  };
  const ctx: RunContext = {
    conn: target.conn,
    host: server.host,
    layout,
    intervalMs: cfg.intervalMs,
    localServer: target.throwaway === undefined ? undefined : { pid: target.throwaway.pid, dataDir: target.throwaway.dataDir },
  };
  const opened: LiveOutput[] = [];
  const additions: Record<string, unknown> = {};
  try {
    for (const o of opts.outputs) {
      await o.open?.(ctx);
      opened.push(o);
    }
    const openLoop = groups.some((g) => g.load.kind === 'open');
    const progressEveryMs = cfg.progressMs === 0 ? undefined : (cfg.progressMs ?? (io.stderr.isTTY === true ? cfg.intervalMs : undefined));
    const everyN = progressEveryMs === undefined ? 0 : Math.max(1, Math.round(progressEveryMs / cfg.intervalMs));
    printErr(io, `pgsurge: ${describeLoad(cfg, plan)} against ${target.description} (PostgreSQL ${server.serverVersion}, scale ${server.scale})`);
    opts.onRunning?.();
    const outcome = await runLoad(plan, {
      signal: opts.signal,
      onMeasureStart: (us) => {
        for (const o of opened) o.start?.(us);
      },
      onInterval: (s) => {
        for (const o of opened) o.interval?.(s);
        if (everyN > 0 && (s.index + 1) % everyN === 0) printErr(io, formatProgress(s, ((s.index + 1) * cfg.intervalMs) / 1000, openLoop));
      },
    });
    for (const o of opened.splice(0)) Object.assign(additions, await o.stop?.());
    if (specs.length > 1) additions['scenarios'] = summarizeGroups(outcome.aggregator.totals(), groups, layout, outcome.durationS);
    additions['hosts'] = hostFigures(outcome);
    const built = makeResult(cfg, target, server.serverVersion, server.scale, outcome, thresholds, additions);
    let result = await addFailover(ha, built, outcome, target, layout, thresholds);
    // Workload-specific figures (data written, table sizes, vector path…), read before any teardown.
    if (work.modules.some((m) => m.def.report !== undefined)) {
      const client = await openAdminClient(target.conn, server.host);
      try {
        const workloads = await collectWorkloadReports(client, work, result);
        if (Object.keys(workloads).length > 0) result = { ...result, workloads };
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (cfg.teardown) await teardownModules(target, server.host, work, io);
    return { result, outcome };
  } finally {
    // Outputs still open here are stopped because the run failed; what they return is of no use then.
    for (const o of opened) await o.stop?.().catch(() => undefined);
  }
}

export async function runCommand(raw: RawRunOptions, io: CliIO, makeOutputs: (cfg: RunConfig) => LiveOutput[] = () => []): Promise<number> {
  const cfg = resolveRunConfig(raw);
  const targets = parseTargets(raw.target ?? []);
  if (targets.length > 0 && cfg.url !== undefined) throw usageError('BAD_TARGET', '--target and --url cannot be used together');
  // Scripts, modules and thresholds are checked before anything is started.
  const work = mergeResolved(await Promise.all(groupSpecs(cfg).map((g) => resolveWorkloads(g.workloads, g.defines))));
  if (work.unusedDefines.length > 0) printErr(io, `pgsurge: warning: -D ${work.unusedDefines.join(', ')}: not an option of the workload module`);
  cfg.thresholds.forEach((t) => parseThreshold(t));

  const interrupt = new AbortController();
  let running = false;
  let target: Target | undefined;
  const onSignal = (): void => {
    if (running && !interrupt.signal.aborted) {
      printErr(io, '\npgsurge: interrupted: stopping, the results so far will be reported (press Ctrl-C again to quit at once)');
      interrupt.abort();
      return;
    }
    printErr(io, '\npgsurge: interrupted');
    void (target?.throwaway?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (targets.length > 0) {
      running = true;
      const { exitCode } = await runTargets(cfg, targets, io, {
        signal: interrupt.signal,
        makeOutputs: () => makeOutputs(cfg),
        execute: executeRun,
        out: raw.out,
        html: raw.html,
      });
      return exitCode;
    }
    target = await resolveTarget({ url: cfg.url, pgBin: cfg.pgBin }, io.env, (l) => printErr(io, l));
    const replicaConn = readTargets(raw, target.conn, io.env);
    const { result, outcome } = await executeRun(cfg, target, io, { signal: interrupt.signal, outputs: makeOutputs(cfg), onRunning: () => (running = true), replicaConn });
    running = false;
    printOut(io, formatSummary(result, { perStatement: cfg.perStatement }));
    const failoverText = formatFailover(result);
    if (failoverText !== '') printOut(io, failoverText);
    const written = writeArtifacts(result, cfg, raw.out, raw.html);
    if (written.outDir !== undefined) printErr(io, `pgsurge: results in ${written.outDir}/ (result.json, report.html, intervals.csv)`);
    const code = exitCodeOf(result, outcome, io);
    // A failed write verification (exit 1) outranks a failed threshold (99): see src/ha/ha-run.ts.
    return code === 0 || code === 99 ? (failoverExitCode(result) ?? code) : code;
  } finally {
    running = false;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await target?.throwaway?.stop();
  }
}

function describeLoad(cfg: RunConfig, plan: RunPlan): string {
  const parts = plan.groups.map((g) => {
    const names = g.scripts.map((s) => (g.scripts.length > 1 ? `${s.name}@${s.weight}` : s.name)).join(', ');
    const load = g.load;
    const what =
      load.kind === 'open'
        ? `${load.stages === undefined ? `${load.rateHz}/s` : 'ramping rate'} (${load.arrivals}) with up to ${g.clients} clients`
        : `${g.clients} client${g.clients === 1 ? '' : 's'}${load.stages === undefined ? '' : ' (ramping)'}`;
    const when = g.startOffsetMs > 0 ? ` from ${g.startOffsetMs / 1000} s` : '';
    return `${plan.groups.length > 1 ? `${g.name}: ` : ''}${names}: ${what}, ${g.threads} thread${g.threads === 1 ? '' : 's'}${when}`;
  });
  const length = cfg.transactionsPerClient !== undefined ? `${cfg.transactionsPerClient} transactions each` : `${(plan.gridDurationMs ?? 0) / 1000} s`;
  return `running ${parts.join('; ')}; ${length}, -M ${cfg.protocol}`;
}

/** HA (src/ha): the failover section, the write verification and the rto/lost thresholds. */
async function addFailover(ha: HaPrepared | undefined, result: ResultV1, outcome: RunOutcome, target: Target, layout: MetricsLayout, thresholds: Threshold[]): Promise<ResultV1> {
  if (ha === undefined) return result;
  return await finishHa(ha, {
    conn: target.conn,
    result,
    haSnapshots: outcome.haSnapshots,
    measureStartUs: outcome.measureStartUs,
    typeNames: layout.txnTypes.map((t) => t.name),
    thresholds,
  });
}

function makeResult(
  cfg: RunConfig,
  target: Target,
  serverVersion: string,
  scale: number,
  outcome: RunOutcome,
  thresholds: Threshold[],
  additions: Readonly<Record<string, unknown>>,
): ResultV1 {
  const built = buildResult({
    tool: TOOL,
    startedAt: outcome.startedAt,
    durationS: outcome.durationS,
    target: {
      serverVersion,
      hosts: target.conn.hosts.map((h) => `${h.host}:${h.port}`),
      database: target.conn.database,
      user: target.conn.user,
      throwaway: target.throwaway !== undefined,
      scale,
    },
    config: redactedConfig(cfg),
    totals: outcome.aggregator.totals(),
    intervals: outcome.intervals,
    thresholds,
    firstErrors: outcome.firstErrors,
    ...(Array.isArray(additions['server']) ? { server: additions['server'] as Record<string, unknown>[] } : {}),
  });
  // Other additions (e.g. findings) are new top-level fields of the result.
  const rest = Object.fromEntries(Object.entries(additions).filter(([k]) => k !== 'server'));
  return { ...built, ...rest };
}

function exitCodeOf(result: ResultV1, outcome: RunOutcome, io: CliIO): number {
  const ok = result.summary.transactions;
  if (ok === 0) {
    const lines = FAILURE_CLASSES.filter((c) => outcome.firstErrors[c] !== undefined).map((c) => `  ${c}: ${outcome.firstErrors[c]}`);
    printErr(io, `pgsurge: no transaction succeeded${lines.length > 0 ? '; first error of each class:\n' + lines.join('\n') : ''}`);
    return 1;
  }
  if (outcome.interrupted) return 1;
  if (result.thresholds.some((t) => !t.ok)) return 99;
  return 0;
}
