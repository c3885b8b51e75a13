/**
 * A small, deterministic result for report tests (summary, CSV): a 2.5 s, 2-worker open-loop run
 * built through the real Recorder → Aggregator → buildResult path; fullSampleResult adds every
 * optional section (server samples, failover, findings). Test support only.
 */
import { Recorder } from '../metrics/recorder.js';
import { Aggregator } from '../metrics/aggregator.js';
import { FailureIndex } from '../metrics/types.js';
import type { MetricsLayout } from '../metrics/types.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { buildResult } from './result.js';
import type { ResultV1 } from './result.js';
import type { FailoverResult } from './failover-schema.js';
import type { HostSample, ServerSample } from './server-schema.js';

const layout: MetricsLayout = {
  txnTypes: [
    { name: 'tpcb-like', statements: ['UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid', 'END'] },
    { name: 'select-only', statements: ['SELECT abalance FROM pgbench_accounts WHERE aid = :aid'] },
  ],
};

/** A small 2.5 s, 2-worker run: 1 ms .. 10 ms latencies, a few failures, open loop. */
export function sampleResult(): ResultV1 {
  const workers = [new Recorder(layout), new Recorder(layout)];
  const agg = new Aggregator(layout, { workers: 2, intervalMs: 1000 });
  workers.forEach((w) => w.connect(3000));
  for (let interval = 0; interval < 3; interval++) {
    workers.forEach((w, wi) => {
      const n = interval === 2 ? 50 : 100; // last interval is half long
      for (let i = 0; i < n; i++) {
        w.arrival();
        const sched = interval * 1_000_000 + i * 10_000;
        const type = i % 4 === 0 ? 1 : 0;
        w.txnOk(type, sched, sched + 200, sched + 1000 + (i % 10) * 1000, i === 7 ? 2 : 1);
        w.stmt(type, 0, 800, true);
      }
      w.arrival();
      w.txnFailed(0, 0, 0, 0, FailureIndex.Serialization, 3, 'could not serialize access due to concurrent update');
      if (wi === 1 && interval === 2) {
        w.arrival();
        w.dropped();
      }
    });
    for (const [wi, w] of workers.entries()) agg.add(w.snapshot(wi, interval, interval === 2));
  }
  return buildResult({
    tool: { name: 'pgsurge', version: '0.1.0' },
    startedAt: new Date('2025-01-02T03:04:05.000Z'),
    durationS: 2.5,
    target: { serverVersion: '17.2', hosts: ['127.0.0.1:5432'] },
    config: { rate: 200, clients: 4 },
    totals: agg.totals(),
    intervals: agg.intervals(),
    thresholds: ['p95<30ms', 'tps>=8000', 'errors<1%', 'lag.p99<5ms', 'dropped=0'].map(parseThreshold),
    server: [],
    sections: {
      // The server's time per statement: END had no entry in the phase (not executed), the rest did.
      statementServerTime: {
        status: 'measured',
        host: '127.0.0.1:5432',
        planningTracked: true,
        statements: [
          {
            type: 'tpcb-like',
            statement: 0,
            calls: 374,
            execMsMean: 0.3512,
            planMsMean: 0.0204,
            rows: 374,
            sharedBlksHit: 1531,
            sharedBlksRead: 12,
            sharedBy: 1,
          },
          {
            type: 'select-only',
            statement: 0,
            calls: 126,
            execMsMean: 0.0418,
            planMsMean: 0.0113,
            rows: 126,
            sharedBlksHit: 378,
            sharedBlksRead: 0,
            sharedBy: 1,
          },
        ],
      },
    },
  });
}

/** One host's sample with every field of the schema (figures vary with `k`, the interval). */
function hostSample(host: string, standby: boolean, k: number): HostSample {
  return {
    host,
    ok: true,
    inRecovery: standby,
    commitsPerS: standby ? 0 : 200 + k,
    rollbacksPerS: standby ? 0 : 2,
    blksHitDelta: 9900 + k,
    blksReadDelta: 100,
    cacheHitRatio: 0.99,
    tuplesPerS: { returned: 500, fetched: 400, inserted: standby ? 0 : 50, updated: standby ? 0 : 150, deleted: 0 },
    tempFilesDelta: k === 1 ? 1 : 0,
    tempBytesDelta: k === 1 ? 8_388_608 : 0,
    deadlocksDelta: 0,
    conflictsDelta: standby ? k : 0,
    connections: { total: 6, active: 4, idle: 1, idleInTransaction: 1, waitingOnLock: k === 1 ? 2 : 0 },
    maxConnections: 100,
    waitEvents: [{ event: 'Lock:transactionid', count: 2 }],
    checkpointsDelta: k === 1 ? 1 : 0,
    checkpointBuffersDelta: k === 1 ? 1234 : 0,
    checkpointInProgress: k === 1,
    walBytesDelta: standby ? 0 : 1_000_000 + k * 1000,
    replication: standby
      ? []
      : [{ applicationName: 'replica1', clientAddr: '127.0.0.1', state: 'streaming', writeLagMs: 1, flushLagMs: 2, replayLagMs: 3, replayLagBytes: 4096 }],
    standby: standby ? { replayLagBytes: 2048, replayDelayMs: 5 } : null,
    autovacuumTables: ['pgbench_accounts'],
    tables: [
      { name: 'pgbench_accounts', tableBytes: 13_000_000, indexBytes: 2_000_000, liveRows: 100_000, deadRows: 10, autovacuumDelta: 0, autoanalyzeDelta: 0 },
    ],
    topStatements: [{ query: 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2', callsPerS: 150, meanMs: 0.4, totalMsDelta: 60 }],
    process: { cpuPct: 80 + k, memoryBytes: 200_000_000, processes: 12 },
  };
}

/**
 * sampleResult with every optional section a full run can write: server samples of a primary and a
 * standby (every ServerSample field), server facts, findings, and a failover with one outage inside
 * the second interval, verified writes. For tests that check everything a report shows.
 */
export function fullSampleResult(): ResultV1 {
  const base = sampleResult();
  const server: ServerSample[] = base.intervals.map((i, k) => ({
    tS: i.tS,
    durationS: i.durationS,
    hosts: [hostSample('127.0.0.1:5432', false, k), hostSample('127.0.0.1:5433', true, k)],
    client: { cpuPct: 35, memoryBytes: 90_000_000, processes: 1, cores: 2 },
  }));
  const facts = {
    hosts: [
      {
        host: '127.0.0.1:5432',
        serverVersion: '17.2',
        serverVersionNum: 170002,
        inRecovery: false,
        maxConnections: 100,
        sharedBuffersBytes: 134_217_728,
        settings: { shared_buffers: '16384 (8kB)', synchronous_commit: 'on' },
        pgStatStatements: true,
        tables: [{ name: 'pgbench_accounts', rowsEstimate: 100_000, tableBytes: 13_000_000, indexBytes: 2_000_000, totalBytes: 15_000_000 }],
      },
    ],
  };
  const failover: FailoverResult = {
    outages: [
      {
        startS: 1.2,
        endS: 1.9,
        durationS: 0.7,
        open: false,
        clients: 4,
        clientWindowS: { p50: 0.6, max: 0.7 },
        timeToFirstReadS: 0.75,
        errors: { connection: 4 },
      },
    ],
    rtoS: 0.7,
    reconnects: { count: 4, clients: 4, p50Ms: 120, maxMs: 300, perClient: { '0': { count: 1, p50Ms: 120, maxMs: 120 } }, hosts: { '127.0.0.1:5433': 4 } },
    writes: { 'tpcb-like': { ok: 480, failed: 4, unknown: 2 } },
    timeline: { before: '00000001', after: '00000002' },
    server: {
      largest: { startS: 1.25, endS: 1.85, durationS: 0.6, timelineBefore: '00000001', timelineAfter: '00000002' },
      timelineSwitches: [{ startS: 1.25, endS: 1.85, durationS: 0.6, timelineBefore: '00000001', timelineAfter: '00000002' }],
      rows: 480,
    },
    clientMinusServerS: 0.1,
    verification: {
      verdict: 'ok',
      ok: true,
      host: '127.0.0.1:5433',
      lost: 0,
      unexpected: 0,
      recovered: 1,
      lostIds: [],
      unexpectedIds: [],
      sets: [{ table: 'ha_writes', acknowledged: 480, final: 481, lost: 0, unexpected: 0, recovered: 1, lostIds: [], unexpectedIds: [] }],
      counter: { value: 481, acknowledged: 480, unknown: 2, ok: true },
      balance: { expected: 100_000, actual: 100_000, ok: true },
    },
    primaryAfter: '127.0.0.1:5433',
  };
  return {
    ...base,
    target: { ...base.target, hosts: ['127.0.0.1:5432', '127.0.0.1:5433'] },
    // Shaped like a resolved RunConfig (run-schema.ts), redacted: nested lists and objects.
    config: {
      workloads: [
        { kind: 'builtin', name: 'tpcb-like', weight: 3 },
        { kind: 'builtin', name: 'select-only', weight: 1 },
      ],
      url: 'postgres://app@127.0.0.1:5432,127.0.0.1:5433/bench',
      clients: 4,
      threads: 2,
      rateHz: 200,
      latencyLimitMs: 50,
      thinkTime: { ms: 10, dist: 'fixed' },
      thresholds: [{ expr: 'p95<30ms' }, { expr: 'tps>=8000' }],
      failover: true,
      verifyWrites: true,
    },
    server,
    serverFacts: { start: facts, end: facts },
    findings: [
      { rule: 'lock-waits', severity: 'warning', message: 'up to 2 sessions waited on a lock', atS: [1] },
      { rule: 'checkpoint', severity: 'info', message: 'a checkpoint ran during the run', atS: [1] },
    ],
    failover,
  };
}
