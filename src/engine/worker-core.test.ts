/**
 * The worker core on a simulated clock: timers and a fake session run as a discrete-event
 * simulation (sim.fixture.ts), so schedule arithmetic can be checked exactly, including a server stall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadModel } from './messages.js';
import { percentileUs } from '../metrics/histogram.js';
import { FailureIndex } from '../metrics/types.js';
import { noStatement, runSim, simulate } from './sim.fixture.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { buildResult } from '../report/result.js';
import { formatSummary } from '../report/summary.js';

test('open loop: a 2 s server stall shows in latency from the schedule, not only in service time', async () => {
  const load: LoadModel = { kind: 'open', durationMs: 6000, rateHz: 500, arrivals: 'uniform', maxQueue: 10_000, latencyLimitMs: undefined, stages: undefined };
  const startUs = 2_000_000;
  const sim = simulate(load, { serviceUs: 1000, stallFromUs: startUs + 2_000_000, stallToUs: startUs + 4_000_000 });
  const { done, t } = await runSim(sim, startUs, startUs + 20_000_000);
  assert.ok(done, 'the run finished');
  assert.equal(t.arrivals, 3000, '500/s for 6 s');
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  assert.equal(t.ok, 3000);
  const p99Ms = percentileUs(t.latency, 99) / 1000;
  const p50Ms = percentileUs(t.latency, 50) / 1000;
  const serviceP99Ms = percentileUs(t.service, 99) / 1000;
  // A third of the arrivals fall into the stall and wait up to 2 s (plus the queue drain after it).
  assert.ok(p99Ms > 1900 && p99Ms < 2400, `latency p99 ${p99Ms} ms should be near 2 s`);
  assert.ok(p50Ms < 5, `latency p50 ${p50Ms} ms stays near the service time`);
  assert.ok(serviceP99Ms < 5, `service time p99 ${serviceP99Ms} ms hides the stall: only 4 statements were in flight during it`);
});

test('open loop, idle client: an arrival starts on time to the microsecond (the wait blocks; no 1 ms timer)', async () => {
  // 200/s Poisson on one client; the simulated server answers in 1 ms, so ~18 % of the arrivals
  // come while the previous one is in flight and wait for it. Every other one finds the client
  // idle and must start exactly on time, which a timer (whole milliseconds, at least 1) cannot do.
  const load: LoadModel = { kind: 'open', durationMs: 10_000, rateHz: 200, arrivals: 'poisson', maxQueue: 1000, latencyLimitMs: undefined, stages: undefined };
  const startUs = 2_000_000;
  const sim = simulate(load, { serviceUs: 1000, stallFromUs: Infinity, stallToUs: Infinity }, 1);
  const { t } = await runSim(sim, startUs, startUs + 20_000_000);
  assert.ok(t.ok > 1800 && t.ok < 2200, `about 2000 transactions: ${t.ok}`);
  assert.equal(percentileUs(t.lag, 75), 0, 'lag p75 is 0 µs');
  assert.ok(percentileUs(t.lag, 99) <= 2500, `lag p99 ${percentileUs(t.lag, 99)} µs: only the wait for arrivals just before`);
});

test('open loop, another client busy: an arrival starts within a nap (100 µs), not on a 1 ms timer', async () => {
  // 100/s Poisson on two clients, 3 ms per transaction: about a quarter of the arrivals come while
  // the other client is in flight, so the thread cannot block until them (the response would wait),
  // and a timer would start them 1-2 ms late. Only the few that find both clients busy wait longer.
  const load: LoadModel = { kind: 'open', durationMs: 20_000, rateHz: 100, arrivals: 'poisson', maxQueue: 1000, latencyLimitMs: undefined, stages: undefined };
  const startUs = 2_000_000;
  const sim = simulate(load, { serviceUs: 3000, stallFromUs: Infinity, stallToUs: Infinity }, 2);
  const { t } = await runSim(sim, startUs, startUs + 30_000_000);
  assert.ok(t.ok > 1800 && t.ok < 2200, `about 2000 transactions: ${t.ok}`);
  assert.ok(percentileUs(t.lag, 90) <= 100, `lag p90 ${percentileUs(t.lag, 90)} µs`);
});

test('open loop: transactions that end at once do not nest calls (a long run keeps a flat stack)', async () => {
  // 20,000 arrivals on one client, each finishing as it starts: a recursive pump would overflow.
  const load: LoadModel = {
    kind: 'open',
    durationMs: 2000,
    rateHz: 10_000,
    arrivals: 'uniform',
    maxQueue: 100_000,
    latencyLimitMs: undefined,
    stages: undefined,
  };
  const startUs = 2_000_000;
  const sim = simulate(load, { serviceUs: 100, stallFromUs: Infinity, stallToUs: Infinity }, 1, noStatement);
  const { done, t } = await runSim(sim, startUs, startUs + 5_000_000);
  assert.ok(done);
  assert.equal(t.arrivals, 20_000);
  assert.equal(t.ok, 20_000);
  assert.equal(percentileUs(t.lag, 100), 0, 'each starts at its due time');
});

for (const latencyLimitMs of [undefined, 50]) {
  const what = latencyLimitMs === undefined ? 'a full queue drops arrivals' : '-L skips arrivals already later than the limit';
  test(`open loop over capacity: ${what}, and the counting rule holds`, async () => {
    const load: LoadModel = { kind: 'open', durationMs: 4000, rateHz: 1000, arrivals: 'uniform', maxQueue: 100, latencyLimitMs, stages: undefined };
    const startUs = 2_000_000;
    const sim = simulate(load, { serviceUs: 4000, stallFromUs: Infinity, stallToUs: Infinity }, 2);
    const { t } = await runSim(sim, startUs, startUs + 30_000_000);
    assert.equal(t.arrivals, 4000);
    // Two clients at 4 ms each serve 500/s of the 1000/s.
    assert.ok(t.ok > 1800 && t.ok < 2200, `ok ${t.ok}`);
    if (latencyLimitMs === undefined) {
      assert.ok(t.dropped > 1500, `dropped ${t.dropped}`);
      assert.equal(t.skipped, 0);
      assert.ok(t.unfinished > 0 && t.unfinished <= 102, `the queue (100) and the two in flight are unfinished at the end: ${t.unfinished}`);
    } else {
      assert.ok(t.skipped > 1500, `skipped ${t.skipped}`);
      assert.equal(t.dropped, 0, 'skipping keeps the queue short');
      assert.ok(percentileUs(t.latency, 100) <= (latencyLimitMs + 5) * 1000, 'nothing started later than the limit');
    }
    assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  });
}

test('closed loop: -t runs exactly that many transactions per client; failures are counted, not fatal', async () => {
  const load: LoadModel = { kind: 'closed', durationMs: undefined, transactionsPerClient: 25 };
  const sim = simulate(load, { serviceUs: 500, stallFromUs: Infinity, stallToUs: Infinity, failCode: 'XX000' }, 3);
  const { done, t } = await runSim(sim, 1_000_000, 100_000_000);
  assert.ok(done);
  assert.equal(t.failed, 75);
  assert.equal(t.ok, 0);
  assert.equal(t.errors[FailureIndex.Other], 75);
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished);
});

test('a stall past the end: what never finished is counted and in the latency figures at its wait so far; thresholds see it', async () => {
  // 500/s for 4 s on 4 clients; the server stops answering at 3 s and never comes back.
  const load: LoadModel = { kind: 'open', durationMs: 4000, rateHz: 500, arrivals: 'uniform', maxQueue: 10_000, latencyLimitMs: undefined, stages: undefined };
  const startUs = 2_000_000;
  const stallFromUs = startUs + 3_000_000;
  const sim = simulate(load, { serviceUs: 1000, stallFromUs, stallToUs: Infinity }, 4);
  const { done, t } = await runSim(sim, startUs, startUs + 30_000_000);
  assert.ok(done, 'the run gave up on the stalled transactions');
  assert.equal(t.arrivals, 2000);
  assert.equal(t.ok, 1500, 'everything before the stall finished');
  assert.equal(t.unfinished, 500, 'the 4 in flight and the 496 queued at the end');
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  // Queued arrivals are given up at the end (4 s); the 4 in flight after the 5 s grace period (9 s).
  const graceMs = 5000;
  assert.equal(t.unfinishedWaitMaxUs, 4000_000 + graceMs * 1000 - 3_000_000, 'the oldest in flight waited from 3 s to 9 s');
  assert.equal(t.unfinishedWait.totalCount, 500);
  assert.ok(percentileUs(t.latency, 100) < 5000, 'the successful transactions alone hide the stall');

  const thresholds = ['p99<20ms', 'success_rate>=99.9%', 'unfinished=0', 'errors<1%', 'max>5s'].map(parseThreshold);
  const r = buildResult({
    tool: { name: 'pgsurge', version: 'test' },
    startedAt: new Date(0),
    durationS: 4,
    target: { serverVersion: null, hosts: [] },
    config: {},
    totals: t,
    intervals: [],
    thresholds,
  });
  const s = r.summary;
  assert.equal(s.unfinished, 500);
  assert.equal(s.latencyIncludesUnfinished, 500);
  assert.equal(s.unfinishedMaxWaitMs, 6000);
  assert.equal(s.successRate, 0.75);
  assert.equal(s.latencyMs.max, 6000, 'the oldest wait is the run maximum');
  // 25 % of the arrivals waited from their due time (3–4 s) to the end (4 s) or longer.
  assert.ok(s.latencyMs.p99! > 900, `p99 ${s.latencyMs.p99} ms includes the waits`);
  assert.ok(s.latencyMs.p50! < 5, `p50 ${s.latencyMs.p50} ms is still the service time`);
  assert.deepEqual(
    r.thresholds.map((x) => [x.expr, x.ok]),
    [
      ['p99<20ms', false],
      ['success_rate>=99.9%', false],
      ['unfinished=0', false],
      ['errors<1%', true],
      ['max>5s', true],
    ],
  );
  assert.equal(r.thresholds[1]!.actual, '75%');
  assert.deepEqual([r.verdict?.passed, r.verdict?.failed], [false, ['p99<20ms', 'success_rate>=99.9%', 'unfinished=0']]);
  assert.match(formatSummary(r), /latency includes 500 unfinished transactions counted at their wait so far \(the oldest waited 6000\.000 ms\)/);
  assert.match(formatSummary(r), /\nFAILED: p99<20ms \(actual [\d.]+ms\); success_rate>=99\.9% \(actual 75%\); unfinished=0 \(actual 500\)\n$/);
});

test('closed loop: transactions in flight at the stop are unfinished at their wait so far, from when their client was due', async () => {
  const load: LoadModel = { kind: 'closed', durationMs: 2000, transactionsPerClient: undefined };
  const startUs = 1_000_000;
  const sim = simulate(load, { serviceUs: 10_000, stallFromUs: startUs + 1_500_000, stallToUs: Infinity }, 3);
  const { done, t } = await runSim(sim, startUs, startUs + 30_000_000);
  assert.ok(done);
  assert.equal(t.unfinished, 3, 'one per client');
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  // Each was due at 1.5 s (its client became free then, into the stall) and given up 5 s (the grace period) after the end at 2 s, at 7 s: each had waited 5.5 s.
  assert.equal(t.unfinishedWaitMinUs, 5_500_000);
  assert.equal(t.unfinishedWaitMaxUs, 5_500_000);
});

test('transactions that finish in the grace after the last boundary are in the last interval, not only in the totals', async () => {
  // 300 ms per transaction: at the end of -T 3 s every client is in flight. The last boundary and
  // the end of the load are due at the same instant; whichever fires first, the intervals add up to
  // the totals.
  const load: LoadModel = { kind: 'closed', durationMs: 3000, transactionsPerClient: undefined };
  const startUs = 2_000_000;
  const sim = simulate(load, { serviceUs: 300_000, stallFromUs: Infinity, stallToUs: Infinity }, 4);
  const { done, t } = await runSim(sim, startUs, startUs + 20_000_000);
  assert.ok(done);
  const intervals = sim.aggregator.intervals();
  assert.equal(intervals.length, 3);
  assert.equal(
    intervals.reduce((n, i) => n + i.ok, 0),
    t.ok,
    `intervals ${intervals.map((i) => i.ok).join(' + ')} vs ${t.ok} in the totals`,
  );
  assert.ok(t.ok > 36, `the in-flight transactions finished in the grace: ${t.ok}`);
});
