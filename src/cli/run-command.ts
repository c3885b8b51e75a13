/**
 * `pgsurge run`: the one place where a run is wired together (k6's cmd/run.go):
 * config → workloads → target (maybe throwaway) → checks → engine → result → outputs → exit code.
 */
import { join } from 'node:path';
import { redactRunConfig, resolveRunConfig, type RunConfig, type RunOptionValues } from '../config/run-config.js';
import { RunControl, runLoad, type RunOutcome } from '../engine/run.js';
import { findLimitRun, limitExitCode } from '../limit/run-limit.js';
import { isOpenLoop } from '../executor/registry.js';
import { buildRunPlan, describeRun, planWorkloads, type PlannedWorkloads } from './plan.js';
import { summarizeGroups } from '../report/groups.js';
import type { ConnInfo } from '../driver/types.js';
import { hasEnvironmentTarget, parseConnInfo } from '../driver/conninfo.js';
import type { Threshold } from '../metrics/thresholds.js';
import { FAILURE_CLASSES, type MetricsLayout } from '../metrics/types.js';
import type { IntervalSnapshot } from '../metrics/snapshot.js';
import type { Totals } from '../metrics/aggregator.js';
import { buildResult, judgeResult, type ResultSections, type ResultV1, type RunStop, type ServerSample } from '../report/result.js';
import { formatSummary } from '../report/summary.js';
import { progressEveryMs, type ProgressOptions } from '../output/progress.js';
import { createRunOutputs } from '../output/registry.js';
import { openRunOutputs } from '../output/run-outputs.js';
import { collectWorkloadReports } from '../workload/builtin/run-report.js';
import { openAdminClient, samplingDeadline } from '../driver/admin-client.js';
import { resolveTarget, type Target } from './target.js';
import { checkStatements, prepareServer, teardownModules } from './prepare-server.js';
import { printErr, printOut, registerSecret, type CliIO } from './output.js';
import { unreachable, usageError, PgsurgeError } from '../errors.js';
import { TOOL } from './tool.js';
import { runInputFiles, writeArtifacts } from './artifacts.js';
import { checkRepeatOptions, checkRepeatOutputs, runRepeated } from './repeat.js';
import { formatOutputFailure } from './output-paths.js';
import { checkTargetOutputs, runTargets } from './multi-target.js';
import { stopOutputsWithin, type ExecutedRun } from './executed-run.js';
import { checkRunHistory, recordInHistory, resultFileOf } from './run-history.js';
import { runExitCode } from './exit-code.js';
import type { LiveOutput, RunContext } from '../output/types.js';
import { failoverExitCode, finishHa, liveFailover, prepareHa, type HaPrepared } from '../ha/ha-run.js';
import { ShardRecorder } from '../distributed/shard-recorder.js';
import { CoordinatedPart, type PartIO } from '../distributed/coordinated-part.js';
import type { ShardPart } from '../executor/types.js';
import type { RunUi } from './run-ui.js';

/**
 * Read routing: --replica URLs, or with --route-reads the standbys among --url's hosts.
 * prefer-standby: a replica that has been promoted is left for a standby while there is one.
 */
/** --observe-server URLs, parsed (their passwords registered for redaction). */
export function observeServers(urls: readonly string[], env: NodeJS.ProcessEnv): ConnInfo[] {
  return urls.map((u) => {
    const c = parseConnInfo(u, env);
    if (c.password !== undefined) registerSecret(c.password);
    return c;
  });
}

export function readTargets(cfg: RunConfig, conn: ConnInfo, env: NodeJS.ProcessEnv): ConnInfo | undefined {
  const urls = cfg.replicas;
  if (urls.length === 0) return cfg.routeReads ? { ...conn, targetSessionAttrs: 'prefer-standby' } : undefined;
  const parsed = urls.map((u) => parseConnInfo(u, env));
  for (const p of parsed) if (p.password !== undefined) registerSecret(p.password);
  return { ...parsed[0]!, hosts: parsed.flatMap((p) => p.hosts), targetSessionAttrs: 'prefer-standby' };
}

/** Measured transactions per host ("host:port"), with their mean latency. */
function hostFigures(outcome: RunOutcome): NonNullable<ResultV1['hosts']> {
  const out: NonNullable<ResultV1['hosts']> = {};
  for (const [h, f] of Object.entries(outcome.hosts)) {
    out[h] = { transactions: f.ok, failed: f.failed, meanLatencyMs: f.ok === 0 ? null : Math.round(f.latencySumUs / f.ok) / 1000 };
  }
  return out;
}

function redactedConfig(cfg: RunConfig): Record<string, unknown> {
  return redactRunConfig(cfg);
}

export type { ExecutedRun } from './executed-run.js';

/** What the outputs may take beyond the observer's own bound (one sampling deadline) to stop. */
const OUTPUTS_STOP_SLACK_MS = 5_000;

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
    /** Aborting stops the load at once (a second signal), keeping what was measured (RunHooks.stopNow). */
    readonly stopNow?: AbortSignal;
    readonly outputs: readonly LiveOutput[];
    readonly onRunning?: () => void;
    /** Read routing: replicas for read-only transaction types. */
    readonly replicaConn?: ConnInfo | undefined;
    /** The workloads, when the caller has resolved them already (checked before anything started). */
    readonly planned?: PlannedWorkloads;
    /** Changes the load's target while it runs (a live page, the API); each change is recorded in the result. */
    readonly control?: RunControl;
    /** A coordinator's part: starts at its go, streams its intervals (src/distributed/coordinated-part.ts). */
    readonly part?: CoordinatedPart;
    /**
     * Handed, once the run is planned, a function that builds the result of the run so far (with
     * the server samples the caller kept): a live page renders it like the final one. Needs `control`.
     */
    readonly watch?: (soFar: (server: readonly ServerSample[]) => ResultV1 | undefined) => void;
  },
): Promise<ExecutedRun> {
  const planned = opts.planned ?? (await planWorkloads(cfg));
  const { specs, work } = planned;
  // A part of a run (--shard) sees only its share: the thresholds speak of the whole run, judged by pgsurge merge.
  const thresholds: Threshold[] = cfg.shard === undefined ? cfg.thresholds : [];
  const server = await prepareServer(cfg, specs, target, work, io);
  const ha = await prepareHa(
    cfg,
    target.conn,
    work.programs.map((p) => p.name),
    (file) => work.modules.find((m) => m.file === file)?.options,
  );
  await checkStatements(target.conn, server.host, cfg, work.programs);
  const plan = buildRunPlan(cfg, planned, server, target.conn, { replicaConn: opts.replicaConn, ha: ha !== undefined });
  const { layout, groups } = plan;
  const ctx: RunContext = {
    conn: target.conn,
    host: server.host,
    layout,
    intervalMs: cfg.intervalMs,
    warmupMs: cfg.warmupMs,
    localServer: target.throwaway === undefined ? undefined : { pid: target.throwaway.pid, dataDir: target.throwaway.dataDir },
    tables: work.modules.flatMap((m) => m.def.tables ?? []),
    replicaConn: opts.replicaConn,
    observeServers: observeServers(cfg.observeServers, io.env),
    warn: (line) => printErr(io, `pgsurge: warning: ${line}`),
  };
  // The progress line comes from the output factory too; made here (it needs -P, the terminal and
  // the load's kind) unless the caller's outputs have one already.
  const progress: ProgressOptions = {
    everyMs: progressEveryMs(cfg.progressMs, cfg.intervalMs, io.stderr.isTTY === true),
    intervalMs: cfg.intervalMs,
    openLoop: groups.some((g) => isOpenLoop(g.load)),
    write: (line) => printErr(io, line),
  };
  const own = opts.outputs.some((o) => o.name === 'progress') ? [] : createRunOutputs({ progress });
  // --find-limit: a step controller drives the load through the run's control (src/limit).
  const control = opts.control ?? (cfg.findLimit ? new RunControl() : undefined);
  const limit = cfg.findLimit && control !== undefined ? findLimitRun(cfg, progress.openLoop, control, (line) => printErr(io, line)) : undefined;
  const outputs = await openRunOutputs([...opts.outputs, ...own, ...(limit === undefined ? [] : [limit.output])], ctx);
  opts.watch?.((samples) => {
    const so = control?.soFar();
    if (so === undefined) return undefined;
    const failover = ha === undefined ? undefined : liveFailover(ha, so);
    const sections: ResultSections = {
      ...(so.targetChanges.length > 0 ? { loadChanges: [...so.targetChanges] } : {}),
      ...(failover === undefined ? {} : { failover }),
    };
    return buildRunResult(cfg, target, server, so, thresholds, samples, sections);
  });
  try {
    printErr(io, `pgsurge: ${describeRun(cfg, plan)} against ${target.description} (PostgreSQL ${server.serverVersion}, scale ${server.scale})`);
    opts.onRunning?.();
    // A part of a run keeps its interval snapshots, so that `pgsurge merge` can join the parts exactly.
    const shard = cfg.shard === undefined ? undefined : new ShardRecorder(cfg.shard, redactedConfig(cfg), cfg.runId, cfg.intervalMs, layout);
    const outcome = await runLoad(plan, {
      ...(shard === undefined ? {} : { onSnapshot: (s: IntervalSnapshot) => shard.add(s) }),
      signal: opts.signal,
      ...(opts.stopNow === undefined ? {} : { stopNow: opts.stopNow }),
      onMeasureStart: (us) => outputs.start(us),
      onInterval: (s) => {
        outputs.interval(s);
        if (shard !== undefined) opts.part?.interval(shard.intervalWire(s.index));
      },
      ...(opts.part === undefined ? {} : { awaitStart: () => opts.part!.awaitStart(layout, cfg.intervalMs) }),
      ...(control === undefined ? {} : { control }),
    });
    // Bounded: a stalled server observer never holds back the result (a second signal cuts it short).
    const stopped = await stopOutputsWithin(
      outputs,
      { intervals: outcome.intervals },
      samplingDeadline(cfg.intervalMs).ms + OUTPUTS_STOP_SLACK_MS,
      opts.stopNow,
    );
    if (stopped === undefined) {
      const why = opts.stopNow?.aborted === true ? 'a second signal' : 'they did not stop in time';
      printErr(io, `pgsurge: stopped waiting for the live outputs (${why}): the result has no server figures`);
    }
    const { server: samples, ...observed } = stopped ?? {};
    const sections: ResultSections = {
      ...observed,
      ...(specs.length > 1 ? { scenarios: summarizeGroups(outcome.aggregator.totals(), groups, layout, outcome.durationS) } : {}),
      hosts: hostFigures(outcome),
      ...(outcome.targetChanges.length > 0 ? { loadChanges: [...outcome.targetChanges] } : {}),
      stop: runStop(outcome, opts.signal),
      ...(limit === undefined ? {} : { limit: limit.section(samples ?? []) }),
      ...(shard === undefined ? {} : { shard: shard.section() }),
    };
    const built = makeResult(cfg, target, server, outcome, thresholds, samples ?? [], sections);
    let result = await addFailover(ha, built, outcome, target, layout, thresholds);
    // The failover check judged rto/lost on the summary alone: judge every threshold on the whole result.
    if (ha !== undefined) result = { ...result, ...judgeResult(result, thresholds) };
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
    // Outputs still open here are stopped because the run failed.
    await outputs.abort();
  }
}

/** The live outputs a run gets from its config: the server observer and the Prometheus exporter. */
const configOutputs = (cfg: RunConfig): LiveOutput[] =>
  createRunOutputs({ observe: cfg.observe, prometheus: cfg.prometheus, serverMetrics: cfg.serverMetrics });

/** The signals that end a run gracefully (a closed terminal or SSH session sends SIGHUP). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];
const isStopSignal = (v: unknown): v is StopSignal => (STOP_SIGNALS as readonly unknown[]).includes(v);

/** The result's `stop`: why the load ended, by which signal, and the worker threads lost on the way. */
function runStop(outcome: RunOutcome, signal: AbortSignal): RunStop {
  const by: unknown = signal.aborted ? signal.reason : undefined;
  const sig = outcome.interrupted && isStopSignal(by) ? by : undefined;
  const parts: string[] = [];
  if (outcome.interrupted)
    parts.push(`interrupted${sig === undefined ? '' : ` by ${sig}`}${outcome.stoppedAtOnce ? ', stopped at once by a second signal' : ''}`);
  const lost = outcome.lostWorkers.length;
  if (lost > 0) parts.push(`${lost} worker thread${lost === 1 ? '' : 's'} ended unexpectedly: ${outcome.lostWorkers.join('; ')}`);
  return {
    reason: outcome.stopReason,
    ...(sig === undefined ? {} : { signal: sig }),
    ...(outcome.stoppedAtOnce ? { immediate: true } : {}),
    ...(lost > 0 ? { lostWorkers: lost } : {}),
    ...(parts.length > 0 ? { message: parts.join('; ') } : {}),
  };
}

export async function runCommand(values: RunOptionValues, io: CliIO, makeOutputs: (cfg: RunConfig) => LiveOutput[] = configOutputs): Promise<number> {
  // The options (thresholds, targets and the Prometheus address included) are checked here, then
  // scripts and modules, then every output path: all before anything is started.
  const cfg = resolveRunConfig(values);
  const planned = await planWorkloads(cfg);
  const work = planned.work;
  checkRepeatOptions(cfg);
  checkRepeatOutputs(cfg, runInputFiles(cfg));
  checkTargetOutputs(cfg);
  const history = checkRunHistory(cfg, io);
  if (work.unusedDefines.length > 0) printErr(io, `pgsurge: warning: -D ${work.unusedDefines.join(', ')}: not an option of the workload module`);

  // Phases for signals: before the load nothing was measured (stop the throwaway server, exit 1);
  // while it runs the first signal stops it gracefully and a second at once; after it, the
  // outputs are being written and a signal must not cut that short.
  const interrupt = new AbortController();
  const stopNow = new AbortController();
  let phase: 'setup' | 'running' | 'writing' | 'lingering' = 'setup';
  let stopLingering: (() => void) | undefined;
  let target: Target | undefined;
  let ui: RunUi | undefined;
  const quietClosedTerminal = (): void => {
    // After SIGHUP the terminal is gone: a failed write to it must not end the process before the files are written.
    io.stdout.on('error', () => undefined);
    io.stderr.on('error', () => undefined);
  };
  const onSignal = (sig: StopSignal): void => {
    if (sig === 'SIGHUP') quietClosedTerminal();
    switch (phase) {
      case 'running':
        if (!interrupt.signal.aborted) {
          printErr(io, `\npgsurge: interrupted by ${sig}: stopping, the results so far will be reported (send it again to stop at once)`);
          interrupt.abort(sig);
        } else if (!stopNow.signal.aborted) {
          printErr(io, `\npgsurge: ${sig} again: stopping at once; writing what was measured so far`);
          stopNow.abort(sig);
        }
        return;
      case 'writing':
        printErr(io, `\npgsurge: ${sig}: the results are being written; stopping after that`);
        return;
      case 'lingering':
        printErr(io, `\npgsurge: ${sig}: no longer serving the result`);
        stopLingering?.();
        return;
      case 'setup':
        printErr(io, `\npgsurge: interrupted by ${sig} before the load started`);
        void (target?.throwaway?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
        return;
      default:
        unreachable(phase);
    }
  };
  // A coordinator's part: the protocol on stdout (or over HTTP to --coordinator), everything a person reads on stderr.
  const partIO = cfg.coordinated && cfg.shard !== undefined ? await partTransport(cfg.coordinatorUrl, cfg.shard, io) : undefined;
  const handlers = STOP_SIGNALS.map((sig) => [sig, (): void => onSignal(sig)] as const);
  for (const [sig, h] of handlers) process.on(sig, h);
  const part =
    partIO !== undefined && cfg.shard !== undefined
      ? new CoordinatedPart(partIO, cfg.shard, TOOL.version, (why) => {
          printErr(io, `pgsurge: ${why}`);
          onSignal('SIGTERM');
        })
      : undefined;
  const shown: CliIO = part === undefined ? io : { ...io, stdout: io.stderr };
  part?.start();
  try {
    // The live page's address is taken before the load: a port in use fails here, before anything starts.
    ui =
      cfg.ui === undefined ? undefined : await (await import('./run-ui.js')).openRunUi(cfg, io, (immediate) => (immediate ? stopNow : interrupt).abort('api'));
    if (cfg.parts !== undefined) {
      const { partsRun } = await import('./parts-run.js');
      return await partsRun(cfg, io, {
        signal: interrupt.signal,
        stopNow: stopNow.signal,
        onRunning: () => (phase = 'running'),
        onWriting: () => (phase = 'writing'),
        onLingering: (stop) => {
          phase = 'lingering';
          stopLingering = stop;
        },
        live: ui?.run,
        record: (result, file) => recordInHistory(history, [{ result, file }], io),
      });
    }
    if (cfg.fleet !== undefined) {
      const { fleetRun } = await import('./fleet-run.js');
      return await fleetRun(cfg, values, io, {
        signal: interrupt.signal,
        stopNow: stopNow.signal,
        onRunning: () => (phase = 'running'),
        onWriting: () => (phase = 'writing'),
        live: ui?.run,
        record: (result, file) => recordInHistory(history, [{ result, file }], io),
      });
    }
    if (cfg.targets.length > 0) {
      phase = 'running';
      const { exitCode, runs, outDir } = await runTargets(cfg, cfg.targets, io, {
        signal: interrupt.signal,
        stopNow: stopNow.signal,
        makeOutputs: () => makeOutputs(cfg),
        execute: (c, t, i, o) => executeRun(c, t, i, { ...o, planned }),
        out: cfg.out,
        html: cfg.html,
        onWriting: () => (phase = 'writing'),
      });
      await recordInHistory(
        history,
        runs.map((r) => ({ result: r.result, file: outDir === undefined ? undefined : join(outDir, `${r.name}.json`) })),
        io,
      );
      return exitCode;
    }
    // A coordinator's part connects with the PG* variables the coordinator sent (its password among them).
    const sent = part === undefined ? {} : await part.environment();
    if (sent['PGPASSWORD'] !== undefined) registerSecret(sent['PGPASSWORD']);
    const env: NodeJS.ProcessEnv = { ...io.env, ...sent };
    if (part !== undefined && cfg.url === undefined && !hasEnvironmentTarget(env))
      throw usageError(
        'BAD_OPTIONS',
        'a part of a coordinated run needs its target: --url or the PG* variables (PGHOST...); each part would otherwise start a throwaway server of its own',
      );
    target = await resolveTarget({ url: cfg.url, pgBin: cfg.pgBin, settings: cfg.serverSettings }, env, (l) => printErr(io, l));
    const replicaConn = readTargets(cfg, target.conn, env);
    if (cfg.repeat > 1) {
      const runTarget = target;
      return await runRepeated(cfg, io, {
        signal: interrupt.signal,
        makeOutputs: () => makeOutputs(cfg),
        execute: (c, outputs) =>
          executeRun(c, runTarget, io, {
            signal: interrupt.signal,
            stopNow: stopNow.signal,
            outputs,
            replicaConn,
            planned,
            onRunning: () => (phase = 'running'),
          }),
        exitCode: ({ result, outcome }) => {
          const code = exitCodeOf(result, outcome, io);
          return code === 0 || code === 99 ? (failoverExitCode(result) ?? code) : code;
        },
        freshSeed: values.randomSeed === undefined || values.randomSeed === 'rand',
        record: (result, file) => recordInHistory(history, [{ result, file }], io),
      });
    }
    const { result, outcome } = await executeRun(cfg, target, shown, {
      signal: interrupt.signal,
      stopNow: stopNow.signal,
      outputs: makeOutputs(cfg),
      onRunning: () => (phase = 'running'),
      replicaConn,
      planned,
      ...(part === undefined ? {} : { part }),
      ...(ui === undefined ? {} : { outputs: [...makeOutputs(cfg), ui.run.output()], control: ui.run.control, watch: (soFar) => ui?.run.watch(soFar) }),
    });
    phase = 'writing';
    part?.result(result);
    // The files first: they are what a closed terminal or a full disk must not cost.
    const written = writeArtifacts(result, cfg, cfg.out, cfg.html);
    // A coordinator's part leaves the summary to the coordinator, which prints the merged one.
    if (part === undefined) printOut(io, formatSummary(result, { perStatement: cfg.perStatement }));
    if (written.outDir !== undefined) printErr(io, `pgsurge: results in ${written.outDir}/ (result.json, report.html, intervals.csv)`);
    for (const f of written.failures) printErr(io, `pgsurge: ${formatOutputFailure(f)}`);
    if (written.failures.length > 0) printErr(io, 'pgsurge: every other output was written; the summary above has the figures');
    await recordInHistory(history, [{ result, file: resultFileOf(cfg.json, written.outDir) }], shown);
    const code = limitExitCode(result, exitCodeOf(result, outcome, io));
    // A failed write verification (exit 1) outranks a failed threshold (99): see src/ha/ha-run.ts.
    const verdict = code === 0 || code === 99 ? (failoverExitCode(result) ?? code) : code;
    // An output that could not be written is a failed run: what was measured did not all land.
    const exit = written.failures.length > 0 ? 1 : verdict;
    ui?.run.finish(result, exit);
    return exit;
  } catch (e) {
    ui?.run.fail(e instanceof Error ? e.message : String(e));
    // The coordinator names the part with this reason (over HTTP it sees nothing of the part's stderr).
    part?.error(e instanceof Error ? e.message : String(e), e instanceof PgsurgeError ? e.exitCode : 1);
    throw e;
  } finally {
    phase = 'writing';
    await ui?.close();
    part?.close();
    for (const [sig, h] of handlers) process.off(sig, h);
    await target?.throwaway?.stop();
  }
}

/** How long a part waits for its coordinator to listen: pods of one Job start in any order, images are pulled first. */
const COORDINATOR_WAIT_MS = 600_000;

/** A coordinated part's pipes: stdin/stdout (an SSH session), or one HTTP request to its coordinator. */
async function partTransport(coordinatorUrl: string | undefined, shard: ShardPart, io: CliIO): Promise<PartIO> {
  if (coordinatorUrl === undefined) return { stdin: process.stdin, stdout: io.stdout };
  const { connectToCoordinator } = await import('../distributed/http-part.js');
  const token = io.env['PGSURGE_COORDINATOR_TOKEN'];
  return await connectToCoordinator(coordinatorUrl, shard, {
    token: token === undefined || token === '' ? undefined : token,
    waitMs: COORDINATOR_WAIT_MS,
    log: (line) => printErr(io, line),
  });
}

/** HA (src/ha): the failover section, the write verification and the rto/lost thresholds. */
async function addFailover(
  ha: HaPrepared | undefined,
  result: ResultV1,
  outcome: RunOutcome,
  target: Target,
  layout: MetricsLayout,
  thresholds: Threshold[],
): Promise<ResultV1> {
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
  facts: ServerFacts,
  outcome: RunOutcome,
  thresholds: Threshold[],
  server: readonly ServerSample[],
  sections: ResultSections,
): ResultV1 {
  return buildRunResult(cfg, target, facts, { ...outcome, totals: outcome.aggregator.totals() }, thresholds, server, sections);
}

/** What prepareServer found of the server (and of the pooler in front of it). */
type ServerFacts = Pick<Awaited<ReturnType<typeof prepareServer>>, 'serverVersion' | 'scale' | 'pooler'>;

/** The result of a run from its figures: at its end (the outcome) or so far (RunControl.soFar). */
function buildRunResult(
  cfg: RunConfig,
  target: Target,
  facts: ServerFacts,
  outcome: Pick<RunOutcome, 'startedAt' | 'durationS' | 'intervals'> & {
    readonly totals: Totals;
    readonly connectingS?: number;
    readonly clientThreads?: RunOutcome['clientThreads'];
  },
  thresholds: Threshold[],
  server: readonly ServerSample[],
  sections: ResultSections,
): ResultV1 {
  return buildResult({
    tool: TOOL,
    startedAt: outcome.startedAt,
    durationS: outcome.durationS,
    target: {
      serverVersion: facts.serverVersion,
      hosts: target.conn.hosts.map((h) => `${h.host}:${h.port}`),
      database: target.conn.database,
      user: target.conn.user,
      throwaway: target.throwaway !== undefined,
      scale: facts.scale,
      ...(facts.pooler === undefined ? {} : { pooler: facts.pooler }),
    },
    config: redactedConfig(cfg),
    ...(outcome.connectingS === undefined ? {} : { connectingS: outcome.connectingS }),
    ...(outcome.clientThreads === undefined ? {} : { clientThreads: outcome.clientThreads }),
    totals: outcome.totals,
    intervals: outcome.intervals,
    thresholds,
    server,
    sections,
  });
}

function exitCodeOf(result: ResultV1, outcome: RunOutcome, io: CliIO): number {
  if (outcome.lostWorkers.length > 0) {
    printErr(io, `pgsurge: the run lost worker threads; the result keeps what the others measured:\n${outcome.lostWorkers.map((l) => `  ${l}`).join('\n')}`);
  }
  if (result.summary.transactions === 0) {
    const lines = FAILURE_CLASSES.filter((c) => outcome.firstErrors[c] !== undefined).map((c) => `  ${c}: ${outcome.firstErrors[c]}`);
    printErr(io, `pgsurge: no transaction succeeded${lines.length > 0 ? '; first error of each class:\n' + lines.join('\n') : ''}`);
  }
  return runExitCode(result, outcome);
}
