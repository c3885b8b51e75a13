/**
 * From the resolved config to the run's groups (one for a plain run, one per scenario of a scenario
 * file; each a weighted mix of workloads with its own load model, picked by src/executor's
 * registry), and from those to the engine's plan and the run's banner.
 */
import type { RunConfig } from '../config/run-config.js';
import { parseWorkloadSpec } from '../config/workload-spec.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import type { RunGroup, RunPlan } from '../engine/run.js';
import { usageError } from '../errors.js';
import { describeLoadModel, loadModelOf, type LoadModel } from '../executor/registry.js';
import type { MetricsLayout } from '../metrics/types.js';
import { pgbenchDefaultSeed } from '../workload/pgbench/prng.js';
import { mergeResolved, resolveWorkloads, type ResolvedWorkloads, type WorkloadSpec } from '../workload/resolve.js';

export interface GroupSpec {
  readonly name: string;
  readonly workloads: readonly WorkloadSpec[];
  readonly clients: number;
  readonly threads: number;
  readonly load: LoadModel;
  readonly startOffsetMs: number;
  readonly defines: Readonly<Record<string, string>>;
}

function groupSpecs(cfg: RunConfig): GroupSpec[] {
  if (cfg.scenario === undefined) {
    return [
      {
        name: 'run',
        workloads: cfg.workloads,
        clients: cfg.clients,
        threads: cfg.threads,
        load: loadModelOf(cfg),
        startOffsetMs: 0,
        defines: cfg.defines,
      },
    ];
  }
  return cfg.scenario.groups.map((g) => ({
    name: g.name,
    workloads: g.workloads.map((w) => parseWorkloadSpec(w, `scenario ${g.name}`)),
    clients: g.clients,
    threads: g.threads,
    load: loadModelOf({ ...g, transactionsPerClient: undefined }),
    startOffsetMs: g.startMs,
    // Command-line -D applies to every scenario; the scenario's own `define` wins.
    defines: { ...cfg.defines, ...g.defines },
  }));
}

export interface PlannedWorkloads {
  readonly specs: readonly GroupSpec[];
  /** Each group's workloads, in group order. */
  readonly resolved: readonly ResolvedWorkloads[];
  /** All groups' workloads as one. */
  readonly work: ResolvedWorkloads;
}

/**
 * The run's groups with their scripts read, modules loaded and programs compiled; checked against
 * the config before anything (a throwaway server) is started.
 */
export async function planWorkloads(cfg: RunConfig): Promise<PlannedWorkloads> {
  const specs = groupSpecs(cfg);
  const resolved = await Promise.all(specs.map((g) => resolveWorkloads(g.workloads, g.defines)));
  const work = mergeResolved(resolved);
  if (cfg.protocol === 'simple') {
    const piped = work.programs.find((p) => p.pipeline === true);
    if (piped !== undefined)
      throw usageError('PIPELINE_SIMPLE', `${piped.name}: pipeline mode needs -M extended or -M prepared (pgbench refuses -M simple with pipelines too)`);
  }
  return { specs, resolved, work };
}

/** What the run needs of the prepared target server. */
export interface PlanServer {
  readonly host: HostSpec;
  readonly scale: number;
}

/**
 * The engine's plan: the metrics layout (with several scenarios, transaction types are named
 * "scenario/type"), one group per scenario with its scripts and type offset, and the run settings.
 */
export function buildRunPlan(
  cfg: RunConfig,
  planned: PlannedWorkloads,
  server: PlanServer,
  conn: ConnInfo,
  opts: { readonly replicaConn?: ConnInfo | undefined; readonly ha: boolean },
): RunPlan {
  const { specs, resolved } = planned;
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
  return {
    conn,
    host: server.host,
    protocol: cfg.protocol,
    layout,
    groups,
    gridDurationMs: cfg.scenario?.durationMs ?? cfg.durationMs,
    replicaConn: opts.replicaConn,
    warmupMs: cfg.warmupMs,
    scale: server.scale,
    maxTries: cfg.maxTries,
    connectRate: cfg.connectRate,
    queryTimeoutMs: cfg.queryTimeoutMs,
    graceMs: cfg.graceMs,
    intervalMs: cfg.intervalMs,
    seed: cfg.randomSeed,
    ...(opts.ha ? { ha: true } : {}),
    ...(cfg.shard === undefined ? {} : { shard: cfg.shard }),
    ...(cfg.startAtMs === undefined ? {} : { startAtMs: cfg.startAtMs }),
    ...(cfg.log === undefined ? {} : { txnLogFile: cfg.log }),
  };
}

/** The run's banner: each group's scripts, load and threads; the length; the protocol. */
export function describeRun(cfg: RunConfig, plan: RunPlan): string {
  const parts = plan.groups.map((g, i) => {
    const names = g.scripts.map((s) => (g.scripts.length > 1 ? `${s.name}@${s.weight}` : s.name)).join(', ');
    const when = g.startOffsetMs > 0 ? ` from ${g.startOffsetMs / 1000} s` : '';
    // The threads that run, and what was asked when that was more than the clients.
    const asked = cfg.scenario === undefined ? cfg.threadsAsked : cfg.scenario.groups[i]?.threadsAsked;
    const note = asked === undefined ? '' : ` (${cfg.scenario === undefined ? '-j' : 'threads:'} ${asked} asked; no more threads than clients, as pgbench)`;
    return `${plan.groups.length > 1 ? `${g.name}: ` : ''}${names}: ${describeLoadModel(g.load, g.clients)}, ${g.threads} thread${g.threads === 1 ? '' : 's'}${note}${when}`;
  });
  const length = cfg.transactionsPerClient !== undefined ? `${cfg.transactionsPerClient} transactions each` : `${(plan.gridDurationMs ?? 0) / 1000} s`;
  const part = plan.shard === undefined ? '' : `part ${plan.shard.k} of ${plan.shard.n} of `;
  return `running ${part}${parts.join('; ')}; ${length}, -M ${cfg.protocol}`;
}
