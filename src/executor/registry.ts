/**
 * The load models, in one explicit list (no import side effects): which one a resolved config
 * asks for, and each one's validation, banner text, priming pass, share of a run and executor.
 * A new load model is one module in this folder plus its line here.
 */
import type { Stage } from '../config/units.js';
import { usageError } from '../errors.js';
import { closed, type ClosedConfig } from './closed.js';
import { openRate, type OpenRateConfig } from './open-rate.js';
import { rampingClients, type RampingClientsConfig } from './ramping-clients.js';
import { thinkTime, type ThinkDist, type ThinkTimeConfig } from './think-time.js';
import type { Executor, ExecutorDef, ExecutorHost, ShardPart, TargetKind } from './types.js';

/** A group's load model, as plain data (posted to the worker threads). */
export type LoadModel = ClosedConfig | RampingClientsConfig | OpenRateConfig | ThinkTimeConfig;

const DEFS: { readonly [K in LoadModel['kind']]: ExecutorDef<Extract<LoadModel, { kind: K }>> } = {
  closed,
  'ramping-clients': rampingClients,
  open: openRate,
  'think-time': thinkTime,
};

function defOf<L extends LoadModel>(load: L): ExecutorDef<L> {
  // DEFS maps each kind to the definition of that kind's config (checked by its type above).
  return DEFS[load.kind] as unknown as ExecutorDef<L>;
}

/** The load options of a resolved config (a plain run's, or one scenario group's). */
export interface LoadKnobs {
  readonly rateHz?: number | undefined;
  /** True whenever there is a rate (config/units.ts stagesAreRatesOf). */
  readonly stagesAreRates: boolean;
  readonly durationMs?: number | undefined;
  readonly transactionsPerClient?: number | undefined;
  readonly arrivals: 'uniform' | 'poisson';
  /** For the whole group; each worker holds its share. */
  readonly maxQueue: number;
  readonly latencyLimitMs?: number | undefined;
  readonly stages?: readonly Stage[] | undefined;
  readonly thinkTime?: { readonly ms: number; readonly dist: ThinkDist } | undefined;
  readonly threads: number;
}

/** The load model a config asks for (a rate → open loop; else think time, client stages, closed); throws a usage error if it is not valid. */
export function loadModelOf(k: LoadKnobs): LoadModel {
  const load = pick(k);
  const problems = defOf(load).validate(load);
  if (problems.length > 0) throw usageError('BAD_LOAD', problems.length === 1 ? problems[0]! : 'invalid load:', problems.length === 1 ? [] : problems);
  return load;
}

function pick(k: LoadKnobs): LoadModel {
  if (k.stagesAreRates) {
    return {
      kind: 'open',
      durationMs: k.durationMs ?? 0,
      rateHz: k.rateHz ?? 0,
      arrivals: k.arrivals,
      maxQueue: Math.max(1, Math.ceil(k.maxQueue / k.threads)),
      latencyLimitMs: k.latencyLimitMs,
      stages: k.stages,
    };
  }
  if (k.thinkTime !== undefined) {
    return { kind: 'think-time', durationMs: k.durationMs, transactionsPerClient: k.transactionsPerClient, thinkMs: k.thinkTime.ms, dist: k.thinkTime.dist };
  }
  if (k.stages !== undefined) return { kind: 'ramping-clients', durationMs: k.durationMs ?? 0, stages: k.stages };
  return { kind: 'closed', durationMs: k.durationMs, transactionsPerClient: k.transactionsPerClient };
}

/** The run banner's words for a load with `clients` clients. */
export function describeLoadModel(load: LoadModel, clients: number): string {
  return defOf(load).describe(load, clients);
}

/** Arrivals on a schedule (the progress line shows lag and drops). */
export function isOpenLoop(load: LoadModel): boolean {
  return defOf(load).openLoop;
}

/** What a retarget of this load sets: a rate or active clients. */
export function targetKindOf(load: LoadModel): TargetKind {
  return defOf(load).targetKind;
}

/** The load cut to a timed pass of `passMs` (JIT priming; a pass is timed, never counted). */
export function loadForPass(load: LoadModel, passMs: number): LoadModel {
  return defOf(load).forPass(load, passMs);
}

/** The load config of part K of N (share.ts splits the clients, their ids and the seed). */
export function loadShare(load: LoadModel, part: ShardPart): LoadModel {
  return defOf(load).share(load, part);
}

/** The worker's executor: made once per worker (its calls stay monomorphic). */
export function createExecutor(load: LoadModel, host: ExecutorHost): Executor {
  return defOf(load).create(load, host);
}
