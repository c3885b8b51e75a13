/**
 * From the resolved config to the run's groups: one group for a plain run, one per scenario of a
 * scenario file. Each group is a weighted mix of workloads with its own load model.
 */
import type { RunConfig } from '../config/run-config.js';
import { parseWorkloadSpec } from '../config/workload-spec.js';
import type { Stage } from '../config/units.js';
import type { LoadModel } from '../engine/messages.js';
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

interface LoadKnobs {
  readonly rateHz?: number | undefined;
  readonly stagesAreRates: boolean;
  readonly durationMs?: number | undefined;
  readonly transactionsPerClient?: number | undefined;
  readonly arrivals: 'uniform' | 'poisson';
  readonly maxQueue: number;
  readonly latencyLimitMs?: number | undefined;
  readonly stages?: readonly Stage[] | undefined;
  readonly threads: number;
}

export function loadModelOf(k: LoadKnobs): LoadModel {
  // stagesAreRates is true whenever there is a rate (config/units.ts stagesAreRatesOf).
  if (k.stagesAreRates) {
    return {
      kind: 'open',
      durationMs: k.durationMs ?? 0,
      rateHz: k.rateHz ?? 0,
      arrivals: k.arrivals,
      // The queue bound is for the whole group; each worker holds its share.
      maxQueue: Math.max(1, Math.ceil(k.maxQueue / k.threads)),
      latencyLimitMs: k.latencyLimitMs,
      stages: k.stages,
    };
  }
  return { kind: 'closed', durationMs: k.durationMs, transactionsPerClient: k.transactionsPerClient, stages: k.stages };
}

export function groupSpecs(cfg: RunConfig): GroupSpec[] {
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

/** The run's groups with their scripts read, modules loaded and programs compiled. */
export async function planWorkloads(cfg: RunConfig): Promise<PlannedWorkloads> {
  const specs = groupSpecs(cfg);
  const resolved = await Promise.all(specs.map((g) => resolveWorkloads(g.workloads, g.defines)));
  return { specs, resolved, work: mergeResolved(resolved) };
}
