/**
 * pgbench's schema, statement for statement, as pgbench.c (PostgreSQL 15-17) sends it.
 *
 * The text is kept identical to pgbench's (spacing included: "aid    int" in the 32-bit history and
 * accounts declarations) so that a database made by either tool is indistinguishable to the other,
 * and so that server logs of the two look the same. Pure functions: no I/O here.
 */

/** Rows per unit of scale, as pgbench's nbranches / ntellers / naccounts. */
export const NBRANCHES = 1;
export const NTELLERS = 10;
export const NACCOUNTS = 100_000;

/** From this scale on, aid needs 64 bits (pgbench's SCALE_32BIT_THRESHOLD). */
const SCALE_32BIT_THRESHOLD = 20_000;

export type PartitionMethod = 'none' | 'range' | 'hash';

export interface DdlOptions {
  readonly scale: number;
  readonly unlogged: boolean;
  readonly fillfactor: number;
  readonly partitions: number;
  readonly partitionMethod: PartitionMethod;
  readonly tablespace?: string | undefined;
  readonly indexTablespace?: string | undefined;
}

interface TableDdl {
  readonly table: string;
  readonly smcols: string;
  readonly bigcols: string;
  readonly declareFillfactor: boolean;
}

// Order matters: pgbench creates history, tellers, accounts, branches in this order, which decides
// the tables' OIDs (and so the order of some catalog listings).
const DDLS: readonly TableDdl[] = [
  {
    table: 'pgbench_history',
    smcols: 'tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22)',
    bigcols: 'tid int,bid int,aid bigint,delta int,mtime timestamp,filler char(22)',
    declareFillfactor: false,
  },
  {
    table: 'pgbench_tellers',
    smcols: 'tid int not null,bid int,tbalance int,filler char(84)',
    bigcols: 'tid int not null,bid int,tbalance int,filler char(84)',
    declareFillfactor: true,
  },
  {
    table: 'pgbench_accounts',
    smcols: 'aid    int not null,bid int,abalance int,filler char(84)',
    bigcols: 'aid bigint not null,bid int,abalance int,filler char(84)',
    declareFillfactor: true,
  },
  {
    table: 'pgbench_branches',
    smcols: 'bid int not null,bbalance int,filler char(88)',
    bigcols: 'bid int not null,bbalance int,filler char(88)',
    declareFillfactor: true,
  },
];

/** Like libpq's PQescapeIdentifier: always double-quoted, embedded quotes doubled. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export const DROP_TABLES_SQL = 'drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers';
export const TRUNCATE_TABLES_SQL = 'truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers';

/** CREATE TABLE statements, then the partitions of pgbench_accounts (pgbench's initCreateTables). */
export function createTablesSql(o: DdlOptions): string[] {
  const out: string[] = [];
  for (const ddl of DDLS) {
    let sql = `create${o.unlogged ? ' unlogged' : ''} table ${ddl.table}(${o.scale >= SCALE_32BIT_THRESHOLD ? ddl.bigcols : ddl.smcols})`;
    if (o.partitionMethod !== 'none' && ddl.table === 'pgbench_accounts') {
      sql += ` partition by ${o.partitionMethod} (aid)`;
    } else if (ddl.declareFillfactor) {
      // fillfactor is only expected on actual tables (a partitioned parent has no storage)
      sql += ` with (fillfactor=${o.fillfactor})`;
    }
    if (o.tablespace !== undefined) sql += ` tablespace ${quoteIdent(o.tablespace)}`;
    out.push(sql);
  }
  if (o.partitionMethod !== 'none') out.push(...createPartitionsSql(o));
  return out;
}

/** Rows in pgbench_accounts. */
export function totalAccounts(scale: number): number {
  return NACCOUNTS * scale;
}

/**
 * Size of each range partition: pgbench rounds up, so the last one may be smaller; the first and
 * last are open-ended (minvalue / maxvalue) so any aid fits.
 */
function rangePartSize(scale: number, partitions: number): number {
  return Math.floor((totalAccounts(scale) + partitions - 1) / partitions);
}

/** Partitions of pgbench_accounts (pgbench's createPartitions). They get no tablespace, as in pgbench. */
function createPartitionsSql(o: DdlOptions): string[] {
  const out: string[] = [];
  const unlogged = o.unlogged ? ' unlogged' : '';
  for (let p = 1; p <= o.partitions; p++) {
    let sql = `create${unlogged} table pgbench_accounts_${p}\n  partition of pgbench_accounts\n`;
    if (o.partitionMethod === 'range') {
      const size = rangePartSize(o.scale, o.partitions);
      const from = p === 1 ? 'minvalue' : String((p - 1) * size + 1);
      const to = p < o.partitions ? String(p * size + 1) : 'maxvalue';
      sql += `  for values from (${from}) to (${to})`;
    } else {
      sql += `  for values with (modulus ${o.partitions}, remainder ${p - 1})`;
    }
    sql += ` with (fillfactor=${o.fillfactor})`;
    out.push(sql);
  }
  return out;
}

/**
 * The aid range [first, last] that range partition p (1-based) receives when the table holds
 * aid 1..total: what a client may COPY straight into that partition.
 */
export function rangePartitionAids(scale: number, partitions: number, p: number): { first: number; last: number } {
  const size = rangePartSize(scale, partitions);
  const total = totalAccounts(scale);
  const first = (p - 1) * size + 1;
  const last = p < partitions ? Math.min(p * size, total) : total;
  return { first, last };
}

/** pgbench's initGenerateDataServerSide: three INSERT ... SELECT from generate_series. */
export function serverSideGenerateSql(scale: number): string[] {
  return [
    `insert into pgbench_branches(bid,bbalance) select bid, 0 from generate_series(1, ${NBRANCHES * scale}) as bid`,
    `insert into pgbench_tellers(tid,bid,tbalance) select tid, (tid - 1) / ${NTELLERS} + 1, 0 from generate_series(1, ${NTELLERS * scale}) as tid`,
    `insert into pgbench_accounts(aid,bid,abalance,filler) select aid, (aid - 1) / ${NACCOUNTS} + 1, 0, '' from generate_series(1, ${totalAccounts(scale)}) as aid`,
  ];
}

export const VACUUM_SQL: readonly string[] = [
  'vacuum analyze pgbench_branches',
  'vacuum analyze pgbench_tellers',
  'vacuum analyze pgbench_accounts',
  'vacuum analyze pgbench_history',
];

/** pgbench's initCreatePKeys: the constraint names come out as <table>_pkey, as in pgbench. */
export function primaryKeysSql(indexTablespace?: string): string[] {
  const suffix = indexTablespace === undefined ? '' : ` using index tablespace ${quoteIdent(indexTablespace)}`;
  return [
    `alter table pgbench_branches add primary key (bid)${suffix}`,
    `alter table pgbench_tellers add primary key (tid)${suffix}`,
    `alter table pgbench_accounts add primary key (aid)${suffix}`,
  ];
}

/** pgbench's initCreateFKeys, with its explicit constraint names. */
export const FOREIGN_KEYS_SQL: readonly string[] = [
  'alter table pgbench_tellers add constraint pgbench_tellers_bid_fkey foreign key (bid) references pgbench_branches',
  'alter table pgbench_accounts add constraint pgbench_accounts_bid_fkey foreign key (bid) references pgbench_branches',
  'alter table pgbench_history add constraint pgbench_history_bid_fkey foreign key (bid) references pgbench_branches',
  'alter table pgbench_history add constraint pgbench_history_tid_fkey foreign key (tid) references pgbench_tellers',
  'alter table pgbench_history add constraint pgbench_history_aid_fkey foreign key (aid) references pgbench_accounts',
];
