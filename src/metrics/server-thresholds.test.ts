import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgsurgeError } from '../errors.js';
import { evaluateThresholds, parseThreshold } from './thresholds.js';
import { fullSampleResult, sampleResult } from '../report/sample.fixture.js';
import { judgeResult, verdictLine, type ResultV1 } from '../report/result.js';
import type { HostSample, ServerSample } from '../report/server-schema.js';

/** The fixture's primary (127.0.0.1:5432) and standby (:5433), 3 intervals; process CPU 80..82 % of a core, 2 cores. */
const full = fullSampleResult();

function judge(result: ResultV1, ...exprs: string[]): ResultV1['thresholds'] {
  return judgeResult(result, exprs.map(parseThreshold)).thresholds;
}

/** The fixture with every host sample changed by `f`. */
function withHosts(result: ResultV1, f: (h: HostSample, k: number) => HostSample): ResultV1 {
  const server: ServerSample[] = result.server.map((s, k) => ({ ...s, hosts: s.hosts.map((h) => f(h, k)) }));
  return { ...result, server };
}

test('the documented server expressions parse, with the aggregate, the host and the unit', () => {
  assert.deepEqual(parseThreshold('max(server.cpu)<80%'), {
    kind: 'server',
    expr: 'max(server.cpu)<80%',
    aggregate: 'max',
    figure: 'server.cpu',
    host: { kind: 'all' },
    op: '<',
    value: 80,
    percent: true,
  });
  assert.deepEqual(parseThreshold(' P95( server[Replica].cpu ) <= 50% '), {
    kind: 'server',
    expr: 'P95( server[Replica].cpu ) <= 50%',
    aggregate: 'p95',
    figure: 'server.cpu',
    host: { kind: 'role', role: 'replica' },
    op: '<=',
    value: 50,
    percent: true,
  });
  const lag = parseThreshold('max(replication[10.0.0.2:5432].lag)<1s');
  assert.ok(lag.kind === 'server');
  assert.deepEqual([lag.figure, lag.host, lag.value], ['replication.lag', { kind: 'label', label: '10.0.0.2:5432' }, 1000]);
  const hit = parseThreshold('min(server.cache_hit)>=0.99');
  assert.ok(hit.kind === 'server' && hit.value === 99 && hit.percent);
  const conn = parseThreshold('max(connections)<80%');
  assert.ok(conn.kind === 'server' && conn.percent && conn.figure === 'connections');
  const count = parseThreshold('max(connections[primary])<=90');
  assert.ok(count.kind === 'server' && !count.percent && count.value === 90);
  assert.equal(parseThreshold('max(pool.waiting)==0').kind, 'server');
  const timeouts = parseThreshold('errors.timeout==0');
  assert.ok(timeouts.kind === 'summary' && timeouts.metric === 'errors.timeout');
});

test('bad server expressions are usage errors (exit 2) naming the expression and what to write', () => {
  const cases: [string, RegExp][] = [
    ['server.cpu<80%', /say which aggregate, e\.g\. max\(server\.cpu\)<80%/],
    ['connections<80%', /say which aggregate/],
    ['mean(server.cpu)<80%', /unknown aggregate "mean": use max, min, avg or p95/],
    ['max(server.disk)<80%', /unknown server figure "server\.disk": use server\.cpu, server\.memory/],
    ['max(tps)>100', /unknown server figure "tps".*client figures such as p95 or tps take no aggregate/],
    ['max(server.cpu)<80', /server\.cpu is a percentage: write it with %/],
    ['max(server.memory)<120%', /server\.memory is at most 100%/],
    ['max(replication.lag)<10%', /replication\.lag is a time: use us, ms or s/],
    ['min(server.cache_hit)>=99', /ratio from 0 to 1: did you mean 99%\?/],
    ['max(connections)<5ms', /connections is a count, or with % a share of max_connections/],
    ['max(pool.waiting)==0%', /pool\.waiting is a count of clients/],
    ['max(server[].cpu)<80%', /the host in \[\] is empty/],
    ['max(server[a b].cpu)<80%', /"a b" is not a host/],
    ['max(server.cpu<80%', /does not read as AGG\(FIGURE\) OP VALUE\[UNIT\]/],
    ['errors.timeouts==0', /unknown failure class "timeouts": use serialization, deadlock, connection, timeout/],
  ];
  for (const [bad, why] of cases) {
    assert.throws(
      () => parseThreshold(bad),
      (e: unknown) => e instanceof PgsurgeError && e.exitCode === 2 && e.message.includes(`"${bad}"`) && why.test(e.message),
      bad,
    );
  }
});

test('server.cpu without a machine figure: the processes over the cores; max says where', () => {
  // Process CPU 80, 81, 82 % of a core on each host, 2 cores → 40, 40.5, 41 % of the machine.
  assert.deepEqual(judge(full, 'max(server.cpu)<41%', 'max(server.cpu)<=41%', 'min(server[replica].cpu)>=40%', 'avg(server[primary].cpu)<40.6%'), [
    { expr: 'max(server.cpu)<41%', ok: false, actual: '41% on 127.0.0.1:5432 at 2s' },
    { expr: 'max(server.cpu)<=41%', ok: true, actual: '41% on 127.0.0.1:5432 at 2s' },
    { expr: 'min(server[replica].cpu)>=40%', ok: true, actual: '40% on 127.0.0.1:5433 at 0s' },
    { expr: 'avg(server[primary].cpu)<40.6%', ok: true, actual: '40.5% over 3 intervals' },
  ]);
});

test('a machine figure wins over the processes; server.memory is the machine memory in use', () => {
  const machine = withHosts(full, (h, k) => ({
    ...h,
    machine: {
      source: 'proc',
      cpuPct: h.inRecovery === true ? 10 : 50 + 10 * k,
      memoryTotalBytes: 1000,
      memoryAvailableBytes: 900 - 100 * k,
      diskReadBytesPerS: 0,
      diskWriteBytesPerS: 0,
      netReceiveBytesPerS: 0,
      netTransmitBytesPerS: 0,
    },
  }));
  assert.deepEqual(judge(machine, 'max(server.cpu)<80%', 'p95(server[replica].cpu)<=10%', 'max(server.memory)<30%', 'max(server[127.0.0.1].memory)<30.001%'), [
    { expr: 'max(server.cpu)<80%', ok: true, actual: '70% on 127.0.0.1:5432 at 2s' },
    { expr: 'p95(server[replica].cpu)<=10%', ok: true, actual: '10% over 3 intervals' },
    { expr: 'max(server.memory)<30%', ok: false, actual: '30% on 127.0.0.1:5432 at 2s' },
    { expr: 'max(server[127.0.0.1].memory)<30.001%', ok: true, actual: '30% on 127.0.0.1:5432 at 2s' },
  ]);
});

test('cache hit, connections (count and share of max_connections) and replication lag', () => {
  assert.deepEqual(
    judge(
      full,
      'min(server.cache_hit)>=99%',
      'min(server.cache_hit)==100%',
      'max(connections)<=6',
      'max(connections)<6%',
      'max(replication.lag)<10ms',
      'max(replication[replica].lag)<10ms',
    ),
    [
      { expr: 'min(server.cache_hit)>=99%', ok: true, actual: '99% on 127.0.0.1:5432 at 0s' },
      { expr: 'min(server.cache_hit)==100%', ok: false, actual: '99% on 127.0.0.1:5432 at 0s' },
      { expr: 'max(connections)<=6', ok: true, actual: '6 on 127.0.0.1:5432 at 0s' },
      { expr: 'max(connections)<6%', ok: false, actual: '6% on 127.0.0.1:5432 at 0s' },
      { expr: 'max(replication.lag)<10ms', ok: true, actual: '3ms on 127.0.0.1:5432 at 0s' },
      {
        expr: 'max(replication[replica].lag)<10ms',
        ok: false,
        actual: 'n/a',
        reason: 'replication.lag: not sampled — no host reported a standby streaming from it (pg_stat_replication)',
      },
    ],
  );
  // A standby that has caught up with an idle primary: replay_lag NULL, nothing left to replay → 0.
  const caughtUp = withHosts(full, (h) => ({ ...h, replication: h.replication.map((p) => ({ ...p, replayLagMs: null, replayLagBytes: 0 })) }));
  assert.deepEqual(judge(caughtUp, 'max(replication.lag)==0'), [{ expr: 'max(replication.lag)==0', ok: true, actual: '0ms on 127.0.0.1:5432 at 0s' }]);
});

test('a figure that was not sampled fails as n/a, with the reason and what to do', () => {
  const remote = withHosts(full, (h) => ({ ...h, process: null, machine: null }));
  assert.deepEqual(judge(remote, 'max(server.cpu)<80%', 'max(server.memory)<80%'), [
    {
      expr: 'max(server.cpu)<80%',
      ok: false,
      actual: 'n/a',
      reason: 'server.cpu: not sampled — the server is not on this machine; give --server-metrics URL (a node_exporter on its host)',
    },
    {
      expr: 'max(server.memory)<80%',
      ok: false,
      actual: 'n/a',
      reason: 'server.memory: not sampled — the server is not on this machine; give --server-metrics URL (a node_exporter on its host)',
    },
  ]);
  const noObserver = judge(sampleResult(), 'min(server.cache_hit)>=99%')[0]!;
  assert.equal(noObserver.ok, false);
  assert.match(noObserver.reason ?? '', /^server\.cache_hit: not sampled — the result has no server samples \(the observer was off: leave out --no-observe\)$/);
  // A caller that judges the summary alone (no samples given) cannot pass a server threshold.
  assert.equal(evaluateThresholds([parseThreshold('max(server.cpu)<80%')], full.summary)[0]!.actual, 'n/a');
  const pool = judge(full, 'max(pool.waiting)==0')[0]!;
  assert.match(pool.reason ?? '', /^pool\.waiting: not sampled — no PgBouncer admin console was found at 127\.0\.0\.1:5432 \(a pooler must be the target/);
  const nobody = judge(full, 'max(server[10.9.9.9:5432].cpu)<80%')[0]!;
  assert.equal(nobody.reason, 'server.cpu: not sampled — no sampled host is "10.9.9.9:5432" (sampled: 127.0.0.1:5432 (primary), 127.0.0.1:5433 (replica))');
  const exporterDown = withHosts(remote, (h) => ({
    ...h,
    machine: {
      source: 'http://db:9100/metrics',
      cpuPct: null,
      memoryTotalBytes: null,
      memoryAvailableBytes: null,
      diskReadBytesPerS: null,
      diskWriteBytesPerS: null,
      netReceiveBytesPerS: null,
      netTransmitBytesPerS: null,
      error: 'no answer within 1000 ms',
    },
  }));
  assert.equal(judge(exporterDown, 'max(server.cpu)<80%')[0]!.reason, 'server.cpu: not sampled — no answer within 1000 ms');
});

test('errors.CLASS: a count or a share of the transactions that ran', () => {
  // sampleResult: 500 ok, 6 serialization failures.
  assert.deepEqual(judge(sampleResult(), 'errors.serialization==0', 'errors.serialization<2%', 'errors.timeout==0'), [
    { expr: 'errors.serialization==0', ok: false, actual: '6' },
    { expr: 'errors.serialization<2%', ok: true, actual: '1.186%' },
    { expr: 'errors.timeout==0', ok: true, actual: '0' },
  ]);
});

test('the verdict: thresholds, the asked rate (within 1 %, or every scheduled arrival served), completion', () => {
  const base = sampleResult(); // 500 ok over 2.5 s = 200/s, 507 arrivals
  const at = (rateHz: number | undefined, extra: Partial<ResultV1> = {}): string => {
    const r: ResultV1 = { ...base, config: { ...base.config, ...(rateHz === undefined ? {} : { rateHz }) }, ...extra };
    return verdictLine(judgeResult(r, []).verdict!);
  };
  assert.equal(at(undefined), 'PASSED: the run completed, 6 failed transactions; no threshold given (--threshold)');
  assert.equal(at(200), 'PASSED: rate achieved: asked 200/s, achieved 200/s (100%)');
  assert.equal(at(202), 'PASSED: rate achieved: asked 202/s, achieved 200/s (99%)');
  // 500 of 507 arrivals (98.6 %) at 79 % of the rate: missed.
  assert.equal(at(253), 'FAILED: rate missed: asked 253/s, achieved 200/s (79.1%)');
  // The schedule drew fewer arrivals than rate × seconds and 99 % of them succeeded: achieved.
  const drawnFew = { summary: { ...base.summary, arrivals: 505 } };
  assert.equal(at(253, drawnFew), 'PASSED: rate achieved: asked 253/s, achieved 200/s (79.1%)');
  // A rate that changed while running (stages, live changes) has no single target to judge.
  assert.doesNotMatch(at(253, { loadChanges: [{ atS: 1, target: 100, kind: 'rate', group: 'run' }] }), /rate/);
  const interrupted = at(200, { stop: { reason: 'interrupted', signal: 'SIGINT', message: 'interrupted by SIGINT' } });
  assert.equal(interrupted, 'FAILED: interrupted by SIGINT (partial results)');
  const thresholds = judgeResult({ ...base, config: { rateHz: 400 } }, ['p95<30ms', 'tps>=8000'].map(parseThreshold)).verdict!;
  assert.deepEqual(thresholds, {
    passed: false,
    failed: ['tps>=8000'],
    reasons: ['tps>=8000 (actual 200)', 'rate missed: asked 400/s, achieved 200/s (50%)'],
    rate: { askedPerS: 400, achievedPerS: 200, achieved: false },
  });
  const verification = full.failover!.verification!;
  assert.ok('lost' in verification);
  const lostWrites = { ...full, failover: { ...full.failover!, verification: { ...verification, verdict: 'LOST WRITES' as const, ok: false, lost: 2 } } };
  assert.match(verdictLine(judgeResult(lostWrites, []).verdict!), /^FAILED: write verification LOST WRITES \(lost 2, unexpected \d+\)/);
  const held = judgeResult(full, ['max(server.cpu)<=41%'].map(parseThreshold));
  assert.equal(verdictLine(held.verdict!), 'PASSED: the threshold held; rate achieved: asked 200/s, achieved 200/s (100%)');
});

test('pool.waiting reads the pooler in front of the host: clients waiting on average per interval', () => {
  const usage = (waiting: number | null, error?: string): NonNullable<HostSample['pooler']> => ({
    kind: 'pgbouncer',
    version: 'PgBouncer 1.18.0',
    at: '127.0.0.1:6432',
    database: 'postgres',
    user: 'postgres',
    poolMode: 'transaction',
    poolSize: 2,
    clientsActive: 8,
    clientsWaiting: 6,
    serversActive: 2,
    serversIdle: 0,
    maxWaitMs: 12,
    waiting: waiting,
    transactionsPerS: 100,
    waitPerTransactionMs: 5,
    ...(error === undefined ? {} : { error }),
  });
  // Only the primary (the load's host) has a pooler; the standby's lack of one does not make it n/a.
  const waits = [0, 0.0004, 3.25];
  const behind = withHosts(full, (h, k) => (h.inRecovery === true ? h : { ...h, pooler: usage(waits[k]!) }));
  assert.deepEqual(judge(behind, 'max(pool.waiting)==0', 'min(pool.waiting)==0', 'avg(pool.waiting)<2'), [
    { expr: 'max(pool.waiting)==0', ok: false, actual: '3.25 on 127.0.0.1:5432 at 2s' },
    { expr: 'min(pool.waiting)==0', ok: true, actual: '0 on 127.0.0.1:5432 at 0s' },
    { expr: 'avg(pool.waiting)<2', ok: true, actual: '1.083 over 3 intervals' },
  ]);
  // A wait too short to print is not shown as the 0 it failed against.
  const short = withHosts(full, (h) => (h.inRecovery === true ? h : { ...h, pooler: usage(0.0004) }));
  assert.deepEqual(judge(short, 'max(pool.waiting)==0')[0], { expr: 'max(pool.waiting)==0', ok: false, actual: '<0.001 on 127.0.0.1:5432 at 0s' });
  const down = withHosts(full, (h) => (h.inRecovery === true ? h : { ...h, pooler: usage(null, 'no answer within 5 s') }));
  assert.equal(
    judge(down, 'max(pool.waiting)==0')[0]!.reason,
    "pool.waiting: not sampled — PgBouncer's console at 127.0.0.1:5432 gave no wait time: no answer within 5 s",
  );
  const pgpool = withHosts(full, (h) => ({ ...h, pooler: { kind: 'pgpool', version: 'Pgpool-II 4.3.5', at: '127.0.0.1:9999', nodes: [] } }));
  assert.equal(
    judge(pgpool, 'max(pool.waiting)==0')[0]!.reason,
    "pool.waiting: not sampled — Pgpool-II 4.3.5 at 127.0.0.1:9999 does not say how many clients wait (only PgBouncer's console does)",
  );
});
