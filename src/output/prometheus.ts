/**
 * Prometheus exporter (LiveOutput "prometheus"): serves `/metrics` while the run lasts, from a
 * registry of its own (never prom-client's global one, so two runs in one process do not mix).
 *
 * Client figures come from each merged interval (`interval(stats)`): counters for outcomes, gauges
 * for the interval's latency and lag percentiles (seconds, Prometheus' base unit). Server figures
 * come from the server observer's samples, fed through `observeServer` (wire it as the observer's
 * `onSample`). Metric names are a contract for dashboards/ (grafana.json, prometheus-alerts.yml).
 *
 * Per transaction type the same figures come under `pgsurge_type_*` names with a `type` label. They
 * are separate names, not a `type` label on the run-wide ones, so that the run-wide series stay
 * exactly what they were (an alert on `rate(pgsurge_transactions_total[1m])` still sees one series)
 * and so that a sum over a metric's labels never counts a transaction twice.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as PromClient from 'prom-client';
import type { Gauge, Registry } from 'prom-client';
import { PgsurgeError } from '../errors.js';
import { parseListen } from '../config/listen.js';
import type { IntervalStats } from '../metrics/aggregator.js';
import { FAILURE_CLASSES } from '../metrics/types.js';
import type { HostFacts, ServerSample } from '../report/server-schema.js';
import type { LiveOutput, ResultAdditions, RunContext } from './types.js';
import { lazyRequire } from '../util/lazy-require.js';

const promClient = lazyRequire<typeof PromClient>('prom-client');

export { parseListen } from '../config/listen.js';

export interface PrometheusOutput extends LiveOutput {
  /** A server sample (wire as createServerObserver({ onSample })). */
  observeServer(sample: ServerSample): void;
  /** A host's start or end facts: the bloat estimates (wire as createServerObserver({ onFacts })). */
  observeFacts(facts: HostFacts): void;
  /** Listens (it needs nothing of the run: a coordinator opens it with no target of its own). */
  open(ctx?: RunContext): Promise<void>;
  /** "host:port" it listens on once open (the real port when given port 0). */
  address(): string | undefined;
  /** Close the endpoint; it adds nothing to the result, so it needs nothing of the run. */
  stop(): Promise<ResultAdditions | undefined>;
}

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
  ['1', 'max'],
] as const;

function buildMetrics(registry: Registry) {
  const r = [registry];
  const g = (name: string, help: string, labelNames: string[] = []) => new (promClient().Gauge)({ name, help, labelNames, registers: r });
  const c = (name: string, help: string, labelNames: string[] = []) => new (promClient().Counter)({ name, help, labelNames, registers: r });
  return {
    transactions: c('pgsurge_transactions_total', 'Successful transactions.'),
    failures: c('pgsurge_failures_total', 'Failed transactions by failure class.', ['class']),
    retries: c('pgsurge_retries_total', 'Retries of serialization failures and deadlocks.'),
    skipped: c('pgsurge_skipped_total', 'Arrivals skipped by --latency-limit.'),
    dropped: c('pgsurge_dropped_total', 'Arrivals dropped because the queue was full.'),
    tps: g('pgsurge_tps', 'Successful transactions per second in the last interval.'),
    latency: g('pgsurge_latency_seconds', 'Latency (from the schedule) of the last interval, by quantile; quantile 1 is the max.', ['quantile']),
    lag: g('pgsurge_schedule_lag_seconds', 'Schedule lag of the last interval, by quantile.', ['quantile']),
    typeTransactions: c('pgsurge_type_transactions_total', 'Successful transactions by transaction type.', ['type']),
    typeFailures: c('pgsurge_type_failures_total', 'Failed transactions by transaction type and failure class.', ['type', 'class']),
    typeTps: g('pgsurge_type_tps', 'Successful transactions per second in the last interval, by transaction type.', ['type']),
    typeLatency: g(
      'pgsurge_type_latency_seconds',
      'Latency (from the schedule) of the last interval by transaction type and quantile; quantile 1 is the max.',
      ['type', 'quantile'],
    ),
    elapsed: g('pgsurge_elapsed_seconds', 'End of the last interval, seconds from the start of the measured phase.'),
    clientCpu: g('pgsurge_client_cpu_percent', 'CPU of pgsurge itself, percent of one core.'),
    up: g('pgsurge_server_up', '1 when the last snapshot of the host succeeded.', ['host']),
    connections: g('pgsurge_server_connections', 'Client connections by state (total, active, idle, idle_in_transaction, waiting_lock).', ['host', 'state']),
    maxConnections: g('pgsurge_server_max_connections', 'max_connections of the host.', ['host']),
    commits: g('pgsurge_server_commits_per_second', 'Commits per second (pg_stat_database).', ['host']),
    rollbacks: g('pgsurge_server_rollbacks_per_second', 'Rollbacks per second (pg_stat_database).', ['host']),
    cacheHit: g('pgsurge_server_cache_hit_ratio', 'blks_hit / (blks_hit + blks_read) over the last interval.', ['host']),
    walBytes: c('pgsurge_server_wal_bytes_total', 'WAL written (replayed on a standby) since the run started.', ['host']),
    checkpoints: c('pgsurge_server_checkpoints_total', 'Checkpoints since the run started.', ['host']),
    deadlocks: c('pgsurge_server_deadlocks_total', 'Deadlocks since the run started.', ['host']),
    replLagBytes: g('pgsurge_server_replication_lag_bytes', 'Replay lag of each standby, bytes (from the primary).', ['host', 'standby']),
    replLagSeconds: g('pgsurge_server_replication_lag_seconds', 'Replay lag of each standby, seconds (from the primary).', ['host', 'standby']),
    standbyLagBytes: g('pgsurge_server_standby_replay_lag_bytes', 'On a standby: WAL received but not replayed yet.', ['host']),
    tableBytes: g('pgsurge_server_table_bytes', 'Size of a workload table (heap, TOAST, FSM, VM).', ['host', 'table']),
    indexBytes: g('pgsurge_server_index_bytes', 'Size of the indexes of a workload table.', ['host', 'table']),
    rows: g('pgsurge_server_table_rows', 'Live rows of a workload table (n_live_tup).', ['host', 'table']),
    deadRows: g('pgsurge_server_table_dead_rows', 'Dead rows of a workload table (n_dead_tup).', ['host', 'table']),
    serverCpu: g('pgsurge_server_cpu_percent', 'CPU of the local server processes, percent of one core.', ['host']),
    serverMemory: g('pgsurge_server_memory_bytes', 'Memory of the local server processes.', ['host']),
    oldestXact: g('pgsurge_server_oldest_transaction_seconds', 'Age of the oldest open transaction of a client session (0: none open 1 s or more).', ['host']),
    idleInXact: g('pgsurge_server_idle_in_transaction_seconds', 'Longest a client session has sat idle in transaction (0: none 1 s or more).', ['host']),
    tableBloat: g(
      'pgsurge_server_table_bloat_ratio',
      'Estimated share of a workload table that is dead or free space (statistics against real size; read at the start and end of the run).',
      ['host', 'table'],
    ),
    indexBloat: g(
      'pgsurge_server_index_bloat_ratio',
      'Estimated share of a btree index of a workload table that is dead or free space (read at the start and end of the run).',
      ['host', 'table', 'index'],
    ),
    machineCpu: g('pgsurge_server_machine_cpu_percent', "Busy share of all cores of the server's machine (/proc or node_exporter).", ['host']),
    machineDiskIops: g('pgsurge_server_machine_disk_iops', "Disk reads or writes completed per second on the server's machine.", ['host', 'op']),
    cgroupCpu: g('pgsurge_server_cgroup_cpu_percent', "CPU of the local server's control group (container), percent of one core.", ['host']),
    cgroupMemory: g('pgsurge_server_cgroup_memory_bytes', "Memory of the local server's control group (container), page cache included.", ['host']),
    poolWaiting: g(
      'pgsurge_pool_clients_waiting',
      "Clients waiting for a server connection in the PgBouncer at the host, on average over the last interval (its wait time over the interval's length).",
      ['host'],
    ),
    poolClients: g('pgsurge_pool_clients', "Clients of the run's pool in the PgBouncer at the host, by state (active, waiting), at the interval's end.", [
      'host',
      'state',
    ]),
    poolServers: g('pgsurge_pool_server_connections', "Server connections of the run's pool in the PgBouncer at the host, by state (active, idle).", [
      'host',
      'state',
    ]),
    poolSize: g('pgsurge_pool_size', "Server connections the PgBouncer at the host allows the run's pool (pool_size).", ['host']),
    pgpoolSelects: g('pgsurge_pgpool_node_selects_per_second', 'SELECTs the Pgpool-II at the host sent to each backend node per second (its load balancing).', [
      'host',
      'node',
      'role',
    ]),
    pgpoolNodeUp: g('pgsurge_pgpool_node_up', '1 when the Pgpool-II at the host counts the backend node as up.', ['host', 'node', 'role']),
    poolWaitPerTxn: g('pgsurge_pool_wait_seconds_per_transaction', 'Wait for a server connection per transaction in the last interval.', ['host']),
  };
}

/** Every metric name the exporter serves (dashboards/ are checked against it). */
export function prometheusMetricNames(): string[] {
  const registry = new (promClient().Registry)();
  buildMetrics(registry);
  return registry.getMetricsAsArray().map((m) => m.name);
}

export function startPrometheus(listen: string): PrometheusOutput {
  const { host, port } = parseListen(listen);
  const registry = new (promClient().Registry)();
  const m = buildMetrics(registry);
  // Seen with zero, so that rate() and absent() work from the first scrape.
  for (const cls of FAILURE_CLASSES) m.failures.labels(cls).inc(0);
  const typesSeen = new Set<string>();
  let server: Server | undefined;
  let bound: string | undefined;
  /** Per host, the standbys whose lag series are served. */
  const shownStandbys = new Map<string, Set<string>>();

  const setIf = (gauge: Gauge, labels: Record<string, string>, v: number | null | undefined, scale = 1): void => {
    if (v !== null && v !== undefined && Number.isFinite(v)) gauge.set(labels, v * scale);
  };

  return {
    name: 'prometheus',

    async open(_ctx?: RunContext): Promise<void> {
      const s = createServer((req, res) => {
        if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('pgsurge: only GET /metrics here\n');
          return;
        }
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e)),
        );
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', (e: NodeJS.ErrnoException) =>
          reject(new PgsurgeError('PROMETHEUS_LISTEN', `--prometheus: cannot listen on ${host}:${port}: ${e.code ?? e.message}`, { cause: e })),
        );
        s.listen(port, host, () => resolve());
      });
      const a = s.address() as AddressInfo;
      bound = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
      server = s;
    },

    interval(s: IntervalStats): void {
      m.transactions.inc(s.ok);
      s.errors.forEach((n, i) => {
        const cls = FAILURE_CLASSES[i];
        if (cls !== undefined && n > 0) m.failures.labels(cls).inc(n);
      });
      m.retries.inc(s.retries);
      m.skipped.inc(s.skipped);
      m.dropped.inc(s.dropped);
      m.tps.set(s.tps);
      m.elapsed.set(s.tS + s.durationMs / 1000);
      for (const [q, k] of QUANTILES) {
        // An interval without completions has no latency: keep the last value rather than invent 0.
        setIf(m.latency, { quantile: q }, s.latencyMs[k], 1e-3);
        if (k !== 'p90' && k !== 'p95') setIf(m.lag, { quantile: q }, s.lagMs[k], 1e-3);
      }
      for (const t of s.types) {
        const type = t.name;
        if (!typesSeen.has(type)) {
          typesSeen.add(type);
          for (const cls of FAILURE_CLASSES) m.typeFailures.labels(type, cls).inc(0);
        }
        m.typeTransactions.labels(type).inc(t.ok);
        t.errors.forEach((n, i) => {
          const cls = FAILURE_CLASSES[i];
          if (cls !== undefined && n > 0) m.typeFailures.labels(type, cls).inc(n);
        });
        m.typeTps.set({ type }, t.tps);
        for (const [q, k] of QUANTILES) setIf(m.typeLatency, { type, quantile: q }, t.latencyMs[k], 1e-3);
      }
    },

    observeServer(sample: ServerSample): void {
      setIf(m.clientCpu, {}, sample.client.cpuPct);
      for (const h of sample.hosts) {
        const host = h.host;
        m.up.set({ host }, h.ok ? 1 : 0);
        // The pooler answers apart from the server behind it: its figures count most when that one does not.
        const p = h.pooler;
        if (p?.kind === 'pgpool') {
          for (const n of p.nodes) {
            const labels = { host: p.at, node: n.host, role: n.role };
            setIf(m.pgpoolSelects, labels, n.selectsPerS);
            m.pgpoolNodeUp.set(labels, n.status === 'up' || n.status === 'waiting' ? 1 : 0);
          }
        } else if (p !== undefined) {
          // Labelled by the pooler's own address: the sample they came in is the server's behind it.
          const at = { host: p.at };
          setIf(m.poolWaiting, at, p.waiting);
          setIf(m.poolClients, { ...at, state: 'active' }, p.clientsActive);
          setIf(m.poolClients, { ...at, state: 'waiting' }, p.clientsWaiting);
          setIf(m.poolServers, { ...at, state: 'active' }, p.serversActive);
          setIf(m.poolServers, { ...at, state: 'idle' }, p.serversIdle);
          setIf(m.poolSize, at, p.poolSize);
          setIf(m.poolWaitPerTxn, at, p.waitPerTransactionMs, 1e-3);
        }
        if (!h.ok) continue;
        const c = h.connections;
        if (c !== null) {
          const states = { total: c.total, active: c.active, idle: c.idle, idle_in_transaction: c.idleInTransaction, waiting_lock: c.waitingOnLock };
          for (const [state, v] of Object.entries(states)) m.connections.set({ host, state }, v);
        }
        setIf(m.maxConnections, { host }, h.maxConnections);
        setIf(m.commits, { host }, h.commitsPerS);
        setIf(m.rollbacks, { host }, h.rollbacksPerS);
        setIf(m.cacheHit, { host }, h.cacheHitRatio);
        m.walBytes.inc({ host }, h.walBytesDelta ?? 0);
        m.checkpoints.inc({ host }, h.checkpointsDelta ?? 0);
        m.deadlocks.inc({ host }, h.deadlocksDelta ?? 0);
        const standbys = new Set<string>();
        for (const r of h.replication) {
          const standby = `${r.applicationName}@${r.clientAddr ?? 'local'}`;
          standbys.add(standby);
          setIf(m.replLagBytes, { host, standby }, r.replayLagBytes);
          setIf(m.replLagSeconds, { host, standby }, r.replayLagMs, 1e-3);
        }
        // A standby no longer in pg_stat_replication loses its series (rather than keep its last
        // lag forever): its absence is what the ReplicationBroken alert looks for.
        for (const standby of shownStandbys.get(host) ?? []) {
          if (standbys.has(standby)) continue;
          m.replLagBytes.remove({ host, standby });
          m.replLagSeconds.remove({ host, standby });
        }
        shownStandbys.set(host, standbys);
        setIf(m.standbyLagBytes, { host }, h.standby?.replayLagBytes);
        for (const t of h.tables) {
          const labels = { host, table: t.name };
          m.tableBytes.set(labels, t.tableBytes);
          m.indexBytes.set(labels, t.indexBytes);
          m.rows.set(labels, t.liveRows);
          m.deadRows.set(labels, t.deadRows);
        }
        setIf(m.serverCpu, { host }, h.process?.cpuPct);
        setIf(m.serverMemory, { host }, h.process?.memoryBytes);
        if (h.transactions !== undefined) {
          m.oldestXact.set({ host }, h.transactions.oldestXactS ?? 0);
          m.idleInXact.set({ host }, h.transactions.oldestIdleInXactS ?? 0);
        }
        setIf(m.machineCpu, { host }, h.machine?.cpuPct);
        setIf(m.machineDiskIops, { host, op: 'read' }, h.machine?.diskReadsPerS);
        setIf(m.machineDiskIops, { host, op: 'write' }, h.machine?.diskWritesPerS);
        setIf(m.cgroupCpu, { host }, h.cgroup?.cpuPct);
        setIf(m.cgroupMemory, { host }, h.cgroup?.memoryBytes);
      }
    },

    observeFacts(facts: HostFacts): void {
      const host = facts.host;
      for (const t of facts.bloat?.tables ?? []) setIf(m.tableBloat, { host, table: t.name }, t.bloatRatio);
      for (const i of facts.bloat?.indexes ?? []) setIf(m.indexBloat, { host, table: i.table, index: i.name }, i.bloatRatio);
    },

    address(): string | undefined {
      return bound;
    },

    async stop(): Promise<ResultAdditions | undefined> {
      const s = server;
      server = undefined;
      if (s !== undefined) {
        s.closeAllConnections();
        await new Promise<void>((resolve) => s.close(() => resolve()));
      }
      return undefined;
    },
  };
}
