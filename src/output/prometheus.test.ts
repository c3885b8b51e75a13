/**
 * The Prometheus exporter: address parsing, and /metrics scraped over HTTP in the middle of a real
 * run (executeRun in process, with the server observer feeding it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../../test/helpers/server.js';
import { runInProcess } from '../../test/helpers/run-in-process.js';
import { failedSample } from '../observe/host-sample.js';
import { createServerObserver } from '../observe/server-observer.js';
import type { ServerSample } from '../report/server-schema.js';
import { parseListen, startPrometheus } from './prometheus.js';

const server = await startTestServer();

test('listen addresses: loopback unless a host is given', () => {
  assert.deepEqual(parseListen(':9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen('9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListen('0.0.0.0:9100'), { host: '0.0.0.0', port: 9100 });
  assert.deepEqual(parseListen('[::1]:9100'), { host: '::1', port: 9100 });
  for (const bad of ['', 'abc', ':99999', 'host:port']) assert.throws(() => parseListen(bad), /--prometheus: expected \[HOST\]:PORT/);
});

/** Value of one series in the text exposition format, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('/metrics during a run: client counters and latency, server connections, cache, sizes; closed after', async () => {
  const prom = startPrometheus('127.0.0.1:0');
  const observer = createServerObserver({ onSample: (s) => prom.observeServer(s), onFacts: (f) => prom.observeFacts(f) });
  const host = `${server.host}:${server.port}`;
  let mid: string | undefined;
  let notFound = 0;
  const scrape = (async () => {
    // Wait for the run to be under way (tables created, a few intervals done), then scrape.
    for (let i = 0; i < 100 && (mid === undefined || !/pgsurge_server_connections\{/.test(mid) || (value(mid, 'pgsurge_transactions_total') ?? 0) === 0); i++) {
      await new Promise((r) => setTimeout(r, 250));
      const addr = prom.address();
      if (addr === undefined) continue;
      mid = await (await fetch(`http://${addr}/metrics`)).text();
      notFound = (await fetch(`http://${addr}/other`)).status;
    }
  })();
  const { result } = await runInProcess(server, { builtin: ['select-only'], client: '4', time: '5' }, [observer, prom]);
  await scrape;
  assert.ok(mid !== undefined, 'scraped during the run');
  assert.equal(notFound, 404);
  assert.ok((value(mid, 'pgsurge_transactions_total') ?? 0) > 0, mid);
  assert.ok((value(mid, 'pgsurge_transactions_total') ?? 0) <= result.summary.transactions);
  assert.equal(value(mid, 'pgsurge_failures_total{class="connection"}'), 0);
  assert.ok((value(mid, 'pgsurge_latency_seconds{quantile="0.99"}') ?? 0) > 0);
  assert.ok((value(mid, 'pgsurge_latency_seconds{quantile="0.5"}') ?? 1) < 1);
  const p95 = value(mid, 'pgsurge_latency_seconds{quantile="0.95"}') ?? 0;
  assert.ok(p95 > 0 && p95 <= (value(mid, 'pgsurge_latency_seconds{quantile="0.99"}') ?? 0), `p95 ${p95} s, at most p99`);
  assert.ok((value(mid, 'pgsurge_tps') ?? 0) > 0);
  assert.ok((value(mid, `pgsurge_server_connections{host="${host}",state="total"}`) ?? 0) >= 4, mid);
  assert.equal(value(mid, `pgsurge_server_max_connections{host="${host}"}`), 100);
  assert.ok((value(mid, `pgsurge_server_cache_hit_ratio{host="${host}"}`) ?? 0) > 0.9);
  assert.ok((value(mid, `pgsurge_server_table_bytes{host="${host}",table="pgbench_accounts"}`) ?? 0) > 10_000_000);
  assert.ok((value(mid, `pgsurge_server_index_bytes{host="${host}",table="pgbench_accounts"}`) ?? 0) > 1_000_000);
  assert.ok((value(mid, `pgsurge_server_commits_per_second{host="${host}"}`) ?? 0) > 0);
  assert.equal(value(mid, `pgsurge_server_idle_in_transaction_seconds{host="${host}"}`), 0);
  // A freshly loaded table: little bloat, and an estimate there is.
  const bloat = value(mid, `pgsurge_server_index_bloat_ratio{host="${host}",table="pgbench_accounts",index="pgbench_accounts_pkey"}`);
  assert.ok(bloat !== undefined && bloat < 0.3, mid);
  assert.match(mid, /# TYPE pgsurge_transactions_total counter/);
  // The exporter is gone with the run.
  await assert.rejects(fetch(`http://${prom.address()}/metrics`));
});

test('a port in use is a clear error at open', async () => {
  const a = startPrometheus('127.0.0.1:0');
  await a.open!({} as never);
  const b = startPrometheus(a.address()!);
  await assert.rejects(b.open!({} as never), /--prometheus: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  await a.stop!();
});

test('/metrics during a scenario run: the client figures move while it runs (each thread of every scenario counts)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-prom-scenario-'));
  const file = join(dir, 'two.yaml');
  writeFileSync(
    file,
    [
      'duration: 4s',
      'scenarios:',
      '  readers:',
      '    workload: select-only',
      '    rate: 200/s',
      '  writer:',
      '    workload: select-only',
      '    clients: 1',
      '',
    ].join('\n'),
  );
  const prom = startPrometheus('127.0.0.1:0');
  let seen = 0;
  let elapsedS = 0;
  let running = true;
  const scrape = (async () => {
    while (running && seen === 0) {
      await new Promise((r) => setTimeout(r, 200));
      const addr = prom.address();
      if (addr === undefined) continue;
      const text = await (await fetch(`http://${addr}/metrics`)).text();
      seen = value(text, 'pgsurge_transactions_total') ?? 0;
      elapsedS = value(text, 'pgsurge_elapsed_seconds') ?? 0;
    }
  })();
  const { result } = await runInProcess(server, { scenario: file }, [prom]);
  running = false;
  await scrape;
  assert.ok(result.summary.transactions > 0);
  assert.ok(seen > 0 && seen < result.summary.transactions, `transactions seen during the run: ${seen} of ${result.summary.transactions}`);
  assert.ok(elapsedS >= 1 && elapsedS < 4, `an interval went out live: elapsed ${elapsedS} s`);
});

test('a standby that leaves pg_stat_replication loses its lag series (what PgsurgeReplicationBroken looks for)', async () => {
  const prom = startPrometheus('127.0.0.1:0');
  await prom.open!({} as never);
  try {
    const peer = { applicationName: 's1', clientAddr: '10.0.0.2', state: 'streaming', writeLagMs: 1, flushLagMs: 1, replayLagMs: 2, replayLagBytes: 100 };
    const sample = (replication: (typeof peer)[]): ServerSample => ({
      tS: 0,
      durationS: 1,
      hosts: [{ ...failedSample('db1:5432', ''), ok: true, replication }],
      client: { cpuPct: null, memoryBytes: null, processes: 1 },
    });
    const scrape = async (): Promise<string> => (await fetch(`http://${prom.address()}/metrics`)).text();
    prom.observeServer(sample([peer]));
    assert.equal(value(await scrape(), 'pgsurge_server_replication_lag_bytes{host="db1:5432",standby="s1@10.0.0.2"}'), 100);
    prom.observeServer(sample([]));
    const after = await scrape();
    assert.equal(value(after, 'pgsurge_server_replication_lag_bytes{host="db1:5432",standby="s1@10.0.0.2"}'), undefined, after);
    assert.equal(value(after, 'pgsurge_server_replication_lag_seconds{host="db1:5432",standby="s1@10.0.0.2"}'), undefined, after);
  } finally {
    await prom.stop();
  }
});

test('a PgBouncer in front: its pool figures are served, also while the server behind it does not answer', async () => {
  const prom = startPrometheus('127.0.0.1:0');
  await prom.open!({} as never);
  try {
    const pooler = {
      kind: 'pgbouncer' as const,
      version: 'PgBouncer 1.18.0',
      at: 'bouncer:6432',
      database: 'postgres',
      user: 'postgres',
      poolMode: 'transaction',
      poolSize: 2,
      clientsActive: 3,
      clientsWaiting: 6,
      serversActive: 2,
      serversIdle: 0,
      maxWaitMs: 60,
      waiting: 5.5,
      transactionsPerS: 100,
      waitPerTransactionMs: 61,
    };
    // The server's snapshot failed; the console answered.
    prom.observeServer({
      tS: 0,
      durationS: 1,
      hosts: [{ ...failedSample('bouncer:6432', 'no answer'), pooler }],
      client: { cpuPct: null, memoryBytes: null, processes: 1 },
    });
    const text = await (await fetch(`http://${prom.address()}/metrics`)).text();
    assert.equal(value(text, 'pgsurge_server_up{host="bouncer:6432"}'), 0);
    assert.equal(value(text, 'pgsurge_pool_clients_waiting{host="bouncer:6432"}'), 5.5);
    assert.equal(value(text, 'pgsurge_pool_clients{host="bouncer:6432",state="waiting"}'), 6);
    assert.equal(value(text, 'pgsurge_pool_server_connections{host="bouncer:6432",state="active"}'), 2);
    assert.equal(value(text, 'pgsurge_pool_size{host="bouncer:6432"}'), 2);
    assert.equal(value(text, 'pgsurge_pool_wait_seconds_per_transaction{host="bouncer:6432"}'), 0.061);
  } finally {
    await prom.stop();
  }
});

test('a Pgpool-II in front: SELECTs per second and up, per node, labelled by its address', async () => {
  const prom = startPrometheus('127.0.0.1:0');
  await prom.open!({} as never);
  try {
    const node = (host: string, role: string, status: string, selectsPerS: number) => ({
      id: 0,
      host,
      status,
      role,
      selectsPerS,
      loadBalanceNode: false,
      replicationDelay: 0,
    });
    const pooler = {
      kind: 'pgpool' as const,
      version: 'Pgpool-II 4.3.5',
      at: 'pool:9999',
      nodes: [node('db1:5432', 'primary', 'up', 12.5), node('db2:5432', 'standby', 'down', 0)],
    };
    prom.observeServer({
      tS: 0,
      durationS: 1,
      hosts: [{ ...failedSample('db1:5432', ''), ok: true, pooler }],
      client: { cpuPct: null, memoryBytes: null, processes: 1 },
    });
    const text = await (await fetch(`http://${prom.address()}/metrics`)).text();
    assert.equal(value(text, 'pgsurge_pgpool_node_selects_per_second{host="pool:9999",node="db1:5432",role="primary"}'), 12.5);
    assert.equal(value(text, 'pgsurge_pgpool_node_up{host="pool:9999",node="db1:5432",role="primary"}'), 1);
    assert.equal(value(text, 'pgsurge_pgpool_node_up{host="pool:9999",node="db2:5432",role="standby"}'), 0);
  } finally {
    await prom.stop();
  }
});
