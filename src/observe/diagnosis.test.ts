/**
 * Diagnosis rules on hand-made samples: each fires on its condition with the numbers in its
 * message, and stays quiet on a healthy run. (server-observer.test.ts provokes them on real servers.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, type ClientInterval, type DiagnosisInput } from './diagnosis.js';
import { failedSample } from './host-sample.js';
import type { HostFacts, HostSample, OpenTransaction, ServerSample } from './types.js';

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

test('server CPU-bound: PostgreSQL keeps most cores busy in several intervals', () => {
  const server = samples((i) => [hs(P, { process: { cpuPct: i >= 6 ? 180 : 60, memoryBytes: 1e8, processes: 8 } })]).map((s) => ({
    ...s,
    client: { ...s.client, cores: 2 },
  }));
  const f = diagnose(input({ server }));
  assert.deepEqual(
    f.map((x) => x.rule),
    ['server-cpu-bound'],
  );
  assert.match(f[0]!.message, /PostgreSQL kept 90 % of 2 cores busy in 4 of 10 intervals/);
  assert.deepEqual(f[0]!.atS, [6, 7, 8, 9]);
  // Two saturated intervals are a blip, not a bound.
  const blip = server.map((s, i) => (i < 8 ? { ...s, hosts: [hs(P, { process: { cpuPct: 60, memoryBytes: 1e8, processes: 8 } })] } : s));
  assert.deepEqual(rules(input({ server: blip })), []);
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

test('cache hit ratio below 99 % once shared_buffers could be full, but not on a handful of blocks', () => {
  // 1 MB of shared_buffers is 128 blocks: full after the first two samples of 100 reads each.
  const small = { hosts: [facts(P, { sharedBuffersBytes: 1048576 })] };
  const f = diagnose(input({ facts: { start: small }, server: samples(() => [hs(P, { blksHitDelta: 900, blksReadDelta: 100, cacheHitRatio: 0.9 })]) }));
  assert.equal(f[0]?.rule, 'cache-hit-ratio-low');
  assert.match(
    f[0]!.message,
    /hit ratio 90\.00 % from 2 s on, once shared_buffers could be full, \(800 blocks read outside shared_buffers, 7200 hits\); shared_buffers is 1\.0 MB/,
  );
  assert.deepEqual(f[0]!.atS, [2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(rules(input({ facts: { start: small }, server: samples(() => [hs(P, { blksHitDelta: 9, blksReadDelta: 1, cacheHitRatio: 0.9 })]) })), []);
});

test('a cold cache is not a low hit ratio: reads that could all be filling empty buffers are warm-up', () => {
  // The quick start's first run: data just loaded, 128 MB of shared_buffers (16,384 blocks), about
  // 1,100 blocks read in 10 s at a 93 % hit ratio all along. Every read may have filled a free buffer.
  const cold = samples(() => [hs(P, { blksHitDelta: 1700, blksReadDelta: 130, cacheHitRatio: 0.929 })]);
  assert.deepEqual(rules(input({ server: cold })), []);
  // Without the size of shared_buffers, the second half of the run decides: warm by then, no finding.
  const warming = samples((i) => [i < 5 ? hs(P, { blksHitDelta: 500, blksReadDelta: 500, cacheHitRatio: 0.5 }) : hs(P)]);
  assert.deepEqual(rules(input({ facts: { start: { hosts: [] } }, server: warming })), []);
  // The same run once the reads have exceeded shared_buffers (1 MB here) and it stays low: a finding.
  assert.deepEqual(rules(input({ facts: { start: { hosts: [facts(P, { sharedBuffersBytes: 1048576 })] } }, server: cold })), ['cache-hit-ratio-low']);
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

const conn = (active: number, total = active) => ({ total, active, idle: total - active, idleInTransaction: 0, waitingOnLock: 0 });
const tuples = (read: number) => ({ returned: read, fetched: read, inserted: 0, updated: 0, deleted: 0 });

test('a standby doing most of the work while the primary idles (read routing), with its figures', () => {
  // What the read/write routing case shows: reads sent to the replica, the primary all but idle.
  const start = { hosts: [facts(P), facts(S, { inRecovery: true })] };
  const f = diagnose(
    input({
      facts: { start },
      server: samples(() => [
        hs(P, { commitsPerS: 2, tuplesPerS: tuples(10), connections: conn(0, 2), process: { cpuPct: 3, memoryBytes: 1e8, processes: 8 } }),
        hs(S, { inRecovery: true, commitsPerS: 900, tuplesPerS: tuples(9000), connections: conn(8), process: { cpuPct: 85, memoryBytes: 1e8, processes: 16 } }),
      ]),
    }),
  );
  assert.deepEqual(
    f.map((x) => x.rule),
    ['replica-busier-than-primary'],
  );
  assert.match(
    f[0]!.message,
    /^standby 10\.0\.0\.2:5432 had 100 % of the transactions of it and the primary 10\.0\.0\.1:5432 together \(900 commits\/s vs 2 commits\/s, 18000 rows read\/s vs 20 rows read\/s, 85 % CPU vs 3 % CPU, 8\.0 active backends vs 0\.0 active backends, standby vs primary\): it carries the load/,
  );
  assert.doesNotMatch(f[0]!.message, /shared_buffers/);
});

test('a standby busier by CPU and backends when no transaction counters are there', () => {
  const start = { hosts: [facts(P), facts(S, { inRecovery: true })] };
  const f = diagnose(
    input({
      facts: { start },
      server: samples(() => [
        hs(P, { commitsPerS: null, connections: conn(0, 1), process: { cpuPct: 1, memoryBytes: 1e8, processes: 8 } }),
        hs(S, { inRecovery: true, commitsPerS: null, connections: conn(6), process: { cpuPct: 70, memoryBytes: 1e8, processes: 12 } }),
      ]),
    }),
  );
  assert.equal(f[0]?.rule, 'replica-busier-than-primary');
  assert.match(
    f[0]!.message,
    /had 99 % of the CPU of it and the primary 10\.0\.0\.1:5432 together \(70 % CPU vs 1 % CPU, 6\.0 active backends vs 0\.0 active backends/,
  );
});

test('a memory difference alone is no finding, and neither is a standby doing its share', () => {
  const lean = { hosts: [facts(P), facts(S, { inRecovery: true, sharedBuffersBytes: 32 * 1048576 })] };
  // Less memory on the standby, same work on both.
  assert.deepEqual(
    rules(input({ facts: { start: lean }, server: samples(() => [hs(P, { commitsPerS: 500 }), hs(S, { inRecovery: true, commitsPerS: 500 })]) })),
    [],
  );
  // Less memory, the standby idle.
  assert.deepEqual(
    rules(
      input({
        facts: { start: lean },
        server: samples(() => [hs(P, { commitsPerS: 500 }), hs(S, { inRecovery: true, commitsPerS: 0, connections: conn(0, 1) })]),
      }),
    ),
    [],
  );
  // Busier with less memory: the memory is context in the message.
  const f = diagnose(input({ facts: { start: lean }, server: samples(() => [hs(P, { commitsPerS: 100 }), hs(S, { inRecovery: true, commitsPerS: 900 })]) }));
  assert.match(f[0]!.message, /had 90 % of the transactions .*; shared_buffers 32 MB vs 128 MB on the primary/);
});

test('a standby promoted during the run is not "busier" for the work it did as the primary', () => {
  const start = { hosts: [facts(P), facts(S, { inRecovery: true })] };
  const f = diagnose(
    input({
      facts: { start },
      server: samples((i) =>
        i < 4
          ? [hs(P, { commitsPerS: 1000 }), hs(S, { inRecovery: true, commitsPerS: 0 })]
          : [failedSample(P, 'connection refused'), hs(S, { inRecovery: false, commitsPerS: 1000 })],
      ),
    }),
  );
  assert.ok(!f.some((x) => x.rule === 'replica-busier-than-primary'), JSON.stringify(f));
});

test('a failover outage is not blamed on checkpoints: the promoted server checkpoints, the outage is the finding', () => {
  // Primary P killed at 4 s, standby S promoted at 5 s (its end-of-recovery checkpoint counted at
  // 5 s and 6 s); p99 spikes at 4 s and 5 s, where the writes had nowhere to go.
  const start = { hosts: [facts(P), facts(S, { inRecovery: true })] };
  const spiky = intervals((i) => (i === 4 || i === 5 ? 800 : 2));
  const server = samples((i) =>
    i < 4
      ? [hs(P), hs(S, { inRecovery: true, commitsPerS: 0 })]
      : [failedSample(P, 'connection refused'), hs(S, { inRecovery: i < 5, checkpointsDelta: i === 5 || i === 6 ? 1 : 0 })],
  );
  const f = diagnose(input({ facts: { start }, intervals: spiky, server }));
  assert.deepEqual(
    f.map((x) => x.rule),
    ['server-outage'],
  );
  assert.match(
    f[0]!.message,
    /10\.0\.0\.1:5432 could not be sampled at 4 s, 5 s, .*; 10\.0\.0\.2:5432 left recovery \(promoted\) at 5 s; the latency spikes at 4 s, 5 s are this outage, not checkpoints/,
  );
  // With the outage the clients measured (the failover section), and no sample showing it.
  const measured = diagnose(
    input({ intervals: spiky, server: samples((i) => [hs(P, { checkpointsDelta: i === 6 ? 1 : 0 })]), outages: [{ startS: 4.2, endS: 5.9 }] }),
  );
  assert.deepEqual(
    measured.map((x) => x.rule),
    ['server-outage'],
  );
  assert.match(
    measured[0]!.message,
    /writes failed from 4\.2 s to 5\.9 s \(1\.70 s; see the failover section\); the latency spikes at 4 s, 5 s are this outage/,
  );
  // A spike far from the outage, with a checkpoint beside it, is still a checkpoint spike.
  const late = intervals((i) => (i === 4 || i === 9 ? 800 : 2));
  const both = diagnose(
    input({ intervals: late, server: samples((i) => [hs(P, { checkpointsDelta: i === 9 ? 1 : 0 })]), outages: [{ startS: 4, endS: 4.5 }] }),
  );
  assert.deepEqual(both.map((x) => x.rule).sort(), ['checkpoint-latency-spike', 'server-outage']);
  assert.match(both.find((x) => x.rule === 'checkpoint-latency-spike')!.message, /at 9 s p99 800\.0 ms/);
});

test('without client load (a monitor) the client rules stay quiet and a server outage keeps its times', () => {
  const busyClient = samples(
    (i) => [i >= 4 && i <= 5 ? failedSample(P, 'connection refused') : hs(P)],
    () => 99,
  );
  const empty = Array.from({ length: N }, (_, i) => ({ tS: i, tps: 0, latencyMs: { p99: null } }));
  for (const noLoad of [[], empty]) {
    const f = diagnose(input({ intervals: noLoad, server: busyClient }));
    assert.deepEqual(
      f.map((x) => x.rule),
      ['server-outage'],
    );
    assert.deepEqual(f[0]!.atS, [3, 4, 5, 6]);
  }
});

const session = (over: Partial<OpenTransaction>): OpenTransaction => ({
  pid: 4242,
  applicationName: 'psql',
  state: 'idle in transaction',
  xactS: 1,
  queryS: 1,
  stateS: 1,
  query: 'select ? from pgbench_accounts where aid = ?',
  ...over,
});
const withSessions = (at: (i: number) => OpenTransaction[]): ServerSample[] =>
  samples((i) => [hs(P, { transactions: { oldestXactS: null, oldestActiveQueryS: null, oldestIdleInXactS: null, sessions: at(i) } })]);

test('idle in transaction past the bound: pid, application, how long, since when, the last query, what to do', () => {
  // Idle in transaction from 2 s into the run: at the end of interval i its age is i + 1 − 2.
  const server = withSessions((i) => (i < 2 ? [] : [session({ xactS: i - 1, stateS: i - 1 })]));
  const f = diagnose(input({ server })).filter((x) => x.rule === 'idle-in-transaction');
  assert.equal(f.length, 1);
  assert.match(f[0]!.message, /pid 4242 \(application_name 'psql'\) sat idle in transaction for 8\.0 s \(bound 5 s/);
  assert.match(f[0]!.message, /since 2\.0 s into the run/);
  assert.match(f[0]!.message, /last query "select \? from pgbench_accounts where aid = \?"/);
  assert.match(f[0]!.message, /idle_in_transaction_session_timeout/);
  assert.deepEqual(f[0]!.atS, [6, 7, 8, 9]);
});

test('a long active transaction is its own finding; short ones and the load stay quiet', () => {
  const server = withSessions((i) => [session({ pid: 7, state: 'active', xactS: i + 1, queryS: 0.5, stateS: 0.5 }), session({ pid: 8, xactS: 2, stateS: 2 })]);
  const f = diagnose(input({ server })).filter((x) => /transaction/.test(x.rule));
  assert.deepEqual(
    f.map((x) => x.rule),
    ['long-transaction'],
  );
  assert.match(f[0]!.message, /a transaction stayed open 10\.0 s \(bound 5 s; since before the run started\), pid 7/);
  assert.match(f[0]!.message, /statement_timeout/);
  assert.deepEqual(rules(input({ server: withSessions(() => [session({ xactS: 4.9, stateS: 4.9 })]) })), []);
});

const bloatFacts = (ratio: number, deadRatio: number): HostFacts['bloat'] => ({
  tables: [
    {
      name: 'pgbench_accounts',
      bytes: 20e6,
      liveRows: 100_000,
      deadRows: Math.round((deadRatio * 100_000) / (1 - deadRatio)),
      deadRatio,
      bloatBytes: ratio * 20e6,
      bloatRatio: ratio,
    },
  ],
  indexes: [{ name: 'pgbench_accounts_pkey', table: 'pgbench_accounts', bytes: 4e6, bloatBytes: ratio * 4e6, bloatRatio: ratio }],
});

test('table and index bloat at the end of the run, with the start beside it; quiet below the bounds', () => {
  const f = diagnose(
    input({ facts: { start: { hosts: [facts(P, { bloat: bloatFacts(0.05, 0) })] }, end: { hosts: [facts(P, { bloat: bloatFacts(0.5, 0.4) })] } } }),
  );
  const table = f.find((x) => x.rule === 'table-bloat');
  const index = f.find((x) => x.rule === 'index-bloat');
  assert.match(
    table?.message ?? '',
    /table pgbench_accounts at the end of the run: an estimated 50 % of its 19\.1 MB is dead or free space \(9\.5 MB\), 5 % of 19\.1 MB at the start; 40 % of its rows are dead/,
  );
  assert.match(table?.message ?? '', /VACUUM/);
  assert.match(index?.message ?? '', /index pgbench_accounts_pkey on pgbench_accounts at the end of the run: an estimated 50 %.*REINDEX INDEX CONCURRENTLY/);
  assert.deepEqual(rules(input({ facts: { start: { hosts: [facts(P, { bloat: bloatFacts(0.1, 0.05) })] } } })), []);
});
