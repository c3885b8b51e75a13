/**
 * What the history keeps beside a result to list and filter runs without reading their results:
 * each column is a pure function of the result, so an entry recorded by a run and the same result
 * imported from its file agree.
 */
import { createHash } from 'node:crypto';
import type { ResultV1 } from '../report/result.js';
import { canonicalJson } from '../util/canonical-json.js';

export interface ResultColumns {
  readonly startedAt: string;
  readonly startedMs: number;
  readonly workload: string;
  readonly target: string;
  readonly tags: Record<string, string>;
  readonly tps: number | null;
  readonly p99Ms: number | null;
  readonly failed: number;
  readonly passed: boolean | null;
}

/** The transaction types, joined with ", " ("monitor" for `pgsurge monitor`, which ran none). */
export function workloadOf(result: ResultV1): string {
  const types = Object.keys(result.transactionTypes);
  return result.kind === 'monitor' && types.length === 0 ? 'monitor' : types.join(', ');
}

/** The hosts joined with ",", then "/database": "10.0.0.5:5432,10.0.0.6:5432/app". */
export function targetOf(result: ResultV1): string {
  const hosts = result.target.hosts.join(',');
  return result.target.database === undefined ? hosts : `${hosts}/${result.target.database}`;
}

/** The run's --tag labels from its config (none in results of older versions). */
export function tagsOf(config: Readonly<Record<string, unknown>>): Record<string, string> {
  const tags = config['tags'];
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) return {};
  return Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function columnsOf(result: ResultV1): ResultColumns {
  const startedMs = Date.parse(result.startedAt);
  return {
    startedAt: result.startedAt,
    startedMs: Number.isFinite(startedMs) ? startedMs : 0,
    workload: workloadOf(result),
    target: targetOf(result),
    tags: tagsOf(result.config),
    tps: result.kind === 'monitor' ? null : result.summary.tps,
    p99Ms: result.summary.latencyMs.p99,
    failed: result.summary.failed,
    passed: result.verdict?.passed ?? null,
  };
}

/** A result that ended early (a signal) is 'interrupted'; any other 'finished'. */
export const statusOf = (result: ResultV1): 'finished' | 'interrupted' => (result.stop?.reason === 'interrupted' ? 'interrupted' : 'finished');

/**
 * A hash of a result's JSON content (keys in any order, as written or as parsed back): the same
 * result gives the same key wherever it comes from. Hex, 64 characters.
 */
export function resultKey(json: unknown): string {
  return createHash('sha256').update(canonicalJson(json)).digest('hex');
}

/** An entry's id: the start of its result's key (12 hex digits: short, URL-safe, unique in any real history). */
export const ID_LENGTH = 12;
