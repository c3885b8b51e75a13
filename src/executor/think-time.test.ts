import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSim, simulate, type SimTxn } from '../engine/sim.fixture.js';
import { percentileUs } from '../metrics/histogram.js';
import type { LoadModel } from './registry.js';

const SERVICE_US = 10_000;
const SERVER = { serviceUs: SERVICE_US, stallFromUs: Infinity, stallToUs: Infinity };

test('think time: each client waits the think time after a transaction; the next is due at end + think', async () => {
  const load: LoadModel = { kind: 'think-time', durationMs: 2000, transactionsPerClient: undefined, thinkMs: 100, dist: 'fixed' };
  const log: SimTxn[] = [];
  const startUs = 1_000_000;
  const { done, t } = await runSim(simulate(load, SERVER, 4, undefined, { log }), startUs, 20_000_000);
  assert.ok(done);
  // Per client about duration / (think + service) = 2000 / 110 ≈ 18.2.
  assert.ok(t.ok >= 4 * 18 && t.ok <= 4 * 19, `ok ${t.ok}`);
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  for (let id = 0; id < 4; id++) {
    const mine = log.filter((x) => x.clientId === id);
    assert.equal(mine[0]!.scheduledUs, startUs, 'the first transaction is due at the start');
    for (let i = 1; i < mine.length; i++) assert.equal(mine[i]!.scheduledUs, mine[i - 1]!.endUs + 100_000, 'due at the previous end + think time');
  }
  // The simulated timers fire on whole milliseconds: lag shows any lateness, latency counts it.
  assert.ok(percentileUs(t.latency, 0) >= SERVICE_US);
  assert.ok(percentileUs(t.lag, 100) < 1000, `lag max ${percentileUs(t.lag, 100)} µs`);
});

test('think time: a slow server is not hidden (latency from the due time)', async () => {
  const load: LoadModel = { kind: 'think-time', durationMs: 6000, transactionsPerClient: undefined, thinkMs: 100, dist: 'fixed' };
  const startUs = 1_000_000;
  const stalled = { serviceUs: SERVICE_US, stallFromUs: startUs + 2_000_000, stallToUs: startUs + 4_000_000 };
  const { t } = await runSim(simulate(load, stalled, 4), startUs, 30_000_000);
  assert.ok(percentileUs(t.latency, 100) >= 1_900_000, `a 2 s stall shows in latency: max ${percentileUs(t.latency, 100)} µs`);
});

test('think time, exponential: the mean wait is the think time', async () => {
  const load: LoadModel = { kind: 'think-time', durationMs: 20_000, transactionsPerClient: undefined, thinkMs: 50, dist: 'exponential' };
  const log: SimTxn[] = [];
  await runSim(simulate(load, SERVER, 4, undefined, { log }), 1_000_000, 60_000_000);
  const waits: number[] = [];
  for (let id = 0; id < 4; id++) {
    const mine = log.filter((x) => x.clientId === id);
    for (let i = 1; i < mine.length; i++) waits.push(mine[i]!.scheduledUs - mine[i - 1]!.endUs);
  }
  const meanMs = waits.reduce((a, b) => a + b, 0) / waits.length / 1000;
  // About 1300 waits of mean 50 ms: the sample mean's sd is ~1.4 ms.
  assert.ok(Math.abs(meanMs - 50) < 5, `mean wait ${meanMs.toFixed(1)} ms`);
  assert.ok(new Set(waits).size > waits.length / 2, 'the waits vary');
});

test('think time with -t: exactly that many transactions per client, then the run ends', async () => {
  const load: LoadModel = { kind: 'think-time', durationMs: undefined, transactionsPerClient: 5, thinkMs: 20, dist: 'fixed' };
  const log: SimTxn[] = [];
  const { done, t } = await runSim(simulate(load, SERVER, 3, undefined, { log }), 1_000_000, 20_000_000);
  assert.ok(done);
  assert.equal(t.ok, 15);
  for (let id = 0; id < 3; id++) assert.equal(log.filter((x) => x.clientId === id).length, 5);
});

test('think time retarget: active clients from then on', async () => {
  const load: LoadModel = { kind: 'think-time', durationMs: 3000, transactionsPerClient: undefined, thinkMs: 10, dist: 'fixed' };
  const log: SimTxn[] = [];
  const sim = simulate(load, SERVER, 4, undefined, { log });
  await sim.core.connectAll();
  sim.core.start(1_000_000, 0);
  sim.timers.runUntil(2_000_000);
  sim.core.adjust(2);
  sim.timers.runUntil(20_000_000);
  const late = new Set(log.filter((x) => x.scheduledUs >= 2_100_000).map((x) => x.clientId));
  assert.deepEqual([...late].sort(), [0, 1]);
});
