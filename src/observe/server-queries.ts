/**
 * The SQL of the server observer: start/end facts, and one snapshot per interval boundary.
 *
 * A snapshot is ONE simple-protocol query string holding several statements: one round trip, and
 * one implicit transaction, so (a) it adds exactly one commit to pg_stat_database per snapshot,
 * which the observer subtracts, and (b) with stats_fetch_consistency = cache (the default) every
 * pg_stat_* view is read from one consistent moment. Statements that depend on the version or on an
 * extension are chosen at open(), because one failing statement would fail the whole string.
 * Every query here runs on a client from openAdminClient, whose deadline bounds it (the observer's
 * is the sampling deadline): none of them can wait for a server that stopped answering.
 */
import type pg from 'pg';
import type { HostFacts, ReplicationPeer, TableFacts } from './types.js';

export interface Capabilities {
  readonly versionNum: number;
  readonly pgStatStatements: boolean;
}

/** Cumulative counters and gauges at one moment; diffs of two of these make a HostSample. */
export interface HostSnapshot {
  readonly atUs: number;
  readonly db: Readonly<Record<DbCounter, number>>;
  readonly inRecovery: boolean;
  readonly maxConnections: number;
  readonly connections: { total: number; active: number; idle: number; idleInTransaction: number; waitingOnLock: number };
  readonly waitEvents: { event: string; count: number }[];
  readonly checkpointInProgress: boolean;
  readonly checkpoints: number;
  readonly checkpointBuffers: number;
  readonly walBytes: number | null;
  readonly replication: ReplicationPeer[];
  readonly standbyReplayLagBytes: number | null;
  readonly standbyReplayDelayMs: number | null;
  readonly autovacuumTables: string[];
  readonly tables: Map<string, { tableBytes: number; indexBytes: number; liveRows: number; deadRows: number; autovacuum: number; autoanalyze: number }>;
  /** queryid → calls, total exec ms, text. */
  readonly statements: Map<string, { calls: number; totalMs: number; query: string }>;
  /** Client sessions whose transaction has been open at least LONG_XACT_MIN_S, oldest first. */
  readonly openTransactions: OpenTransaction[];
}

/** A session in a transaction, as pg_stat_activity shows it; ages in seconds at the snapshot. */
export interface OpenTransaction {
  readonly pid: number;
  readonly applicationName: string;
  readonly state: string;
  readonly xactS: number;
  /** Since the current (active) or last (idle in transaction) query started. */
  readonly queryS: number | null;
  /** Since the session entered its state: how long it has sat idle in transaction. */
  readonly stateS: number | null;
  /** The query text as the server shows it (not yet redacted: see host-sample.ts). */
  readonly query: string;
}

/** Transactions younger than this are the load's own business and not read at all. */
export const LONG_XACT_MIN_S = 1;
/** At most this many open transactions per snapshot (the oldest). */
const LONG_XACT_ROWS = 20;

const DB_COUNTERS = [
  'xact_commit',
  'xact_rollback',
  'blks_read',
  'blks_hit',
  'tup_returned',
  'tup_fetched',
  'tup_inserted',
  'tup_updated',
  'tup_deleted',
  'conflicts',
  'temp_files',
  'temp_bytes',
  'deadlocks',
] as const;
export type DbCounter = (typeof DB_COUNTERS)[number];

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Workload tables: pgbench's (and their partitions) and those named by the workload. */
export function tableFilter(tables: readonly string[]): string {
  const named = tables.length === 0 ? '' : ` or c.oid in (select to_regclass(x) from unnest(array[${tables.map(lit).join(',')}]::text[]) x)`;
  return `c.relkind in ('r','p','m') and (c.relname like 'pgbench\\_%'${named})`;
}

function tablesSql(tables: readonly string[]): string {
  return (
    `select c.oid::regclass::text as name, pg_table_size(c.oid) as tbytes, pg_indexes_size(c.oid) as ibytes, ` +
    `c.reltuples as est, coalesce(s.n_live_tup,0) as live, coalesce(s.n_dead_tup,0) as dead, ` +
    `coalesce(s.autovacuum_count,0) as av, coalesce(s.autoanalyze_count,0) as aa ` +
    `from pg_class c left join pg_stat_all_tables s on s.relid = c.oid where ${tableFilter(tables)} order by 1`
  );
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Whether pg_stat_statements can be read in this database, and if not, why: it must be in
 * shared_preload_libraries (a restart) AND created in the database; total_exec_time is PG ≥ 13
 * (total_time before), so older servers get no statement figures.
 */
export type PgStatStatementsStatus =
  | { readonly kind: 'ready' }
  | { readonly kind: 'too-old'; readonly versionNum: number }
  | { readonly kind: 'not-preloaded'; readonly created: boolean }
  | { readonly kind: 'not-created' };

export async function readCapabilities(client: pg.Client): Promise<Capabilities> {
  const { versionNum, status } = await readPgStatStatements(client);
  return { versionNum, pgStatStatements: status.kind === 'ready' };
}

export async function readPgStatStatements(client: pg.Client): Promise<{ versionNum: number; status: PgStatStatementsStatus }> {
  const r = await client.query<{ v: string; pss: boolean; preloaded: boolean | null }>(
    `select current_setting('server_version_num') as v, ` +
      `exists(select 1 from pg_extension where extname = 'pg_stat_statements') as pss, ` +
      // pg_settings, not current_setting(): the setting is hidden from a role without
      // pg_read_all_settings, and current_setting() raises an error for it where this reads null.
      `(select setting from pg_settings where name = 'shared_preload_libraries') ~ 'pg_stat_statements' as preloaded`,
  );
  const row = r.rows[0];
  const versionNum = Number(row?.v ?? 0);
  if (versionNum < 130000) return { versionNum, status: { kind: 'too-old', versionNum } };
  const created = row?.pss === true;
  // Not visible (null): say what is certain, the missing CREATE EXTENSION; a missing preload then
  // shows as not-preloaded once it is created.
  if (!created) return { versionNum, status: row?.preloaded === false ? { kind: 'not-preloaded', created } : { kind: 'not-created' } };
  // Created but not preloaded: the view raises an error on every read.
  const readable = await client.query('select 1 from pg_stat_statements limit 1').then(
    () => true,
    () => false,
  );
  return { versionNum, status: readable ? { kind: 'ready' } : { kind: 'not-preloaded', created } };
}

export async function readFacts(client: pg.Client, host: string, caps: Capabilities, tables: readonly string[]): Promise<HostFacts> {
  const r = await client.query<{ version: string; rec: boolean; maxc: string; sb: string }>(
    `select current_setting('server_version') as version, pg_is_in_recovery() as rec, ` +
      `current_setting('max_connections') as maxc, ` +
      `(select setting::bigint * pg_size_bytes(coalesce(unit,'1')) from pg_settings where name = 'shared_buffers') as sb`,
  );
  const s = await client.query<{ name: string; setting: string; unit: string | null }>(
    `select name, setting, unit from pg_settings where source not in ('default','override') order by name`,
  );
  const settings: Record<string, string> = {};
  for (const row of s.rows) settings[row.name] = row.unit === null ? row.setting : `${row.setting} (${row.unit})`;
  const t = await client.query<Record<string, unknown>>(tablesSql(tables));
  const tableFacts: TableFacts[] = t.rows.map((row) => {
    const est = num(row['est']);
    const tableBytes = num(row['tbytes']);
    const indexBytes = num(row['ibytes']);
    return { name: String(row['name']), rowsEstimate: est < 0 ? null : est, tableBytes, indexBytes, totalBytes: tableBytes + indexBytes };
  });
  const row = r.rows[0];
  return {
    host,
    serverVersion: row?.version ?? '',
    serverVersionNum: caps.versionNum,
    inRecovery: row?.rec === true,
    maxConnections: num(row?.maxc),
    sharedBuffersBytes: num(row?.sb),
    settings,
    pgStatStatements: caps.pgStatStatements,
    tables: tableFacts,
  };
}

/** The statements of one snapshot, in the order parseSnapshot expects. */
export function snapshotSql(caps: Capabilities, tables: readonly string[]): string {
  // Checkpoints: completed ones from PG 18 (num_done); before, requested/timed ones (counted once
  // the checkpointer reports, i.e. around the checkpoint's end).
  const checkpoints =
    caps.versionNum >= 180000
      ? `select num_done as n, buffers_written as b from pg_stat_checkpointer`
      : caps.versionNum >= 170000
        ? `select num_timed + num_requested as n, buffers_written as b from pg_stat_checkpointer`
        : `select checkpoints_timed + checkpoints_req as n, buffers_checkpoint as b from pg_stat_bgwriter`;
  // pg_stat_wal (PG ≥ 14) counts WAL this server generated; a standby generates none, so it shows
  // the WAL it replayed instead (LSN). Before 14, LSN positions on both.
  const wal =
    caps.versionNum >= 140000
      ? `case when pg_is_in_recovery() then pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') else (select wal_bytes from pg_stat_wal) end`
      : `case when pg_is_in_recovery() then pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0') else pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') end`;
  const parts = [
    `select ${DB_COUNTERS.join(', ')} from pg_stat_database where datname = current_database()`,
    // total counts the observer's own connection (it takes a slot of max_connections too); the
    // states do not (it is always active while it looks).
    `select count(*) as total, count(*) filter (where state = 'active' and pid <> pg_backend_pid()) as active, ` +
      `count(*) filter (where state = 'idle') as idle, count(*) filter (where state like 'idle in transaction%') as iit, ` +
      `count(*) filter (where wait_event_type = 'Lock') as lockw from pg_stat_activity where backend_type = 'client backend'`,
    `select wait_event_type || ':' || wait_event as event, count(*) as n from pg_stat_activity ` +
      `where backend_type = 'client backend' and state = 'active' and wait_event is not null and pid <> pg_backend_pid() ` +
      `group by 1 order by 2 desc, 1 limit 5`,
    `select pg_is_in_recovery() as rec, ${wal} as wal, current_setting('max_connections') as maxc, ` +
      `exists(select 1 from pg_stat_activity where backend_type = 'checkpointer' and wait_event = 'CheckpointWriteDelay') as ckpt, ` +
      `case when pg_is_in_recovery() then pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) end as sblag, ` +
      // The replay timestamp is the primary's clock and can be later than this standby's clock (skew
      // between hosts, or a commit replayed after this statement started): never below 0.
      `case when pg_is_in_recovery() then greatest(0, extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000) end as sbdelay`,
    checkpoints,
    `select application_name as app, client_addr::text as addr, state, extract(epoch from write_lag) * 1000 as wl, ` +
      `extract(epoch from flush_lag) * 1000 as fl, extract(epoch from replay_lag) * 1000 as rl, ` +
      `case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) end as bytes ` +
      `from pg_stat_replication order by 1, 2`,
    `select distinct relid::regclass::text as t from pg_stat_progress_vacuum ` +
      `where datname = current_database() and pid in (select pid from pg_stat_activity where backend_type = 'autovacuum worker')` +
      (caps.versionNum >= 130000
        ? ` union select relid::regclass::text from pg_stat_progress_analyze where datname = current_database() ` +
          `and pid in (select pid from pg_stat_activity where backend_type = 'autovacuum worker')`
        : ''),
    tablesSql(tables),
    // Every database's client sessions (an old transaction anywhere holds back VACUUM everywhere),
    // not this observer's own, and no walsenders or background workers (backend_type).
    `select pid, coalesce(application_name, '') as app, coalesce(state, '') as state, left(query, 1000) as q, ` +
      `extract(epoch from clock_timestamp() - xact_start) as xs, extract(epoch from clock_timestamp() - query_start) as qs, ` +
      `extract(epoch from clock_timestamp() - state_change) as ss from pg_stat_activity ` +
      `where backend_type = 'client backend' and pid <> pg_backend_pid() ` +
      `and xact_start < clock_timestamp() - interval '${LONG_XACT_MIN_S} second' order by xact_start limit ${LONG_XACT_ROWS}`,
  ];
  if (caps.pgStatStatements) {
    parts.push(
      `select queryid::text as id, left(query, 300) as q, calls, total_exec_time as ms from pg_stat_statements ` +
        `where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time desc limit 50`,
    );
  }
  return parts.join(';\n');
}

type Rows = Record<string, unknown>[];

/** Cumulative pg_stat_statements counters of one entry; the difference of two readings is a run's share. */
export interface StatementCounters {
  readonly query: string;
  readonly calls: number;
  readonly execMs: number;
  readonly planMs: number;
  readonly rows: number;
  readonly sharedBlksHit: number;
  readonly sharedBlksRead: number;
}

/** A reading of every pg_stat_statements entry of the run's database and user (queryid → counters). */
export interface StatementReading {
  /** pg_stat_statements.track_planning: planning times are 0 without it (false when no entry was read). */
  readonly planningTracked: boolean;
  readonly entries: ReadonlyMap<string, StatementCounters>;
  /** pg_stat_statements_info.dealloc (PG ≥ 14): how often entries were evicted to make room; null before 14. */
  readonly deallocs: number | null;
}

/**
 * The entries of this database and this connection's user (the run's: the observer connects as
 * the load does), top-level statements only where the server tells them apart (PG ≥ 14): a
 * function's inner statements are not what the client sent. Read at the start and the end of the
 * measured phase only, never per interval.
 */
export function statementCountersSql(caps: Capabilities): string {
  return (
    `select queryid::text as id, query as q, calls, total_exec_time as ems, total_plan_time as pms, rows, ` +
    `shared_blks_hit as hit, shared_blks_read as rd, ` +
    `coalesce(current_setting('pg_stat_statements.track_planning', true), 'off') = 'on' as tp ` +
    `from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database()) ` +
    `and userid = (select oid from pg_roles where rolname = current_user)` +
    (caps.versionNum >= 140000 ? ' and toplevel' : '')
  );
}

export async function readStatementCounters(client: pg.Client, caps: Capabilities): Promise<StatementReading> {
  const r = await client.query<Record<string, unknown>>(statementCountersSql(caps));
  const entries = new Map<string, StatementCounters>();
  let planningTracked = false;
  for (const row of r.rows) {
    planningTracked = row['tp'] === true;
    entries.set(String(row['id']), {
      query: String(row['q'] ?? ''),
      calls: num(row['calls']),
      execMs: num(row['ems']),
      planMs: num(row['pms']),
      rows: num(row['rows']),
      sharedBlksHit: num(row['hit']),
      sharedBlksRead: num(row['rd']),
    });
  }
  const info = caps.versionNum >= 140000 ? await client.query<{ n: string }>('select dealloc as n from pg_stat_statements_info') : undefined;
  return { planningTracked, entries, deallocs: info === undefined ? null : num(info.rows[0]?.n) };
}

export function parseSnapshot(results: readonly { rows: Rows }[], atUs: number): HostSnapshot {
  const rows = (i: number): Rows => results[i]?.rows ?? [];
  const db = {} as Record<DbCounter, number>;
  const dbRow = rows(0)[0] ?? {};
  for (const c of DB_COUNTERS) db[c] = num(dbRow[c]);
  const act = rows(1)[0] ?? {};
  const misc = rows(3)[0] ?? {};
  const ck = rows(4)[0] ?? {};
  const tables: HostSnapshot['tables'] = new Map();
  for (const t of rows(7)) {
    tables.set(String(t['name']), {
      tableBytes: num(t['tbytes']),
      indexBytes: num(t['ibytes']),
      liveRows: num(t['live']),
      deadRows: num(t['dead']),
      autovacuum: num(t['av']),
      autoanalyze: num(t['aa']),
    });
  }
  const statements: HostSnapshot['statements'] = new Map();
  for (const s of rows(9)) statements.set(String(s['id']), { calls: num(s['calls']), totalMs: num(s['ms']), query: String(s['q']) });
  return {
    atUs,
    db,
    inRecovery: misc['rec'] === true,
    maxConnections: num(misc['maxc']),
    connections: {
      total: num(act['total']),
      active: num(act['active']),
      idle: num(act['idle']),
      idleInTransaction: num(act['iit']),
      waitingOnLock: num(act['lockw']),
    },
    waitEvents: rows(2).map((w) => ({ event: String(w['event']), count: num(w['n']) })),
    checkpointInProgress: misc['ckpt'] === true,
    checkpoints: num(ck['n']),
    checkpointBuffers: num(ck['b']),
    walBytes: numOrNull(misc['wal']),
    replication: rows(5).map((r) => ({
      applicationName: String(r['app'] ?? ''),
      clientAddr: r['addr'] === null || r['addr'] === undefined ? null : String(r['addr']),
      state: String(r['state'] ?? ''),
      writeLagMs: numOrNull(r['wl']),
      flushLagMs: numOrNull(r['fl']),
      replayLagMs: numOrNull(r['rl']),
      replayLagBytes: numOrNull(r['bytes']),
    })),
    standbyReplayLagBytes: numOrNull(misc['sblag']),
    standbyReplayDelayMs: numOrNull(misc['sbdelay']),
    autovacuumTables: rows(6).map((r) => String(r['t'])),
    tables,
    statements,
    openTransactions: rows(8).map((r) => ({
      pid: num(r['pid']),
      applicationName: String(r['app'] ?? ''),
      state: String(r['state'] ?? ''),
      xactS: num(r['xs']),
      queryS: numOrNull(r['qs']),
      stateS: numOrNull(r['ss']),
      query: String(r['q'] ?? ''),
    })),
  };
}
