/**
 * The result's server sections (`server`, `serverFacts`, `findings`) as zod schemas, with the types
 * derived from them, so what the observer (src/observe) writes and what the reports read cannot
 * drift. This module imports nothing of src/observe or src/output: both use it as plain data types.
 *
 * Rates are per second of the interval actually covered by the two snapshots around it (the
 * snapshots are taken at the grid boundaries, give or take the time a query takes); counts named
 * `…Delta` are plain differences. null means "not measured" (query failed, view absent, no reads).
 * Fields added after the first version of a section are optional, so older results still parse.
 */
import { z } from '../vendor/zod.js';

const num = z.number();
const numOrNull = z.number().nullable();

const tableFactsSchema = z.object({
  name: z.string(),
  /** pg_class.reltuples (planner estimate; -1 → never analysed → null). */
  rowsEstimate: numOrNull,
  tableBytes: num,
  indexBytes: num,
  totalBytes: num,
});

/**
 * Estimated bloat (statistics against real size, src/observe/bloat.ts): bytes beyond what the rows
 * need at the fill factor. null: some column has no statistics (never analysed), so no estimate.
 */
const tableBloatSchema = z.object({
  name: z.string(),
  /** Main fork, bytes. */
  bytes: num,
  liveRows: num,
  deadRows: num,
  /** n_dead_tup / (n_live_tup + n_dead_tup); null for an empty table. */
  deadRatio: numOrNull,
  bloatBytes: numOrNull,
  /** bloatBytes / bytes. */
  bloatRatio: numOrNull,
});

const indexBloatSchema = z.object({ name: z.string(), table: z.string(), bytes: num, bloatBytes: numOrNull, bloatRatio: numOrNull });

const bloatFactsSchema = z.object({
  tables: z.array(tableBloatSchema),
  /** btree indexes of those tables. */
  indexes: z.array(indexBloatSchema),
  /** Why there are no estimates (the query failed or ran out of time). */
  error: z.string().optional(),
});

/** Start- or end-of-run facts of one host. */
const hostFactsSchema = z.object({
  /** host:port, as in result.target.hosts. */
  host: z.string(),
  serverVersion: z.string(),
  serverVersionNum: num,
  inRecovery: z.boolean(),
  maxConnections: num,
  sharedBuffersBytes: num,
  /** pg_settings whose source is neither 'default' nor 'override'. */
  settings: z.record(z.string(), z.string()),
  pgStatStatements: z.boolean(),
  tables: z.array(tableFactsSchema),
  /** Bloat estimates of the workload tables and their indexes; absent in older results. */
  bloat: bloatFactsSchema.optional(),
});

export const serverFactsSchema = z.object({ hosts: z.array(hostFactsSchema) });

const connectionCountsSchema = z.object({
  total: num,
  active: num,
  idle: num,
  idleInTransaction: num,
  /** Backends whose wait_event_type is 'Lock' (heavyweight lock waits). */
  waitingOnLock: num,
});

const replicationPeerSchema = z.object({
  applicationName: z.string(),
  clientAddr: z.string().nullable(),
  state: z.string(),
  writeLagMs: numOrNull,
  flushLagMs: numOrNull,
  replayLagMs: numOrNull,
  /** pg_current_wal_lsn() − replay_lsn. */
  replayLagBytes: numOrNull,
});

/** On a standby: how far it is behind what it has received / the primary's last commit. */
const standbyLagSchema = z.object({
  /** receive − replay LSN, bytes. */
  replayLagBytes: numOrNull,
  /** now() − pg_last_xact_replay_timestamp(); grows when the primary is idle too. */
  replayDelayMs: numOrNull,
});

const topStatementSchema = z.object({ query: z.string(), callsPerS: num, meanMs: numOrNull, totalMsDelta: num });

const processUsageSchema = z.object({
  /** Percent of one core over the interval (200 = two cores busy). */
  cpuPct: numOrNull,
  memoryBytes: numOrNull,
  processes: num,
});

/**
 * The machine a server runs on, as a whole (not only PostgreSQL): from this host's /proc when the
 * server is local, or from a Prometheus node_exporter on its host (--server-metrics). Rates are per
 * second of the span between two readings; null when that reading is missing.
 */
const machineUsageSchema = z.object({
  /** Where the figures come from: "proc" (this machine) or the node_exporter URL (redacted). */
  source: z.string(),
  /** Busy share of all cores over the interval, 0..100 (100 = every core busy). */
  cpuPct: numOrNull,
  memoryTotalBytes: numOrNull,
  memoryAvailableBytes: numOrNull,
  diskReadBytesPerS: numOrNull,
  diskWriteBytesPerS: numOrNull,
  /** Every interface except loopback. */
  netReceiveBytesPerS: numOrNull,
  netTransmitBytesPerS: numOrNull,
  /** Reads and writes completed per second (IOPS) by whole devices; absent in older results. */
  diskReadsPerS: numOrNull.optional(),
  diskWritesPerS: numOrNull.optional(),
  /** Why the figures are missing for this interval (the endpoint did not answer in time, …). */
  error: z.string().optional(),
});

/**
 * The control group of a local server's postmaster (a container on this host, a service of its
 * own): what its limits count. Memory includes the group's page cache. null figures with a reason
 * when the server runs in the root group or the files cannot be read.
 */
const cgroupUsageSchema = z.object({
  /** The group's path in the cgroup hierarchy; null when it has none of its own. */
  path: z.string().nullable(),
  /** Percent of one core over the interval (200 = two cores busy). */
  cpuPct: numOrNull,
  memoryBytes: numOrNull,
  /** memory.max / memory.limit_in_bytes; null when unlimited. */
  memoryLimitBytes: numOrNull,
  reason: z.string().optional(),
});

/**
 * A connection pooler found in front of a sampled host, read from its admin console on the same grid: the pools of the run's database and user. Counts (clients,
 * servers, waiting) are as of the end of the interval; rates and `waiting` cover the interval.
 */
const poolerUsageSchema = z.object({
  kind: z.literal('pgbouncer'),
  version: z.string(),
  /** The pooler's address (the run's target); the host sample it is in is the server behind it when that was reachable. */
  at: z.string(),
  /** The pools read: the run's database and user. */
  database: z.string(),
  user: z.string(),
  /** Its pool_mode (session, transaction, statement); null when no pool of the run's was seen. */
  poolMode: z.string().nullable(),
  /** Server connections allowed per pool (SHOW DATABASES pool_size). */
  poolSize: numOrNull,
  clientsActive: numOrNull,
  /** Clients waiting for a server connection at the end of the interval (cl_waiting). */
  clientsWaiting: numOrNull,
  serversActive: numOrNull,
  serversIdle: numOrNull,
  /** How long the oldest waiting client had waited, at the end of the interval (maxwait). */
  maxWaitMs: numOrNull,
  /**
   * Clients waiting for a server on average over the interval: the wait time PgBouncer credited in
   * it (total_wait_time, counted when a wait ends) over the interval's length (Little's law). 0
   * means no client waited; a short wait for a pool at its size counts.
   */
  waiting: numOrNull,
  transactionsPerS: numOrNull,
  /** Wait per transaction through the pooler's database in the interval. */
  waitPerTransactionMs: numOrNull,
  /** Why the figures are missing for this interval (the console did not answer, …). */
  error: z.string().optional(),
});

/** One backend of a Pgpool-II, as SHOW POOL_NODES says at the interval's end; selects over the interval. */
const pgpoolNodeSchema = z.object({
  id: num,
  /** host:port as Pgpool-II reaches it. */
  host: z.string(),
  /** Pgpool-II's status of it: up, waiting, down, unused. */
  status: z.string(),
  /** primary or standby, as Pgpool-II sees it. */
  role: z.string(),
  /** SELECTs Pgpool-II sent to it per second (its select_cnt over the interval; its own queries not counted). */
  selectsPerS: numOrNull,
  /** Whether it is the load balance node of the session that read it (the observer's). */
  loadBalanceNode: z.boolean(),
  /** Replication delay Pgpool-II measured (bytes, or seconds with delay_threshold_by_time), as it reports it. */
  replicationDelay: numOrNull,
});

/**
 * A Pgpool-II in front of the target, read with SHOW POOL_NODES on the same grid: which node takes
 * the reads. It does not say how many clients wait for a child process.
 */
const pgpoolUsageSchema = z.object({
  kind: z.literal('pgpool'),
  version: z.string(),
  at: z.string(),
  nodes: z.array(pgpoolNodeSchema),
  error: z.string().optional(),
});

/** pgsurge itself: its process usage, and the cores of the machine it ran on (absent in older results). */
const clientUsageSchema = processUsageSchema.extend({ cores: z.number().int().positive().optional() });

const tableSampleSchema = z.object({
  name: z.string(),
  tableBytes: num,
  indexBytes: num,
  liveRows: num,
  deadRows: num,
  autovacuumDelta: num,
  autoanalyzeDelta: num,
});

/** A session in an open transaction; its query is a shape (constants as ?), redacted, at most 80 characters. */
const openTransactionSchema = z.object({
  pid: num,
  applicationName: z.string(),
  /** pg_stat_activity.state: active, idle in transaction, idle in transaction (aborted), … */
  state: z.string(),
  /** Seconds since the transaction started (as of the later snapshot). */
  xactS: num,
  /** Seconds since its current (active) or last query started. */
  queryS: numOrNull,
  /** Seconds in its current state (how long it has sat idle in transaction). */
  stateS: numOrNull,
  query: z.string(),
});

/**
 * Ages of the oldest open transactions of client sessions (every database, not pgsurge's sampler,
 * no walsenders), as of the later snapshot. null: none open for a second or more.
 */
const transactionAgesSchema = z.object({
  oldestXactS: numOrNull,
  /** The oldest query still running (state active). */
  oldestActiveQueryS: numOrNull,
  /** The longest a session has sat idle in transaction. */
  oldestIdleInXactS: numOrNull,
  /** The oldest few, oldest first. */
  sessions: z.array(openTransactionSchema),
});

const hostSampleSchema = z.object({
  host: z.string(),
  /** False when the snapshot could not be taken (the fields below are then null or empty). */
  ok: z.boolean(),
  error: z.string().optional(),
  inRecovery: z.boolean().nullable(),
  commitsPerS: numOrNull,
  rollbacksPerS: numOrNull,
  blksHitDelta: numOrNull,
  blksReadDelta: numOrNull,
  /** blks_hit / (blks_hit + blks_read) over the interval; null when no block was accessed. */
  cacheHitRatio: numOrNull,
  tuplesPerS: z.object({ returned: num, fetched: num, inserted: num, updated: num, deleted: num }).nullable(),
  tempFilesDelta: numOrNull,
  tempBytesDelta: numOrNull,
  deadlocksDelta: numOrNull,
  conflictsDelta: numOrNull,
  connections: connectionCountsSchema.nullable(),
  /** The setting, repeated per sample so that live outputs can show how full the server is. */
  maxConnections: numOrNull,
  waitEvents: z.array(z.object({ event: z.string(), count: num })),
  /** Checkpoints counted in the interval (PG ≥ 18: completed, num_done; older: timed + requested). */
  checkpointsDelta: numOrNull,
  checkpointBuffersDelta: numOrNull,
  /** The checkpointer was writing (wait event CheckpointWriteDelay) when the snapshot was taken. */
  checkpointInProgress: z.boolean().nullable(),
  walBytesDelta: numOrNull,
  replication: z.array(replicationPeerSchema),
  standby: standbyLagSchema.nullable(),
  autovacuumTables: z.array(z.string()),
  tables: z.array(tableSampleSchema),
  topStatements: z.array(topStatementSchema),
  /**
   * The server's processes (postmaster and children), when the postmaster is visible in this
   * machine's /proc: a server pgsurge started, or one found local (src/observe/local-server.ts).
   */
  process: processUsageSchema.nullable(),
  /** The server's machine; absent in results written before it was sampled. */
  machine: machineUsageSchema.nullable().optional(),
  /** The local server's control group; absent in older results, null when the postmaster is not visible here. */
  cgroup: cgroupUsageSchema.nullable().optional(),
  /** Long-open transactions; absent in older results and when the snapshot failed. */
  transactions: transactionAgesSchema.optional(),
  /** The pooler in front of this server (or at this host's address when the server behind it could not be reached). */
  pooler: z.discriminatedUnion('kind', [poolerUsageSchema, pgpoolUsageSchema]).optional(),
});

/** One per client interval, with the same tS. */
export const serverSampleSchema = z.object({
  tS: num,
  durationS: num,
  hosts: z.array(hostSampleSchema),
  /** pgsurge itself: this process with its worker threads. */
  client: clientUsageSchema,
});

export const findingSchema = z.object({
  rule: z.string(),
  severity: z.enum(['info', 'warning']),
  message: z.string(),
  /** Interval starts (s) where it was seen, when it is tied to moments of the run. */
  atS: z.array(z.number()).optional(),
});

export type OpenTransaction = z.infer<typeof openTransactionSchema>;
export type TransactionAges = z.infer<typeof transactionAgesSchema>;
export type TableBloat = z.infer<typeof tableBloatSchema>;
export type IndexBloat = z.infer<typeof indexBloatSchema>;
export type BloatFacts = z.infer<typeof bloatFactsSchema>;
export type TableFacts = z.infer<typeof tableFactsSchema>;
export type HostFacts = z.infer<typeof hostFactsSchema>;
export type ServerFacts = z.infer<typeof serverFactsSchema>;
export type ConnectionCounts = z.infer<typeof connectionCountsSchema>;
export type ReplicationPeer = z.infer<typeof replicationPeerSchema>;
export type StandbyLag = z.infer<typeof standbyLagSchema>;
export type TopStatement = z.infer<typeof topStatementSchema>;
export type ProcessUsage = z.infer<typeof processUsageSchema>;
export type MachineUsage = z.infer<typeof machineUsageSchema>;
export type CgroupUsage = z.infer<typeof cgroupUsageSchema>;
export type PoolerUsage = z.infer<typeof poolerUsageSchema>;
export type PgpoolUsage = z.infer<typeof pgpoolUsageSchema>;
export type PgpoolNode = z.infer<typeof pgpoolNodeSchema>;
export type ClientUsage = z.infer<typeof clientUsageSchema>;
export type TableSample = z.infer<typeof tableSampleSchema>;
export type HostSample = z.infer<typeof hostSampleSchema>;
export type ServerSample = z.infer<typeof serverSampleSchema>;
export type Finding = z.infer<typeof findingSchema>;
