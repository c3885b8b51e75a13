/**
 * Diagnosis rules on hand-made samples: each fires on its condition with the numbers in its
 * message, and stays quiet on a healthy run. (server-observer.test.ts provokes them on real servers.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, type ClientInterval, type DiagnosisInput } from './diagnosis.js';
import { failedSample } from './host-sample.js';
import type { HostFacts, HostSample, ServerSample } from './types.js';

const P = '10.0.0.1:5432';
const S = '10.0.0.2:5432';

function facts(host: string, over: Partial<HostFacts> = {}): HostFacts {
  return {
    host,
    serverVersion: '17.0',
    serverVersionNum: 170000,
    inRecovery: false,
    maxConnections: 100,
    sharedBuffersBytes: 128 * 1048576,
    settings: {},
    pgStatStatements: false,
    tables: [{ name: 'pgbench_accounts', rowsEstimate: 100000, tableBytes: 13e6, indexBytes: 2e6, totalBytes: 15e6 }],
    ...over,
  };
}

function hs(host: string, over: Partial<HostSample> = {}): HostSample {
  return {
    ...failedSample(host, ''),
    ok: true,
    inRecovery: false,
    commitsPerS: 1000,
    blksHitDelta: 100_000,
    blksReadDelta: 10,
    cacheHitRatio: 0.9999,
    connections: { total: 10, active: 8, idle: 2, idleInTransaction: 0, waitingOnLock: 0 },
    checkpointsDelta: 0,
    checkpointInProgress: false,
    ...over,
  };
}

const N = 10;
const intervals = (p99 = (_i: number): number => 2): ClientInterval[] =>
  Array.from({ length: N }, (_, i) => ({ tS: i, tps: 1000, latencyMs: { p99: p99(i) } }));
const samples = (host: (i: number) => HostSample[], cpu = (_i: number): number => 40): ServerSample[] =>
  Array.from({ length: N }, (_, i) => ({ tS: i, durationS: 1, hosts: host(i), client: { cpuPct: cpu(i), memoryBytes: 1e8, processes: 1 } }));

const input = (over: Partial<DiagnosisInput>): DiagnosisInput => ({
  intervals: intervals(),
  server: samples(() => [hs(P)]),
  facts: { start: { hosts: [facts(P)] } },
  ...over,
});
const rules = (i: DiagnosisInput): string[] => diagnose(i).map((f) => f.rule);

test('a healthy run has no findings', () => {
  assert.deepEqual(diagnose(input({})), []);
});

test('client CPU over 90 % of a core', () => {
  const f = diagnose(
    input({
      server: samples(
        () => [hs(P)],
        (i) => (i < 2 ? 70 : 97),
      ),
    }),
  );
  assert.equal(f.length, 1);
  assert.equal(f[0]!.rule, 'client-cpu-bound');
  assert.match(f[0]!.message, /pgsurge used 92 % of a CPU core on average \(peak 97 %/);
  assert.deepEqual(f[0]!.atS, [2, 3, 4, 5, 6, 7, 8, 9]);
});

test("client CPU: the core count is the one recorded with the samples, not this machine's", () => {
  const busy = samples(
    () => [hs(P)],
    () => 97,
  );
  const recorded = diagnose(input({ server: busy.map((x) => ({ ...x, client: { ...x.client, cores: 96 } })) }));
  assert.match(recorded[0]!.message, /\(peak 97 %, 96 cores on this machine\): the client may be the bottleneck/);
  const older = diagnose(input({ server: busy }));
  assert.match(older[0]!.message, /\(peak 97 %\): the client may be the bottleneck/);
});

test('connections over 90 % of max_connections', () => {
  const f = diagnose(
    input({ server: samples((i) => [hs(P, { connections: { total: i === 5 ? 95 : 50, active: 1, idle: 0, idleInTransaction: 0, waitingOnLock: 0 } })]) }),
  );
  assert.equal(f[0]?.rule, 'connections-near-max');
  assert.match(f[0]!.message, /up to 95 client connections of max_connections 100 \(95 %\)/);
  assert.deepEqual(f[0]!.atS, [5]);
});

test('cache hit ratio below 99 %, but not on a handful of blocks', () => {
  const f = diagnose(input({ server: samples(() => [hs(P, { blksHitDelta: 900, blksReadDelta: 100, cacheHitRatio: 0.9 })]) }));
  assert.equal(f[0]?.rule, 'cache-hit-ratio-low');
  assert.match(f[0]!.message, /hit ratio 90\.00 % \(1000 blocks read outside shared_buffers, 9000 hits\); shared_buffers is 128\.0 MB/);
  assert.deepEqual(rules(input({ server: samples(() => [hs(P, { blksHitDelta: 9, blksReadDelta: 1, cacheHitRatio: 0.9 })]) })), []);
});

test('a latency spike with a checkpoint beside it; a spike alone is not blamed on a checkpoint', () => {
  const spiky = intervals((i) => (i === 6 ? 50 : 2));
  const f = diagnose(input({ intervals: spiky, server: samples((i) => [hs(P, { checkpointsDelta: i === 7 ? 1 : 0 })]) }));
  assert.equal(f[0]?.rule, 'checkpoint-latency-spike');
  assert.match(f[0]!.message, /at 6 s p99 50\.0 ms \(run median 2\.0 ms\) with a checkpoint on 10\.0\.0\.1:5432/);
  assert.deepEqual(rules(input({ intervals: spiky })), []);
  assert.deepEqual(rules(input({ server: samples((i) => [hs(P, { checkpointsDelta: i === 7 ? 1 : 0 })]) })), []);
});

test('clients waiting on locks', () => {
  const f = diagnose(
    input({
      server: samples((i) => [
        hs(P, {
          connections: { total: 10, active: 8, idle: 2, idleInTransaction: 1, waitingOnLock: i === 3 ? 7 : 0 },
          waitEvents: i === 3 ? [{ event: 'Lock:relation', count: 7 }] : [],
        }),
      ]),
    }),
  );
  assert.equal(f[0]?.rule, 'lock-waits');
  assert.match(f[0]!.message, /up to 7 clients waiting on a lock \(Lock:relation\) at 3 s/);
});

test('replication lag growing, seen from the primary and from the standby', () => {
  const peer = (i: number) => ({
    applicationName: 'walreceiver',
    clientAddr: '10.0.0.2',
    state: 'streaming',
    writeLagMs: 1,
    flushLagMs: 1,
    replayLagMs: 100 * i,
    replayLagBytes: i * 1048576,
  });
  const f = diagnose(input({ server: samples((i) => [hs(P, { replication: [peer(i)] })]) }));
  assert.equal(f[0]?.rule, 'replication-lag-growing');
  assert.match(f[0]!.message, /standby walreceiver@10\.0\.0\.2: replay lag grew to 9\.0 MB \/ 900 ms by 9 s \(from 0\.0 MB\)/);
  // Steady lag is not growing.
  const steady = (i: number) => ({ ...peer(i), replayLagMs: 5, replayLagBytes: 2 * 1048576 });
  assert.deepEqual(rules(input({ server: samples((i) => [hs(P, { replication: [steady(i)] })]) })), []);
  const g = diagnose(input({ server: samples((i) => [hs(P, { inRecovery: true, standby: { replayLagBytes: i * 2 * 1048576, replayDelayMs: 10 } })]) }));
  assert.match(g[0]!.message, /\(standby\): received but not replayed WAL grew to 18\.0 MB/);
});

test('autovacuum on a workload table (and not on others)', () => {
  const f = diagnose(input({ server: samples((i) => [hs(P, { autovacuumTables: i === 4 ? ['pgbench_accounts', 'other_table'] : [] })]) }));
  assert.equal(f.length, 1);
  assert.equal(f[0]!.rule, 'autovacuum-on-workload-table');
  assert.equal(f[0]!.severity, 'info');
  assert.match(f[0]!.message, /autovacuum or autoanalyze ran on pgbench_accounts during the run \(at 4 s\)/);
});

test('a standby doing most of the work with less memory and more connections than the primary', () => {
  const start = { hosts: [facts(P), facts(S, { inRecovery: true, sharedBuffersBytes: 32 * 1048576 })] };
  const conn = (total: number) => ({ total, active: total, idle: 0, idleInTransaction: 0, waitingOnLock: 0 });
  const f = diagnose(
    input({
      facts: { start },
      server: samples(() => [hs(P, { commitsPerS: 100, connections: conn(5) }), hs(S, { inRecovery: true, commitsPerS: 900, connections: conn(40) })]),
    }),
  );
  assert.equal(f[0]?.rule, 'replica-busier-than-primary');
  assert.match(
    f[0]!.message,
    /standby 10\.0\.0\.2:5432 did 90 % of the transactions .* shared_buffers 32 MB vs 128 MB on the primary and up to 40 connections vs 5/,
  );
  // Busier but equally equipped: nothing to say.
  const even = { hosts: [facts(P), facts(S, { inRecovery: true })] };
  assert.deepEqual(
    rules(input({ facts: { start: even }, server: samples(() => [hs(P, { commitsPerS: 100 }), hs(S, { inRecovery: true, commitsPerS: 900 })]) })),
    [],
  );
});
