/**
 * `pgsurge init` for pgbench's schema: the same tables, keys, partitions and rows as `pgbench -i`
 * (PostgreSQL 15-17), so either tool runs on a database the other made — only faster (parallel
 * COPY streams, see ../init/generate-client.ts).
 */
import { availableParallelism } from 'node:os';
import type pg from 'pg';
import { PgsurgeError, usageError } from '../../errors.js';
import { generateClientSide } from '../init/generate-client.js';
import {
  DROP_TABLES_SQL,
  FOREIGN_KEYS_SQL,
  NBRANCHES,
  NTELLERS,
  TRUNCATE_TABLES_SQL,
  VACUUM_SQL,
  createTablesSql,
  primaryKeysSql,
  serverSideGenerateSql,
  totalAccounts,
  type PartitionMethod,
} from '../init/pgbench-ddl.js';
import type { InitProgress } from '../init/progress.js';

export { formatInitProgress, type InitProgress, type FormatProgressOptions } from '../init/progress.js';

export interface PgbenchInitOptions {
  /** -s: integer ≥ 1 (pgbench accepts no fractions). */
  scale: number;
  /** -I: letters from "dtgGvpf" (spaces ignored), run in the order given; pgbench's default is "dtgvp". */
  steps: string;
  /** --unlogged-tables */
  unlogged: boolean;
  /** -F: 10..100 */
  fillfactor: number;
  /** --partitions: 0 = pgbench_accounts is not partitioned. */
  partitions: number;
  /** --partition-method; ignored when partitions is 0 (but "hash" with 0 partitions is an error, as in pgbench). */
  partitionMethod: 'range' | 'hash';
  /** --foreign-keys: adds step f when absent. */
  foreignKeys: boolean;
  tablespace?: string;
  indexTablespace?: string;
  /** pgsurge extra: COPY streams for pgbench_accounts in step g; default min(4, cores). */
  parallel?: number;
  onProgress?: (p: InitProgress) => void;
}

export interface PgbenchInitResult {
  elapsedS: number;
  steps: { step: string; elapsedS: number }[];
}

export const DEFAULT_INIT_STEPS = 'dtgvp';

/** pgbench -i -s SCALE with every other option at pgbench's default. */
export function defaultInitOptions(scale: number): PgbenchInitOptions {
  return { scale, steps: DEFAULT_INIT_STEPS, unlogged: false, fillfactor: 100, partitions: 0, partitionMethod: 'range', foreignKeys: false };
}
const ALL_INIT_STEPS = 'dtgGvpf';

const STEP_NAMES: Readonly<Record<string, string>> = {
  d: 'drop tables',
  t: 'create tables',
  g: 'client-side generate',
  G: 'server-side generate',
  v: 'vacuum',
  p: 'primary keys',
  f: 'foreign keys',
};

/** Bigger than the server default (64MB) so the primary key's sort of 100k·scale keys stays in memory longer. */
const PK_MAINTENANCE_WORK_MEM = '256MB';

function isInt(n: number): boolean {
  return Number.isInteger(n);
}

/** Check every option (pgbench's limits and messages), report all problems at once; returns the steps to run. */
function validatePgbenchInitOptions(o: PgbenchInitOptions): string {
  const problems: string[] = [];
  if (!isInt(o.scale) || o.scale < 1 || o.scale > 2_147_483_647) problems.push(`-s/--scale must be an integer from 1 to 2147483647 (got ${o.scale})`);
  if (!isInt(o.fillfactor) || o.fillfactor < 10 || o.fillfactor > 100) problems.push(`-F/--fillfactor must be an integer from 10 to 100 (got ${o.fillfactor})`);
  if (!isInt(o.partitions) || o.partitions < 0 || o.partitions > 2_147_483_647) problems.push(`--partitions must be an integer ≥ 0 (got ${o.partitions})`);
  if (o.partitionMethod !== 'range' && o.partitionMethod !== 'hash')
    problems.push(`--partition-method must be "range" or "hash" (got "${String(o.partitionMethod)}")`);
  else if (o.partitionMethod === 'hash' && o.partitions === 0) problems.push('--partition-method requires greater than zero --partitions');
  if (o.parallel !== undefined && (!isInt(o.parallel) || o.parallel < 1)) problems.push(`--parallel must be an integer ≥ 1 (got ${o.parallel})`);
  if (o.tablespace !== undefined && o.tablespace === '') problems.push('--tablespace must not be empty');
  if (o.indexTablespace !== undefined && o.indexTablespace === '') problems.push('--index-tablespace must not be empty');
  let steps = o.steps;
  for (const ch of steps) {
    if (!`${ALL_INIT_STEPS} `.includes(ch))
      problems.push(`-I/--init-steps: unrecognized initialization step "${ch}" (allowed step characters are: "${ALL_INIT_STEPS}")`);
  }
  if (steps.replace(/ /g, '') === '') problems.push('-I/--init-steps: no initialization steps specified');
  if (o.foreignKeys && !steps.includes('f')) steps += 'f';
  if (problems.length > 0) {
    throw usageError(
      'INIT_BAD_OPTION',
      problems.length === 1 ? (problems[0] ?? '') : `${problems.length} problems with the init options`,
      problems.length === 1 ? [] : problems,
    );
  }
  return steps.replace(/ /g, '');
}

/** min(4, cores): beyond the cores the client and server share, more streams only contend. */
function defaultParallel(): number {
  return Math.min(4, availableParallelism());
}

/**
 * Create and fill pgbench's tables. `connect` returns a connected client; initPgbench ends every
 * client it gets. Step g may use up to `parallel` connections at once.
 */
export async function initPgbench(connect: () => Promise<pg.Client>, opts: PgbenchInitOptions): Promise<PgbenchInitResult> {
  const steps = validatePgbenchInitOptions(opts);
  const method: PartitionMethod = opts.partitions > 0 ? opts.partitionMethod : 'none';
  const ddl = {
    scale: opts.scale,
    unlogged: opts.unlogged,
    fillfactor: opts.fillfactor,
    partitions: opts.partitions,
    partitionMethod: method,
    tablespace: opts.tablespace,
    indexTablespace: opts.indexTablespace,
  };
  const onProgress = opts.onProgress ?? (() => undefined);
  const t0 = performance.now();
  const timings: { step: string; elapsedS: number }[] = [];
  const main = await connect();
  try {
    for (const letter of steps) {
      const step = STEP_NAMES[letter] ?? letter;
      const start = performance.now();
      const elapsed = (): number => (performance.now() - start) / 1000;
      const progress = (table: string, rows: number, totalRows: number): void => onProgress({ step, table, rows, totalRows, elapsedS: elapsed() });
      await runStep(letter, main, connect, opts, ddl, progress);
      timings.push({ step, elapsedS: elapsed() });
      if (letter !== 'g' && letter !== 'G') progress('', 0, 0);
    }
  } catch (e) {
    if (e instanceof PgsurgeError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new PgsurgeError('INIT_FAILED', `pgbench init failed: ${msg}`, { cause: e });
  } finally {
    await main.end().catch(() => undefined);
  }
  return { elapsedS: (performance.now() - t0) / 1000, steps: timings };
}

async function runStep(
  letter: string,
  main: pg.Client,
  connect: () => Promise<pg.Client>,
  opts: PgbenchInitOptions,
  ddl: Parameters<typeof createTablesSql>[0],
  progress: (table: string, rows: number, totalRows: number) => void,
): Promise<void> {
  switch (letter) {
    case 'd':
      await main.query(DROP_TABLES_SQL);
      return;
    case 't':
      for (const sql of createTablesSql(ddl)) await main.query(sql);
      return;
    case 'g':
      await generateClientSide(
        main,
        connect,
        {
          scale: opts.scale,
          partitions: opts.partitions,
          partitionMethod: ddl.partitionMethod,
          parallel: opts.parallel ?? defaultParallel(),
        },
        progress,
      );
      return;
    case 'G':
      await generateServerSide(main, opts.scale, progress);
      return;
    case 'v':
      for (const sql of VACUUM_SQL) await main.query(sql);
      return;
    case 'p':
      await main.query(`set maintenance_work_mem = '${PK_MAINTENANCE_WORK_MEM}'`);
      for (const sql of primaryKeysSql(opts.indexTablespace)) await main.query(sql);
      await main.query('reset maintenance_work_mem');
      return;
    case 'f':
      for (const sql of FOREIGN_KEYS_SQL) await main.query(sql);
      return;
    default:
      throw usageError('INIT_BAD_OPTION', `unrecognized initialization step "${letter}"`);
  }
}

/** pgbench's -I G: one transaction, TRUNCATE then INSERT ... SELECT generate_series. */
async function generateServerSide(main: pg.Client, scale: number, progress: (table: string, rows: number, totalRows: number) => void): Promise<void> {
  const [branches, tellers, accounts] = serverSideGenerateSql(scale);
  const plan: [string, string | undefined, number][] = [
    ['pgbench_branches', branches, NBRANCHES * scale],
    ['pgbench_tellers', tellers, NTELLERS * scale],
    ['pgbench_accounts', accounts, totalAccounts(scale)],
  ];
  await main.query('begin');
  try {
    await main.query(TRUNCATE_TABLES_SQL);
    for (const [table, sql, rows] of plan) {
      if (sql === undefined) continue;
      progress(table, 0, rows);
      await main.query(sql);
      progress(table, rows, rows);
    }
    await main.query('commit');
  } catch (e) {
    await main.query('rollback').catch(() => undefined);
    throw e;
  }
}

/**
 * pgbench's scale of an initialised database: count(*) of pgbench_branches.
 * Throws PgsurgeError (exit 1) when the tables are missing or empty.
 */
export async function detectPgbenchScale(client: pg.Client): Promise<number> {
  let count: number;
  try {
    const r = await client.query<{ n: string }>('select count(*) as n from pgbench_branches');
    count = Number(r.rows[0]?.n ?? 0);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === '42P01') {
      throw new PgsurgeError(
        'PGBENCH_TABLES_MISSING',
        `pgbench tables not found in database ${await dbName(client)}: run \`pgsurge init\` (or pgbench -i) first`,
        { cause: e },
      );
    }
    throw new PgsurgeError('PGBENCH_SCALE_FAILED', `could not read the scale from pgbench_branches: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  if (count < 1) {
    throw new PgsurgeError('PGBENCH_TABLES_EMPTY', `pgbench_branches in database ${await dbName(client)} is empty: run \`pgsurge init\` (or pgbench -i) first`);
  }
  return count;
}

async function dbName(client: pg.Client): Promise<string> {
  const known = (client as { database?: string }).database;
  if (known !== undefined && known !== '') return `"${known}"`;
  const r = await client.query<{ d: string }>('select current_database() as d').catch(() => undefined);
  return `"${r?.rows[0]?.d ?? '?'}"`;
}
