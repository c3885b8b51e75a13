/**
 * The server observer against real servers, driven by real runs (executeRun, in process): the
 * samples sit on the client's grid, server commits agree with the client's TPS, and each diagnosis
 * rule fires when its condition is provoked (locks, a checkpoint, autovacuum, a busy client).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { startTestServer } from '../../test/helpers/server.js';
import { measuredPhase, runInProcess } from '../../test/helpers/run-in-process.js';
import { createServerObserver } from './server-observer.js';
import type { Finding, ServerFacts, ServerSample } from './types.js';
import type { LocalServer } from '../local/server.js';
import { resultV1Schema, type ResultV1 } from '../report/result.js';

// Top-level await: the server belongs to the file and is stopped after all of its tests.
const server: LocalServer = await startTestServer({
  settings: {
    shared_preload_libraries: 'pg_stat_statements',
    autovacuum_naptime: 1,
    autovacuum_vacuum_threshold: 50,
    autovacuum_vacuum_scale_factor: 0,
    autovacuum_analyze_threshold: 50,
    autovacuum_analyze_scale_factor: 0,
  },
});
{
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('create extension pg_stat_statements');
  await c.end();
}

interface Observed {
  readonly server: ServerSample[];
  readonly serverFacts: { start: ServerFacts; end: ServerFacts };
  readonly findings: Finding[];
}
const observed = (r: ResultV1): Observed => {
  assert.ok(r.serverFacts !== undefined && r.findings !== undefined, 'the observer adds serverFacts and findings');
  return { server: r.server, serverFacts: r.serverFacts, findings: r.findings };
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rules = (o: Observed): string[] => o.findings.map((f) => f.rule);

test('samples follow the client grid; server commits/s agree with client TPS; facts, WAL, processes, statements', async () => {
  const { result } = await runInProcess(server, { builtin: ['tpcb-like'], client: '4', time: '6' }, [createServerObserver()]);
  resultV1Schema.parse(result);
  const o = observed(result);
  assert.equal(o.server.length, result.intervals.length);
  assert.deepEqual(
    o.server.map((s) => s.tS),
    result.intervals.map((i) => i.tS),
  );
  const host = `${server.host}:${server.port}`;
  // Backends flush their counters at most once a second, so compare the run's middle, not one interval.
  const middle = (xs: number[]): number => xs.slice(1, -1).reduce((a, b) => a + b, 0);
  const serverCommits = middle(o.server.map((s) => s.hosts[0]!.commitsPerS ?? 0));
  const clientTps = middle(result.intervals.map((i) => i.tps));
  assert.ok(Math.abs(serverCommits - clientTps) / clientTps < 0.05, `server ${serverCommits} commits/s vs client ${clientTps} tps (sums of middle intervals)`);

  const start = o.serverFacts.start.hosts[0]!;
  assert.equal(start.host, host);
  assert.match(start.serverVersion, /^\d+/);
  assert.equal(start.settings['fsync'], 'off');
  assert.equal(start.maxConnections, 100);
  const accounts = start.tables.find((t) => t.name === 'pgbench_accounts');
  assert.ok(accounts !== undefined && accounts.rowsEstimate === 100_000 && accounts.tableBytes > 10_000_000, JSON.stringify(accounts));
  assert.ok(o.serverFacts.end.hosts[0]!.tables.some((t) => t.name === 'pgbench_history' && t.totalBytes > 0));

  const mid = o.server[2]!;
  const h = mid.hosts[0]!;
  assert.ok(h.ok);
  assert.ok((h.walBytesDelta ?? 0) > 0, 'tpcb-like writes WAL');
  assert.ok((h.tuplesPerS?.updated ?? 0) > 0);
  assert.ok(h.cacheHitRatio !== null && h.cacheHitRatio > 0.9);
  assert.ok((h.connections?.total ?? 0) >= 4, JSON.stringify(h.connections));
  assert.ok(h.process !== null && (h.process.cpuPct ?? 0) > 0 && (h.process.memoryBytes ?? 0) > 0 && h.process.processes > 4, JSON.stringify(h.process));
  assert.ok(mid.client.cpuPct !== null && mid.client.cpuPct > 0 && (mid.client.memoryBytes ?? 0) > 0);
  assert.ok(
    h.topStatements.some((s) => /pgbench_accounts/.test(s.query) && s.callsPerS > 0),
    JSON.stringify(h.topStatements),
  );
  // (tpcb-like at scale 1 does wait on row locks of pgbench_branches: lock-waits may rightly fire.)
  assert.ok(!rules(o).includes('connections-near-max') && !rules(o).includes('cache-hit-ratio-low'), JSON.stringify(o.findings));
});

test('a table locked during the run: lock-waits names the moment; no checkpoint, so no checkpoint finding', async () => {
  const locker = new pg.Client({ connectionString: server.url });
  await locker.connect();
  const phase = measuredPhase();
  const run = runInProcess(server, { builtin: ['select-only'], client: '4', time: '6' }, [createServerObserver(), phase.output]);
  await phase.started;
  await sleep(1500);
  await locker.query('begin');
  await locker.query('lock table pgbench_accounts in access exclusive mode');
  await sleep(2000);
  await locker.query('commit');
  await locker.end();
  const o = observed((await run).result);
  const f = o.findings.find((x) => x.rule === 'lock-waits');
  assert.ok(f !== undefined, JSON.stringify(o.findings));
  assert.match(f.message, /up to 4 clients waiting on a lock \(Lock:relation\)/);
  assert.ok(f.atS!.length >= 1 && f.atS!.length <= 3, JSON.stringify(f.atS));
  assert.ok(!rules(o).includes('checkpoint-latency-spike'), JSON.stringify(o.findings));
});

test('a CHECKPOINT while latency spikes: checkpoint-latency-spike', async () => {
  const locker = new pg.Client({ connectionString: server.url });
  await locker.connect();
  // Open loop, so that a stall shows in the percentiles of every arrival that waits behind it.
  const phase = measuredPhase();
  const run = runInProcess(server, { builtin: ['simple-update'], rate: '300', arrivals: 'uniform', client: '8', time: '8' }, [
    createServerObserver(),
    phase.output,
  ]);
  await phase.started;
  await sleep(3000);
  // The spike is provoked by a short lock (a checkpoint alone is too quick with fsync off); the rule
  // ties spikes to checkpoints that happened around them.
  await locker.query('begin');
  await locker.query('lock table pgbench_accounts in access exclusive mode');
  await locker.query('checkpoint');
  await sleep(1000);
  await locker.query('commit');
  await locker.end();
  const { result } = await run;
  const o = observed(result);
  assert.ok(
    o.server.some((s) => (s.hosts[0]!.checkpointsDelta ?? 0) > 0),
    'the checkpoint is counted',
  );
  const f = o.findings.find((x) => x.rule === 'checkpoint-latency-spike');
  assert.ok(f !== undefined, JSON.stringify({ p99: result.intervals.map((i) => i.latencyMs.p99), ckpt: o.server.map((s) => s.hosts[0]!.checkpointsDelta) }));
  assert.match(f.message, /p99 [\d.]+ ms \(run median [\d.]+ ms\) with a checkpoint/);
});

test('autovacuum on the workload tables during an update-heavy run', async () => {
  const { result } = await runInProcess(server, { builtin: ['simple-update'], client: '4', time: '6' }, [createServerObserver()]);
  const o = observed(result);
  const f = o.findings.filter((x) => x.rule === 'autovacuum-on-workload-table');
  assert.ok(f.length > 0, JSON.stringify(o.findings));
  assert.ok(
    f.some((x) => /pgbench_(accounts|tellers|branches)/.test(x.message)),
    JSON.stringify(f),
  );
});

test('a busy client process: client CPU is measured, and client-cpu-bound fires when it passes 90 % of a core', async (t) => {
  const meanCpu = (o: Observed): number => {
    const v = o.server.map((s) => s.client.cpuPct ?? 0);
    return v.reduce((a, b) => a + b, 0) / v.length;
  };
  const quiet = observed((await runInProcess(server, { builtin: ['select-only'], rate: '100', time: '4' }, [createServerObserver()])).result);
  // Busy worker threads belong to pgsurge's process, like its load threads: they count as client CPU.
  const busy = [1, 2].map(() => new Worker('const end = Date.now() + 8000; while (Date.now() < end) {}', { eval: true }));
  let loaded: Observed;
  try {
    loaded = observed((await runInProcess(server, { builtin: ['select-only'], rate: '100', time: '4' }, [createServerObserver()])).result);
  } finally {
    await Promise.all(busy.map((w) => w.terminate()));
  }
  // Modest margins: on a shared, busy machine two spinning threads may get far less than two cores.
  assert.ok(meanCpu(loaded) > 2 * meanCpu(quiet) && meanCpu(loaded) > meanCpu(quiet) + 10, `busy ${meanCpu(loaded)} % vs quiet ${meanCpu(quiet)} %`);
  assert.ok(!rules(quiet).includes('client-cpu-bound'), JSON.stringify(quiet.findings));
  // Two busy threads take > 90 % of a core unless the machine is saturated by something else.
  if (meanCpu(loaded) > 90) {
    const f = loaded.findings.find((x) => x.rule === 'client-cpu-bound');
    assert.ok(f !== undefined, JSON.stringify(loaded.findings));
    assert.match(f.message, /pgsurge used \d+ % of a CPU core/);
  } else {
    t.skip(`client-cpu-bound not checked: the busy run used only ${meanCpu(loaded).toFixed(0)} % of a core (needs > 90 %)`);
  }
});
