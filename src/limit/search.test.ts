import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LimitSearch, type IntervalFigures } from './search.js';
import { attributeBound } from './bound.js';
import type { ServerSample, HostSample } from '../report/server-schema.js';

/** A synthetic server of capacity `capTps`: below it every arrival completes at `p99Ms`; above it the excess is missed and p99 grows. */
function simulate(search: LimitSearch, capTps: number, maxIntervals = 400): number {
  let i = 0;
  for (; i < maxIntervals && !search.ended; i++) {
    const asked = search.current;
    const ok = Math.min(asked, capTps);
    const s: IntervalFigures = {
      index: i,
      durationMs: 1000,
      arrivals: asked,
      ok,
      failed: 0,
      dropped: 0,
      skipped: 0,
      latencyMs: { p99: asked > capTps ? 500 : 10 },
    };
    search.interval(s);
  }
  return i;
}

test('open loop: doubles until a step breaks, then bisects to within 5 % of the capacity', () => {
  const search = new LimitSearch({ openLoop: true, start: 100, stepIntervals: 3 });
  simulate(search, 1900);
  const { steps, outcome } = search.result();
  assert.equal(outcome.kind, 'found');
  if (outcome.kind !== 'found') return;
  assert.deepEqual(
    steps.slice(0, 6).map((s) => s.target),
    [100, 200, 400, 800, 1600, 3200],
  );
  assert.ok(outcome.held.target <= 1900 && outcome.broke.target > 1900, `${outcome.held.target} .. ${outcome.broke.target}`);
  assert.ok(outcome.broke.target - outcome.held.target <= outcome.held.target * 0.05);
  assert.match(outcome.broke.broke ?? '', /rate missed/);
});

test('a step is judged on its own intervals after its first: a bad first interval does not break it', () => {
  const search = new LimitSearch({ openLoop: true, start: 100, stepIntervals: 3 });
  // Step 1: the first interval (warm-up) misses everything, the next two are fine.
  search.interval({ index: 0, durationMs: 1000, arrivals: 100, ok: 0, failed: 3, dropped: 0, skipped: 0, latencyMs: { p99: 900 } });
  search.interval({ index: 1, durationMs: 1000, arrivals: 100, ok: 100, failed: 0, dropped: 0, skipped: 0, latencyMs: { p99: 10 } });
  const d = search.interval({ index: 2, durationMs: 1000, arrivals: 100, ok: 100, failed: 0, dropped: 0, skipped: 0, latencyMs: { p99: 10 } });
  assert.deepEqual(d, { kind: 'set', target: 200 });
  const step = search.result().steps[0]!;
  assert.equal(step.held, true);
  assert.equal(step.firstInterval, 0);
  assert.equal(step.lastInterval, 2);
  assert.equal(step.achievedTps, 100);
  // Step 2: errors in a judged interval break it; the first step held, so the limit is found at once (200 − 100 > 5 %: bisects).
  search.interval({ index: 3, durationMs: 1000, arrivals: 200, ok: 200, failed: 0, dropped: 0, skipped: 0, latencyMs: { p99: 10 } });
  search.interval({ index: 4, durationMs: 1000, arrivals: 200, ok: 198, failed: 2, dropped: 0, skipped: 0, latencyMs: { p99: 10 } });
  const d2 = search.interval({ index: 5, durationMs: 1000, arrivals: 200, ok: 200, failed: 0, dropped: 0, skipped: 0, latencyMs: { p99: 10 } });
  assert.deepEqual(d2, { kind: 'set', target: 150 });
  assert.equal(search.result().steps[1]!.broke, '2 failed');
});

test('p99 past the factor of the low-load p99 breaks a step even when the rate is met', () => {
  const search = new LimitSearch({ openLoop: true, start: 100, stepIntervals: 2, p99Factor: 5 });
  const feed = (index: number, p99: number): void =>
    void search.interval({ index, durationMs: 1000, arrivals: 100, ok: 100, failed: 0, dropped: 0, skipped: 0, latencyMs: { p99 } });
  feed(0, 10);
  feed(1, 10);
  // Asked 200 now, the interval counts say every arrival completed: only the p99 breaks it.
  search.interval({ index: 2, durationMs: 1000, arrivals: 200, ok: 200, failed: 0, dropped: 0, skipped: 0, latencyMs: { p99: 10 } });
  search.interval({ index: 3, durationMs: 1000, arrivals: 200, ok: 200, failed: 0, dropped: 0, skipped: 0, latencyMs: { p99: 60 } });
  assert.match(search.result().steps[1]!.broke ?? '', /p99 60\.0 ms > 5× low-load 10\.0 ms/);
});

test('closed loop: clients up to -c; nothing broke is said, the first step breaking is said', () => {
  const none = new LimitSearch({ openLoop: false, start: 1, max: 8, stepIntervals: 2 });
  simulate(none, 1e9);
  const r = none.result();
  assert.deepEqual(
    r.steps.map((s) => s.target),
    [1, 2, 4, 8],
  );
  assert.equal(r.outcome.kind, 'no-break');

  const first = new LimitSearch({ openLoop: true, start: 1000, stepIntervals: 2 });
  simulate(first, 100);
  assert.equal(first.result().outcome.kind, 'first-broke');
  assert.equal(first.result().steps.length, 1);
});

test('closed loop bisects to one client', () => {
  const search = new LimitSearch({ openLoop: false, start: 1, max: 64, stepIntervals: 2 });
  let i = 0;
  // Errors from 11 active clients on (a connection limit, say).
  while (!search.ended && i < 200) {
    const c = search.current;
    search.interval({ index: i++, durationMs: 1000, arrivals: 0, ok: 100 * c, failed: c >= 11 ? 5 : 0, dropped: 0, skipped: 0, latencyMs: { p99: 5 } });
  }
  const o = search.result().outcome;
  assert.equal(o.kind, 'found');
  if (o.kind === 'found') assert.deepEqual([o.held.target, o.broke.target], [10, 11]);
});

function host(p: Partial<HostSample>): HostSample {
  return {
    host: 'h:5432',
    ok: true,
    inRecovery: false,
    commitsPerS: 0,
    rollbacksPerS: 0,
    blksHitDelta: 0,
    blksReadDelta: 0,
    cacheHitRatio: null,
    tuplesPerS: null,
    tempFilesDelta: 0,
    tempBytesDelta: 0,
    deadlocksDelta: 0,
    conflictsDelta: 0,
    connections: { total: 5, active: 4, idle: 1, idleInTransaction: 0, waitingOnLock: 0 },
    maxConnections: 100,
    waitEvents: [],
    checkpointsDelta: 0,
    checkpointBuffersDelta: 0,
    checkpointInProgress: false,
    walBytesDelta: 0,
    replication: [],
    standby: null,
    autovacuumTables: [],
    tables: [],
    topStatements: [],
    process: { cpuPct: 20, memoryBytes: 0, processes: 5 },
    ...p,
  };
}
const sample = (tS: number, h: Partial<HostSample>, clientCpuPct = 10): ServerSample => ({
  tS,
  durationS: 1,
  hosts: [host(h)],
  client: { cpuPct: clientCpuPct, memoryBytes: 0, processes: 1, cores: 2 },
});

test('bound: server CPU, client CPU, lock waits, checkpoints, else latency, from the broken step’s samples only', () => {
  const search = new LimitSearch({ openLoop: true, start: 100, stepIntervals: 3 });
  simulate(search, 150);
  const o = search.result().outcome;
  assert.equal(o.kind, 'found');
  if (o.kind !== 'found') return;
  const broke = o.broke;
  // The broken step's judged intervals (its first is the warm-up).
  const at = (h: Partial<HostSample>, clientCpu?: number): ServerSample[] => [broke.firstInterval + 1, broke.lastInterval].map((i) => sample(i, h, clientCpu));
  assert.equal(attributeBound(broke, at({ process: { cpuPct: 188, memoryBytes: 0, processes: 5 } }), 1000, 4).kind, 'server-cpu');
  assert.match(attributeBound(broke, at({ process: { cpuPct: 188, memoryBytes: 0, processes: 5 } }), 1000, 4).evidence, /server CPU \(94 % of 2 cores\)/);
  assert.equal(attributeBound(broke, at({}, 190), 1000, 4).kind, 'client-cpu');
  assert.equal(
    attributeBound(broke, at({ connections: { total: 5, active: 4, idle: 0, idleInTransaction: 0, waitingOnLock: 3 } }), 1000, 4).kind,
    'lock-waits',
  );
  assert.equal(attributeBound(broke, at({ checkpointsDelta: 1 }), 1000, 4).kind, 'io');
  const pooler = (waiting: number): NonNullable<HostSample['pooler']> => ({
    kind: 'pgbouncer',
    version: 'PgBouncer 1.18.0',
    at: 'h:5432',
    database: 'app',
    user: 'app',
    poolMode: 'transaction',
    poolSize: 2,
    clientsActive: 2,
    clientsWaiting: 2,
    serversActive: 2,
    serversIdle: 0,
    maxWaitMs: 40,
    waiting,
    transactionsPerS: 100,
    waitPerTransactionMs: 20,
  });
  assert.deepEqual(attributeBound(broke, at({ pooler: pooler(2.25) }), 1000, 4), {
    kind: 'pool',
    evidence: "the pooler's pool: 2.3 clients waiting for a server connection on average, pool size 2 (PgBouncer 1.18.0 at h:5432)",
  });
  // A wait now and then is not the bound.
  assert.equal(attributeBound(broke, at({ pooler: pooler(0.1) }), 1000, 4).kind, 'latency');
  assert.equal(attributeBound(broke, at({}), 1000, 4).kind, 'latency');
  // A busy CPU outside the step is not this step's bound.
  const elsewhere = [sample(0, { process: { cpuPct: 199, memoryBytes: 0, processes: 5 } })];
  assert.equal(attributeBound(broke, elsewhere, 1000, 4).kind, 'latency');
});

test('closed loop: more clients without more throughput break a step', () => {
  const search = new LimitSearch({ openLoop: false, start: 1, max: 16, stepIntervals: 2 });
  let i = 0;
  // 100 tps per client up to 4 clients, then flat at 400.
  while (!search.ended && i < 200) {
    const c = search.current;
    search.interval({ index: i++, durationMs: 1000, arrivals: 0, ok: 100 * Math.min(c, 4), failed: 0, dropped: 0, skipped: 0, latencyMs: { p99: 10 } });
  }
  const o = search.result().outcome;
  assert.equal(o.kind, 'found');
  if (o.kind === 'found') {
    assert.deepEqual([o.held.target, o.broke.target], [4, 5]);
    assert.match(o.broke.broke ?? '', /throughput flat: 400 tps vs 400 at 4 clients/);
  }
});

test("with the run's thresholds as the criterion: they decide a step, failures alone and a p99 past 5× do not; a missed rate still breaks", () => {
  // A server of capacity 1000/s whose latency grows with the load (p99 = asked / 20 ms) and that
  // fails one transaction per interval from 300/s on.
  const feed = (search: LimitSearch, cap: number): void => {
    for (let i = 0; i < 400 && !search.ended; i++) {
      const asked = search.current;
      search.interval({
        index: i,
        durationMs: 1000,
        arrivals: asked,
        ok: Math.min(asked, cap),
        failed: asked >= 300 ? 1 : 0,
        dropped: 0,
        skipped: 0,
        latencyMs: { p99: asked / 20 },
      });
    }
  };
  const p99Under = (limitMs: number) => (judged: readonly IntervalFigures[]) => {
    const worst = Math.max(...judged.map((j) => j.latencyMs.p99 ?? 0));
    return worst < limitMs ? undefined : `p99<${limitMs}ms (actual ${worst}ms)`;
  };
  const byThreshold = new LimitSearch({ openLoop: true, start: 100, stepIntervals: 2, stepCheck: p99Under(40) });
  feed(byThreshold, 1000);
  const found = byThreshold.result().outcome;
  assert.equal(found.kind, 'found');
  if (found.kind !== 'found') return;
  // p99 < 40 ms holds up to 800/s: the failures from 300/s and a p99 8× the first step's do not break it.
  assert.ok(found.held.target < 800 && found.held.target >= 760, `held ${found.held.target}`);
  assert.equal(found.broke.target, 800);
  assert.match(found.broke.broke ?? '', /^p99<40ms \(actual 40ms\)$/);
  // A threshold the load never breaks: the missed rate past the capacity still ends the search.
  const lax = new LimitSearch({ openLoop: true, start: 100, stepIntervals: 2, stepCheck: () => undefined });
  feed(lax, 1000);
  const laxOutcome = lax.result().outcome;
  assert.equal(laxOutcome.kind, 'found');
  if (laxOutcome.kind === 'found') assert.match(laxOutcome.broke.broke ?? '', /rate missed/);
  // Without thresholds, the first failure breaks it (at 400/s: 300 is never asked by doubling from 100).
  const own = new LimitSearch({ openLoop: true, start: 100, stepIntervals: 2 });
  feed(own, 1000);
  const ownOutcome = own.result().outcome;
  assert.equal(ownOutcome.kind, 'found');
  if (ownOutcome.kind === 'found') assert.match(ownOutcome.broke.broke ?? '', /failed/);
});
