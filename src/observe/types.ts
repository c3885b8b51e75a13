/**
 * What the server observer records: start/end facts per host, one ServerSample per client interval
 * (same grid, same tS), and the findings of the diagnosis rules. These land in the result file
 * (`server`, `serverFacts`, `findings`), so names carry their units and every field is JSON.
 *
 * Rates are per second of the interval actually covered by the two snapshots around it (the
 * snapshots are taken at the grid boundaries, give or take the time a query takes); counts named
 * `…Delta` are plain differences. null means "not measured" (query failed, view absent, no reads).
 */

/** Start- or end-of-run facts of one host. */
export interface HostFacts {
  /** host:port, as in result.target.hosts. */
  readonly host: string;
  readonly serverVersion: string;
  readonly serverVersionNum: number;
  readonly inRecovery: boolean;
  readonly maxConnections: number;
  readonly sharedBuffersBytes: number;
  /** pg_settings whose source is neither 'default' nor 'override'. */
  readonly settings: Readonly<Record<string, string>>;
  readonly pgStatStatements: boolean;
  readonly tables: readonly TableFacts[];
}

export interface TableFacts {
  readonly name: string;
  /** pg_class.reltuples (planner estimate; -1 → never analysed → null). */
  readonly rowsEstimate: number | null;
  readonly tableBytes: number;
  readonly indexBytes: number;
  readonly totalBytes: number;
}

export interface ServerFacts {
  readonly hosts: readonly HostFacts[];
}

export interface ConnectionCounts {
  readonly total: number;
  readonly active: number;
  readonly idle: number;
  readonly idleInTransaction: number;
  /** Backends whose wait_event_type is 'Lock' (heavyweight lock waits). */
  readonly waitingOnLock: number;
}

export interface ReplicationPeer {
  readonly applicationName: string;
  readonly clientAddr: string | null;
  readonly state: string;
  readonly writeLagMs: number | null;
  readonly flushLagMs: number | null;
  readonly replayLagMs: number | null;
  /** pg_current_wal_lsn() − replay_lsn. */
  readonly replayLagBytes: number | null;
}

/** On a standby: how far it is behind what it has received / the primary's last commit. */
export interface StandbyLag {
  /** receive − replay LSN, bytes. */
  readonly replayLagBytes: number | null;
  /** now() − pg_last_xact_replay_timestamp(); grows when the primary is idle too. */
  readonly replayDelayMs: number | null;
}

export interface TopStatement {
  readonly query: string;
  readonly callsPerS: number;
  readonly meanMs: number | null;
  readonly totalMsDelta: number;
}

export interface ProcessUsage {
  /** Percent of one core over the interval (200 = two cores busy). */
  readonly cpuPct: number | null;
  readonly memoryBytes: number | null;
  readonly processes: number;
}

export interface TableSample {
  readonly name: string;
  readonly tableBytes: number;
  readonly indexBytes: number;
  readonly liveRows: number;
  readonly deadRows: number;
  readonly autovacuumDelta: number;
  readonly autoanalyzeDelta: number;
}

export interface HostSample {
  readonly host: string;
  /** False when the snapshot could not be taken (the fields below are then null or empty). */
  readonly ok: boolean;
  readonly error?: string;
  readonly inRecovery: boolean | null;
  readonly commitsPerS: number | null;
  readonly rollbacksPerS: number | null;
  readonly blksHitDelta: number | null;
  readonly blksReadDelta: number | null;
  /** blks_hit / (blks_hit + blks_read) over the interval; null when no block was accessed. */
  readonly cacheHitRatio: number | null;
  readonly tuplesPerS: {
    readonly returned: number;
    readonly fetched: number;
    readonly inserted: number;
    readonly updated: number;
    readonly deleted: number;
  } | null;
  readonly tempFilesDelta: number | null;
  readonly tempBytesDelta: number | null;
  readonly deadlocksDelta: number | null;
  readonly conflictsDelta: number | null;
  readonly connections: ConnectionCounts | null;
  /** The setting, repeated per sample so that live outputs can show how full the server is. */
  readonly maxConnections: number | null;
  readonly waitEvents: readonly { readonly event: string; readonly count: number }[];
  /** Checkpoints counted in the interval (PG ≥ 18: completed, num_done; older: timed + requested). */
  readonly checkpointsDelta: number | null;
  readonly checkpointBuffersDelta: number | null;
  /** The checkpointer was writing (wait event CheckpointWriteDelay) when the snapshot was taken. */
  readonly checkpointInProgress: boolean | null;
  readonly walBytesDelta: number | null;
  readonly replication: readonly ReplicationPeer[];
  readonly standby: StandbyLag | null;
  readonly autovacuumTables: readonly string[];
  readonly tables: readonly TableSample[];
  readonly topStatements: readonly TopStatement[];
  /** The server's processes (postmaster and children), when pgsurge started the server. */
  readonly process: ProcessUsage | null;
}

/** One per client interval, with the same tS. */
export interface ServerSample {
  readonly tS: number;
  readonly durationS: number;
  readonly hosts: readonly HostSample[];
  /** pgsurge itself: this process with its worker threads. */
  readonly client: ProcessUsage;
}

export interface Finding {
  readonly rule: string;
  readonly severity: 'info' | 'warning';
  readonly message: string;
  /** Interval starts (s) where it was seen, when it is tied to moments of the run. */
  readonly atS?: number[];
}
