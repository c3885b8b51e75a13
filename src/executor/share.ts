/**
 * A share of a run: part K of N (1-based K), so that N processes (machines) together run the load
 * asked for. Clients are split as evenly as possible (the first `clients % N` parts get one more);
 * part K's client ids are every N-th of the group's, from its K-th (ids stay unique across parts,
 * and a ramp's `id < target` gives each part its share of the target); the arrival process is
 * split by the load model (registry.ts loadShare); seeds differ per part and are reproducible.
 */
import { usageError } from '../errors.js';
import { loadShare, type LoadModel } from './registry.js';
import type { ShardPart } from './types.js';

export interface RunShareInput {
  readonly clients: number;
  /** The group's first client id. */
  readonly clientIdBase: number;
  readonly seed: number;
  readonly load: LoadModel;
}

export interface RunShare {
  readonly clients: number;
  /** This part's client ids: first, first + stride, … (`clients` of them). */
  readonly clientIdFirst: number;
  readonly clientIdStride: number;
  readonly seed: number;
  readonly load: LoadModel;
}

/** Part K of N of a run's group. */
export function shareOf(run: RunShareInput, part: ShardPart): RunShare {
  const { k, n } = part;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 1 || k > n) throw usageError('BAD_SHARD', `shard ${k}/${n}: expected K/N with 1 ≤ K ≤ N`);
  return {
    clients: Math.floor(run.clients / n) + (k <= run.clients % n ? 1 : 0),
    clientIdFirst: run.clientIdBase + (k - 1),
    clientIdStride: n,
    seed: shardSeed(run.seed, k),
    load: loadShare(run.load, part),
  };
}

/** Part 1 keeps the run's seed (one part is the whole run); the others step away from it. */
export function shardSeed(seed: number, k: number): number {
  return (seed + (k - 1) * 0x9e3779b9) % 2 ** 53;
}

/** The ids of a share's clients. */
export function clientIdsOf(share: Pick<RunShare, 'clients' | 'clientIdFirst' | 'clientIdStride'>): number[] {
  return Array.from({ length: share.clients }, (_, i) => share.clientIdFirst + i * share.clientIdStride);
}
