/**
 * Helpers shared by the built-in workload modules: the `only` option (run one transaction type),
 * option checks, table sizes for report hooks, and stage logging for long setups.
 */
import { redact } from '../../config/redact.js';
import { usageError } from '../../errors.js';
import { round } from '../../util/round.js';
import type { SetupDb } from '../module/api.js';

export { round };

/** The `only` option every built-in declares: a comma-separated list of transaction names. */
export const ONLY_OPTION = {
  type: 'string',
  default: '',
  description: 'run only these transaction types (comma-separated names; the others get weight 0)',
} as const;

/**
 * Weights for `-D only=a,b`: the named transactions keep their weight (at least 1), the others get
 * 0. Empty `only` keeps every default weight. An unknown name is a usage error, not a silent no-op.
 */
export function onlyWeights(workload: string, only: string, defaults: Readonly<Record<string, number>>): Record<string, number> {
  const names = only
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) return { ...defaults };
  const unknown = names.filter((n) => !(n in defaults));
  if (unknown.length > 0) {
    throw usageError('WORKLOAD_BAD_OPTION', `${workload}: -D only=${only}: no transaction ${unknown.join(', ')} (known: ${Object.keys(defaults).join(', ')})`);
  }
  const out: Record<string, number> = {};
  for (const [name, w] of Object.entries(defaults)) out[name] = names.includes(name) ? Math.max(1, w) : 0;
  return out;
}

/** Every problem with numeric options at once, as one usage error. */
export function checkRanges(workload: string, checks: readonly (readonly [name: string, value: number, min: number, max: number])[]): void {
  const problems = checks.filter(([, v, min, max]) => !(v >= min && v <= max)).map(([n, v, min, max]) => `-D ${n}=${v}: expected ${min}..${max}`);
  if (problems.length > 0) throw usageError('WORKLOAD_BAD_OPTION', `options of ${workload}: ${problems.join('; ')}`);
}

/** Total size (heap + indexes + TOAST, with all partitions) of each table that exists, in MB (3 decimals). */
export async function tableSizesMb(db: SetupDb, tables: readonly string[]): Promise<Record<string, number>> {
  const r = await db.query(
    // pg_partition_tree: a partitioned table has no storage of its own; its size is its partitions'.
    // …and for an ordinary table pg_partition_tree returns no rows at all: then its own size.
    `select t as name, coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree(to_regclass(t))), pg_total_relation_size(to_regclass(t))) as bytes
     from unnest($1::text[]) as t where to_regclass(t) is not null`,
    [tables],
  );
  const out: Record<string, number> = {};
  for (const row of r.rows) out[`${String(row['name'])}_mb`] = round(Number(row['bytes']) / 1048576, 3);
  return out;
}

/**
 * Progress of a setup stage on stderr: setup runs in the CLI process (init, or before a run).
 * Redacted like every other printed line: a stage line may quote a user's option (a path, a -D value).
 */
export function logStage(workload: string, line: string): void {
  process.stderr.write(redact(`pgsurge: ${workload}: ${line}\n`));
}

/** "1234567" → "1.23 M"; used in stage lines. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(Math.round(n));
}

/** Sum of successful transactions of the named types. */
export function countOf(transactions: Readonly<Record<string, number>>, names: readonly string[]): number {
  return names.reduce((n, name) => n + (transactions[name] ?? 0), 0);
}
