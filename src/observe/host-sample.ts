/**
 * Two snapshots of one host → the HostSample of the span between them: deltas of cumulative
 * counters, rates per second of the span, gauges as of the later snapshot.
 */
import { round } from '../util/round.js';
import { redact } from '../config/redact.js';
import type { HostSnapshot } from './server-queries.js';
import { statementShape } from './statement-shape.js';
import type { HostSample, OpenTransaction, ProcessUsage, TableSample, TopStatement, TransactionAges } from './types.js';

/** Each snapshot is one implicit transaction of the observer itself: its commit is not the load's. */
const OWN_COMMITS_PER_SNAPSHOT = 1;
const TOP_STATEMENTS = 5;
/** Open transactions kept per sample (the oldest). */
const OPEN_TRANSACTIONS = 3;
/** Characters of a long transaction's query kept: enough to recognise it. */
const QUERY_CHARS = 80;

/** A counter reset (stats reset, failover to another server) shows as a negative delta: count 0 then. */
const delta = (a: number, b: number): number => Math.max(0, b - a);

export function hostSample(host: string, a: HostSnapshot, b: HostSnapshot, process: ProcessUsage | null): HostSample {
  const spanS = Math.max(1e-6, (b.atUs - a.atUs) / 1e6);
  const d = (k: keyof HostSnapshot['db']): number => delta(a.db[k], b.db[k]);
  const rate = (n: number): number => round(n / spanS, 3);
  const hit = d('blks_hit');
  const read = d('blks_read');
  const tables: TableSample[] = [];
  for (const [name, t] of b.tables) {
    const before = a.tables.get(name);
    tables.push({
      name,
      tableBytes: t.tableBytes,
      indexBytes: t.indexBytes,
      liveRows: t.liveRows,
      deadRows: t.deadRows,
      autovacuumDelta: before === undefined ? 0 : delta(before.autovacuum, t.autovacuum),
      autoanalyzeDelta: before === undefined ? 0 : delta(before.autoanalyze, t.autoanalyze),
    });
  }
  const autovacuumTables = new Set(b.autovacuumTables);
  for (const t of tables) if (t.autovacuumDelta + t.autoanalyzeDelta > 0) autovacuumTables.add(t.name);
  return {
    host,
    ok: true,
    inRecovery: b.inRecovery,
    commitsPerS: rate(Math.max(0, d('xact_commit') - OWN_COMMITS_PER_SNAPSHOT)),
    rollbacksPerS: rate(d('xact_rollback')),
    blksHitDelta: hit,
    blksReadDelta: read,
    cacheHitRatio: hit + read === 0 ? null : round(hit / (hit + read), 5),
    tuplesPerS: {
      returned: rate(d('tup_returned')),
      fetched: rate(d('tup_fetched')),
      inserted: rate(d('tup_inserted')),
      updated: rate(d('tup_updated')),
      deleted: rate(d('tup_deleted')),
    },
    tempFilesDelta: d('temp_files'),
    tempBytesDelta: d('temp_bytes'),
    deadlocksDelta: d('deadlocks'),
    conflictsDelta: d('conflicts'),
    connections: { ...b.connections },
    maxConnections: b.maxConnections,
    waitEvents: b.waitEvents.map((w) => ({ ...w })),
    checkpointsDelta: delta(a.checkpoints, b.checkpoints),
    checkpointBuffersDelta: delta(a.checkpointBuffers, b.checkpointBuffers),
    checkpointInProgress: b.checkpointInProgress,
    walBytesDelta: a.walBytes === null || b.walBytes === null ? null : delta(a.walBytes, b.walBytes),
    replication: b.replication.map((r) => ({ ...r })),
    standby: b.inRecovery
      ? { replayLagBytes: b.standbyReplayLagBytes, replayDelayMs: b.standbyReplayDelayMs === null ? null : round(b.standbyReplayDelayMs, 3) }
      : null,
    autovacuumTables: [...autovacuumTables].sort(),
    tables,
    topStatements: topStatements(a, b, spanS),
    process,
    transactions: transactionAges(b),
  };
}

/**
 * The query as it may be stored: its shape (every literal a `?`, so a value in it never lands in
 * a result or a finding) with passwords masked, cut to QUERY_CHARS.
 */
export function shownQuery(sql: string): string {
  const shape = redact(statementShape(sql));
  return shape.length > QUERY_CHARS ? `${shape.slice(0, QUERY_CHARS - 1)}…` : shape;
}

function transactionAges(b: HostSnapshot): TransactionAges {
  const open = b.openTransactions;
  const max = (xs: (number | null)[]): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length === 0 ? null : round(Math.max(...v), 3);
  };
  const orNull = (v: number | null): number | null => (v === null ? null : round(v, 3));
  const shown = (t: (typeof open)[number]): OpenTransaction => ({
    pid: t.pid,
    applicationName: t.applicationName,
    state: t.state,
    xactS: round(t.xactS, 3),
    queryS: orNull(t.queryS),
    stateS: orNull(t.stateS),
    query: shownQuery(t.query),
  });
  const kept = open.slice(0, OPEN_TRANSACTIONS);
  // The longest idle one is kept even when older active ones fill the list: it is its own finding.
  const idle = open.filter((t) => t.state.startsWith('idle in transaction'));
  const longestIdle = idle.reduce<(typeof idle)[number] | undefined>((m, t) => (m === undefined || (t.stateS ?? 0) > (m.stateS ?? 0) ? t : m), undefined);
  if (longestIdle !== undefined && !kept.includes(longestIdle)) kept.push(longestIdle);
  return {
    oldestXactS: max(open.map((t) => t.xactS)),
    oldestActiveQueryS: max(open.filter((t) => t.state === 'active').map((t) => t.queryS)),
    oldestIdleInXactS: max(idle.map((t) => t.stateS)),
    sessions: kept.map(shown),
  };
}

function topStatements(a: HostSnapshot, b: HostSnapshot, spanS: number): TopStatement[] {
  const out: TopStatement[] = [];
  for (const [id, s] of b.statements) {
    const before = a.statements.get(id);
    const calls = delta(before?.calls ?? 0, s.calls);
    const totalMs = delta(before?.totalMs ?? 0, s.totalMs);
    if (calls === 0) continue;
    out.push({ query: s.query, callsPerS: round(calls / spanS, 3), meanMs: round(totalMs / calls, 3), totalMsDelta: round(totalMs, 3) });
  }
  return out.sort((x, y) => y.totalMsDelta - x.totalMsDelta).slice(0, TOP_STATEMENTS);
}

/** A host whose snapshot failed: everything unknown. */
export function failedSample(host: string, error: string): HostSample {
  return {
    host,
    ok: false,
    error,
    inRecovery: null,
    commitsPerS: null,
    rollbacksPerS: null,
    blksHitDelta: null,
    blksReadDelta: null,
    cacheHitRatio: null,
    tuplesPerS: null,
    tempFilesDelta: null,
    tempBytesDelta: null,
    deadlocksDelta: null,
    conflictsDelta: null,
    connections: null,
    maxConnections: null,
    waitEvents: [],
    checkpointsDelta: null,
    checkpointBuffersDelta: null,
    checkpointInProgress: null,
    walBytesDelta: null,
    replication: [],
    standby: null,
    autovacuumTables: [],
    tables: [],
    topStatements: [],
    process: null,
  };
}
