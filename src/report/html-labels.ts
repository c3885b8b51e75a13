/**
 * Words for what the HTML report shows: chart panels of the server samples (one kind of figure per
 * chart, its unit in the title), legend labels for the fields of ServerSample (server-schema.ts),
 * failure classes, and a fallback that turns any other field name into words with its unit, so no
 * internal identifier (`checkpointsDelta`, `latencyP99Ms`) reaches a legend, an axis or a header.
 */
import type { FailureClass } from '../metrics/types.js';

export interface ServerPanel {
  readonly key: string;
  /** The figure and its unit: every series in the panel shares them. */
  readonly title: string;
  readonly yLabel: string;
  /** Counts per interval and yes/no states: drawn as steps over each interval, not as slopes. */
  readonly stepped?: true;
}

/** Panels in page order. */
export const SERVER_PANELS: readonly ServerPanel[] = [
  { key: 'connections', title: 'Connections (count)', yLabel: 'connections' },
  { key: 'commits', title: 'Commits and rollbacks (per second)', yLabel: 'per second' },
  { key: 'rows', title: 'Rows read and written (per second)', yLabel: 'rows per second' },
  { key: 'cache', title: 'Cache hit ratio (1 = every block found in shared buffers)', yLabel: 'ratio' },
  { key: 'blocks', title: 'Blocks accessed (per interval)', yLabel: 'blocks', stepped: true },
  { key: 'wal', title: 'WAL written (bytes per interval)', yLabel: 'bytes', stepped: true },
  { key: 'checkpoints', title: 'Checkpoints (per interval)', yLabel: 'checkpoints', stepped: true },
  { key: 'checkpoint-buffers', title: 'Buffers written by checkpoints (per interval)', yLabel: 'buffers', stepped: true },
  { key: 'events', title: 'Deadlocks, recovery conflicts and temporary files (per interval)', yLabel: 'count', stepped: true },
  { key: 'temp-bytes', title: 'Temporary file bytes (per interval)', yLabel: 'bytes', stepped: true },
  { key: 'replication-bytes', title: 'Replication lag (bytes)', yLabel: 'bytes' },
  { key: 'replication', title: 'Replication lag (ms)', yLabel: 'ms' },
  // A PgBouncer in front of the host (its admin console): the pool the run's clients share.
  { key: 'pool', title: 'Pooler: clients and server connections of the pool (count)', yLabel: 'count' },
  { key: 'pool-wait', title: 'Pooler: wait for a server connection (ms)', yLabel: 'ms' },
  { key: 'pool-reads', title: 'Pgpool-II: SELECTs sent to each node (per second)', yLabel: 'per second' },
  { key: 'transactions', title: 'Oldest open transactions of client sessions (seconds open)', yLabel: 'seconds' },
  // A host's machine as a whole (from /proc or a node_exporter), apart from the server's processes.
  { key: 'machine-cpu', title: 'Machine CPU (% of all cores)', yLabel: '% of all cores' },
  { key: 'machine-memory', title: 'Machine memory (bytes)', yLabel: 'bytes' },
  { key: 'machine-disk', title: 'Machine disk (bytes per second)', yLabel: 'bytes per second' },
  { key: 'machine-iops', title: 'Machine disk operations (IOPS: completed per second)', yLabel: 'operations per second' },
  { key: 'machine-net', title: 'Machine network (bytes per second)', yLabel: 'bytes per second' },
  { key: 'cpu', title: 'CPU (% of one core)', yLabel: '% of one core' },
  { key: 'memory', title: 'Memory (bytes)', yLabel: 'bytes' },
  { key: 'processes', title: 'Processes and cores (count)', yLabel: 'count' },
  { key: 'state', title: 'Server state (1 = yes, 0 = no)', yLabel: '1 = yes', stepped: true },
  { key: 'other', title: 'Other figures (as named in the result)', yLabel: '' },
];

/** Not a panel: the field's largest value goes into the title of the connections panel. */
export const CONNECTION_LIMIT = 'connection-limit';

/** Known ServerSample fields (path below a host, hosts[] and peer names taken out): panel and words. */
const SERVER_FIELDS: Readonly<Record<string, { readonly panel: string; readonly label: string }>> = {
  'connections.total': { panel: 'connections', label: 'total' },
  'connections.active': { panel: 'connections', label: 'active' },
  'connections.idle': { panel: 'connections', label: 'idle' },
  'connections.idleInTransaction': { panel: 'connections', label: 'idle in transaction' },
  'connections.waitingOnLock': { panel: 'connections', label: 'waiting on a lock' },
  // A setting, not a count: drawn as a line it would squash the counts; the panel's title names it.
  maxConnections: { panel: CONNECTION_LIMIT, label: 'max_connections' },
  commitsPerS: { panel: 'commits', label: 'commits/s' },
  rollbacksPerS: { panel: 'commits', label: 'rollbacks/s' },
  'tuplesPerS.returned': { panel: 'rows', label: 'returned/s' },
  'tuplesPerS.fetched': { panel: 'rows', label: 'fetched/s' },
  'tuplesPerS.inserted': { panel: 'rows', label: 'inserted/s' },
  'tuplesPerS.updated': { panel: 'rows', label: 'updated/s' },
  'tuplesPerS.deleted': { panel: 'rows', label: 'deleted/s' },
  cacheHitRatio: { panel: 'cache', label: 'cache hit ratio' },
  blksHitDelta: { panel: 'blocks', label: 'found in shared buffers' },
  blksReadDelta: { panel: 'blocks', label: 'read from disk or OS cache' },
  walBytesDelta: { panel: 'wal', label: 'WAL bytes' },
  checkpointsDelta: { panel: 'checkpoints', label: 'checkpoints' },
  checkpointBuffersDelta: { panel: 'checkpoint-buffers', label: 'buffers written' },
  deadlocksDelta: { panel: 'events', label: 'deadlocks' },
  conflictsDelta: { panel: 'events', label: 'recovery conflicts' },
  tempFilesDelta: { panel: 'events', label: 'temporary files' },
  tempBytesDelta: { panel: 'temp-bytes', label: 'temporary file bytes' },
  'replication.replayLagBytes': { panel: 'replication-bytes', label: 'replay lag' },
  'standby.replayLagBytes': { panel: 'replication-bytes', label: 'standby replay lag' },
  'replication.writeLagMs': { panel: 'replication', label: 'write lag' },
  'replication.flushLagMs': { panel: 'replication', label: 'flush lag' },
  'replication.replayLagMs': { panel: 'replication', label: 'replay lag' },
  'standby.replayDelayMs': { panel: 'replication', label: 'standby replay delay' },
  'process.cpuPct': { panel: 'cpu', label: 'server CPU' },
  'client.cpuPct': { panel: 'cpu', label: 'pgsurge CPU' },
  'process.memoryBytes': { panel: 'memory', label: 'server memory' },
  'client.memoryBytes': { panel: 'memory', label: 'pgsurge memory' },
  'process.processes': { panel: 'processes', label: 'server processes' },
  'client.processes': { panel: 'processes', label: 'pgsurge processes' },
  'client.cores': { panel: 'processes', label: "cores of pgsurge's machine" },
  'machine.cpuPct': { panel: 'machine-cpu', label: 'machine CPU' },
  'machine.memoryTotalBytes': { panel: 'machine-memory', label: 'machine memory, total' },
  'machine.memoryAvailableBytes': { panel: 'machine-memory', label: 'machine memory, available' },
  'machine.diskReadBytesPerS': { panel: 'machine-disk', label: 'disk read/s' },
  'machine.diskWriteBytesPerS': { panel: 'machine-disk', label: 'disk written/s' },
  'machine.diskReadsPerS': { panel: 'machine-iops', label: 'disk reads/s' },
  'machine.diskWritesPerS': { panel: 'machine-iops', label: 'disk writes/s' },
  'cgroup.cpuPct': { panel: 'cpu', label: "server's cgroup CPU" },
  'cgroup.memoryBytes': { panel: 'memory', label: "server's cgroup memory (with page cache)" },
  'cgroup.memoryLimitBytes': { panel: 'memory', label: "server's cgroup memory limit" },
  'transactions.oldestXactS': { panel: 'transactions', label: 'oldest transaction' },
  'transactions.oldestActiveQueryS': { panel: 'transactions', label: 'oldest running query' },
  'transactions.oldestIdleInXactS': { panel: 'transactions', label: 'longest idle in transaction' },
  'machine.netReceiveBytesPerS': { panel: 'machine-net', label: 'network received/s' },
  'machine.netTransmitBytesPerS': { panel: 'machine-net', label: 'network sent/s' },
  'pooler.waiting': { panel: 'pool', label: 'clients waiting (mean over the interval)' },
  'pooler.clientsWaiting': { panel: 'pool', label: 'clients waiting at the end' },
  'pooler.clientsActive': { panel: 'pool', label: 'clients active' },
  'pooler.serversActive': { panel: 'pool', label: 'server connections active' },
  'pooler.serversIdle': { panel: 'pool', label: 'server connections idle' },
  'pooler.poolSize': { panel: 'pool', label: 'pool size' },
  'pooler.waitPerTransactionMs': { panel: 'pool-wait', label: 'wait per transaction' },
  'pooler.maxWaitMs': { panel: 'pool-wait', label: 'oldest wait at the end' },
  'pooler.transactionsPerS': { panel: 'commits', label: 'pooler transactions/s' },
  'pooler.nodes.selectsPerS': { panel: 'pool-reads', label: 'SELECTs/s' },
  'pooler.nodes.replicationDelay': { panel: 'replication-bytes', label: 'Pgpool-II replication delay' },
  'pooler.nodes.loadBalanceNode': { panel: 'state', label: "the observer's load balance node" },
  inRecovery: { panel: 'state', label: 'in recovery (a standby)' },
  checkpointInProgress: { panel: 'state', label: 'checkpoint in progress' },
};

/**
 * Fields of other shapes (older results, other observers) go to a panel by name; the first match
 * wins. Bytes and milliseconds of lag apart: on one axis the smaller would be a flat line.
 */
const PANEL_PATTERNS: readonly (readonly [string, RegExp])[] = [
  ['replication-bytes', /(repl|standby|lag|replay).*bytes/i],
  ['replication', /repl|standby|lag|replay/i],
  ['wal', /wal/i],
  ['cache', /hit_?ratio|cache/i],
  ['commits', /commit|rollback|xact/i],
  ['events', /deadlock|conflict/i],
  ['checkpoints', /checkpoint/i],
  ['cpu', /cpu|load/i],
  ['memory', /mem|rss|heap|swap/i],
  ['connections', /conn|backend|active|idle|waiting|session/i],
];

/** The panel of a field path. */
export function serverPanelOf(path: string): string {
  const known = SERVER_FIELDS[path];
  if (known !== undefined) return known.panel;
  return PANEL_PATTERNS.find(([, re]) => re.test(path))?.[0] ?? 'other';
}

/** Legend words of a field path (without the host). */
export function serverFieldLabel(path: string): string {
  return SERVER_FIELDS[path]?.label ?? humanize(path);
}

/** Unit suffixes of field names, as the words after them. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  ms: '(ms)',
  us: '(µs)',
  s: '(s)',
  bytes: '(bytes)',
  mb: '(MB)',
  kb: '(kB)',
  pct: '(%)',
  hz: '(per second)',
  percent: '(%)',
  delta: '(per interval)',
};

/**
 * Any identifier in words: "replay_lsn" → "replay lsn", "memRssMb" → "mem rss (MB)",
 * "walBytesPerS" → "wal bytes/s", "a.bNewGauge" → "a b new gauge". For names no table above knows.
 */
export function humanize(identifier: string): string {
  const words = identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s._\-[\]]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === 'per' && words[i + 1] === 's') {
      out.push('/s');
      i++;
    } else if (i === words.length - 1 && i > 0 && UNIT_WORDS[w] !== undefined) out.push(UNIT_WORDS[w]);
    else out.push(w);
  }
  return out.join(' ').replace(/ \/s/g, '/s');
}

/** Failure classes as a legend says them. */
export const FAILURE_CLASS_LABELS: Readonly<Record<FailureClass, string>> = {
  serialization: 'serialization failures',
  deadlock: 'deadlocks',
  connection: 'connection errors',
  timeout: 'timeouts',
  read_only: 'read-only errors',
  capacity: 'capacity errors',
  constraint: 'constraint violations',
  other: 'other errors',
};
