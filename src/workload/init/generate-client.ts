/**
 * pgbench's client-side data generation (-I g), made fast: COPY text built in large Buffers, and
 * pgbench_accounts loaded over several connections at once where that keeps the result the same.
 *
 * pgbench does everything in one transaction that starts with TRUNCATE, so that COPY ... FREEZE is
 * allowed (rows are written already frozen and all-visible: the later VACUUM has nothing to do).
 * FREEZE needs the table to be created or truncated in the same transaction, and only one session
 * can hold that truncation, so the plan is:
 *   - branches and tellers: on the main connection, in the truncating transaction, FREEZE.
 *   - accounts, range-partitioned: every stream truncates the (empty) partitions it fills in its
 *     own transaction and COPYs FREEZE straight into them — parallel and frozen (pgbench itself
 *     cannot freeze a partitioned table). Not possible when a foreign key references accounts
 *     (TRUNCATE of one partition would be refused); then the rows go unfrozen.
 *   - accounts, unpartitioned: one stream with FREEZE in the truncating transaction.
 *   - accounts, hash-partitioned: aid ranges over parallel streams into the parent (the server
 *     routes rows); pgbench does not freeze these either.
 * With more than one stream the load is no longer one transaction: a failure leaves the tables
 * partially filled (a rerun of `init` starts again from TRUNCATE).
 */
import type pg from 'pg';
import { copyRows } from './copy-rows.js';
import { NBRANCHES, NTELLERS, TRUNCATE_TABLES_SQL, rangePartitionAids, totalAccounts, type PartitionMethod } from './pgbench-ddl.js';

export interface ClientGenerateOptions {
  readonly scale: number;
  readonly partitions: number;
  readonly partitionMethod: PartitionMethod;
  /** COPY streams for pgbench_accounts (≥ 1). */
  readonly parallel: number;
}

export type RowsReporter = (table: string, rows: number, totalRows: number) => void;

/** Below this many accounts, extra connections cost more than they save. */
const MIN_ROWS_FOR_PARALLEL = 150_000;
/** Unit of work for hash-partitioned streams (aid ranges are handed out from a queue). */
const BLOCK_ROWS = 1_000_000;

async function accountsReferenced(client: pg.Client): Promise<boolean> {
  const r = await client.query<{ n: string }>("select count(*) as n from pg_constraint where contype = 'f' and confrelid = 'pgbench_accounts'::regclass");
  return Number(r.rows[0]?.n ?? 0) > 0;
}

/** Run `worker` on `streams` connections (the first is `main`, the others opened and closed here). */
async function onStreams(main: pg.Client, connect: () => Promise<pg.Client>, streams: number, worker: (client: pg.Client) => Promise<void>): Promise<void> {
  const extra: pg.Client[] = [];
  try {
    for (let i = 1; i < streams; i++) extra.push(await connect());
    await Promise.all([main, ...extra].map((c) => worker(c)));
  } finally {
    await Promise.all(extra.map((c) => c.end().catch(() => undefined)));
  }
}

export async function generateClientSide(main: pg.Client, connect: () => Promise<pg.Client>, o: ClientGenerateOptions, report: RowsReporter): Promise<void> {
  const versionRow = await main.query<{ v: string }>("select current_setting('server_version_num') as v");
  // COPY FREEZE on these tables works from PostgreSQL 14 on (pgbench checks the same).
  const canFreeze = Number(versionRow.rows[0]?.v ?? 0) >= 140000;
  const total = totalAccounts(o.scale);
  let done = 0;
  const onAccounts = (n: number): void => {
    done += n;
    report('pgbench_accounts', done, total);
  };

  await main.query('begin');
  let inTxn = true;
  try {
    await main.query(TRUNCATE_TABLES_SQL);
    // In this order in case foreign keys already exist (pgbench's comment).
    const nb = NBRANCHES * o.scale;
    await copyRows(main, 'pgbench_branches', 'branches', 1, nb, canFreeze);
    report('pgbench_branches', nb, nb);
    const nt = NTELLERS * o.scale;
    await copyRows(main, 'pgbench_tellers', 'tellers', 1, nt, canFreeze);
    report('pgbench_tellers', nt, nt);

    const streams = total < MIN_ROWS_FOR_PARALLEL ? 1 : Math.max(1, Math.floor(o.parallel));
    const partitioned = o.partitionMethod !== 'none' && o.partitions > 0;

    if (o.partitionMethod === 'range' && partitioned) {
      const referenced = await accountsReferenced(main);
      const parts = Array.from({ length: o.partitions }, (_, i) => i + 1);
      if (streams === 1 || referenced) {
        // The parent's TRUNCATE above gave every partition a new file in this transaction: FREEZE is
        // allowed on each leaf directly.
        for (const p of parts) {
          const { first, last } = rangePartitionAids(o.scale, o.partitions, p);
          await copyRows(main, `pgbench_accounts_${p}`, 'accounts', first, last, canFreeze, onAccounts);
        }
      } else {
        await main.query('commit');
        inTxn = false;
        const queue = [...parts];
        await onStreams(main, connect, Math.min(streams, parts.length), async (c) => {
          for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
            const { first, last } = rangePartitionAids(o.scale, o.partitions, p);
            await c.query('begin');
            await c.query(`truncate table pgbench_accounts_${p}`);
            await copyRows(c, `pgbench_accounts_${p}`, 'accounts', first, last, canFreeze, onAccounts);
            await c.query('commit');
          }
        });
      }
    } else if (streams === 1 || !partitioned) {
      await copyRows(main, 'pgbench_accounts', 'accounts', 1, total, canFreeze && !partitioned, onAccounts);
    } else {
      await main.query('commit');
      inTxn = false;
      const blocks: { first: number; last: number }[] = [];
      const blockRows = Math.min(BLOCK_ROWS, Math.ceil(total / streams));
      for (let first = 1; first <= total; first += blockRows) blocks.push({ first, last: Math.min(total, first + blockRows - 1) });
      await onStreams(main, connect, Math.min(streams, blocks.length), async (c) => {
        for (let b = blocks.shift(); b !== undefined; b = blocks.shift()) {
          await copyRows(c, 'pgbench_accounts', 'accounts', b.first, b.last, false, onAccounts);
        }
      });
    }
    if (inTxn) {
      inTxn = false;
      await main.query('commit');
    }
  } catch (e) {
    if (inTxn) await main.query('rollback').catch(() => undefined);
    throw e;
  }
}
