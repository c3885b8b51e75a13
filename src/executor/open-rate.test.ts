import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSim, simulate, type SimTxn } from '../engine/sim.fixture.js';
import type { LoadModel } from './registry.js';

const FAST = { serviceUs: 200, stallFromUs: Infinity, stallToUs: Infinity };

test('open loop, rate stages: arrivals follow the ramp (count per stage is the area under it)', async () => {
  const load: LoadModel = {
    kind: 'open',
    durationMs: 3000,
    rateHz: 0,
    arrivals: 'uniform',
    maxQueue: 1000,
    latencyLimitMs: undefined,
    stages: [
      { durationMs: 2000, target: 1000 },
      { durationMs: 1000, target: 1000 },
    ],
  };
  const log: SimTxn[] = [];
  const startUs = 1_000_000;
  const { t } = await runSim(simulate(load, FAST, 4, undefined, { log }), startUs, 10_000_000);
  // 0→1000/s over 2 s: 1000 arrivals; then 1 s at 1000/s: 1000.
  assert.ok(Math.abs(t.arrivals - 2000) <= 1, `arrivals ${t.arrivals}`);
  const firstSecond = log.filter((x) => x.scheduledUs < startUs + 1_000_000).length;
  assert.ok(Math.abs(firstSecond - 250) <= 1, `a linear ramp puts a quarter of its first stage in its first half: ${firstSecond}`);
});

test('open loop retarget: the rate from then on, the schedule going on without a jump', async () => {
  const load: LoadModel = { kind: 'open', durationMs: 4000, rateHz: 500, arrivals: 'uniform', maxQueue: 1000, latencyLimitMs: undefined, stages: undefined };
  const log: SimTxn[] = [];
  const startUs = 1_000_000;
  const sim = simulate(load, FAST, 4, undefined, { log });
  await sim.core.connectAll();
  sim.core.start(startUs, 0);
  sim.timers.runUntil(startUs + 2_000_000);
  sim.core.adjust(1000);
  sim.timers.runUntil(20_000_000);
  sim.aggregator.finish();
  const t = sim.aggregator.totals();
  // 2 s at 500/s, 2 s at 1000/s.
  assert.ok(Math.abs(t.arrivals - 3000) <= 2, `arrivals ${t.arrivals}`);
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  const due = log.map((x) => x.scheduledUs).sort((a, b) => a - b);
  const gaps = due.slice(1).map((d, i) => d - due[i]!);
  // Periods of 2 ms, then 1 ms: never a burst (gap 0) nor a hole at the change.
  assert.ok(
    gaps.every((g) => g >= 999 && g <= 2001),
    `gaps ${Math.min(...gaps)}..${Math.max(...gaps)} µs`,
  );
  const after = due.filter((d) => d >= startUs + 2_000_000 && d < startUs + 3_000_000).length;
  assert.ok(Math.abs(after - 1000) <= 2, `the second after the retarget: ${after}`);
});

test('open loop retarget to 0 stops the arrivals until a later target', async () => {
  const load: LoadModel = { kind: 'open', durationMs: 3000, rateHz: 1000, arrivals: 'poisson', maxQueue: 1000, latencyLimitMs: undefined, stages: undefined };
  const log: SimTxn[] = [];
  const startUs = 1_000_000;
  const sim = simulate(load, FAST, 4, undefined, { log });
  await sim.core.connectAll();
  sim.core.start(startUs, 0);
  sim.timers.runUntil(startUs + 1_000_000);
  sim.core.adjust(0);
  sim.timers.runUntil(startUs + 2_000_000);
  sim.core.adjust(1000);
  sim.timers.runUntil(20_000_000);
  const middle = log.filter((x) => x.scheduledUs > startUs + 1_010_000 && x.scheduledUs < startUs + 2_000_000).length;
  const last = log.filter((x) => x.scheduledUs >= startUs + 2_000_000).length;
  assert.equal(middle, 0);
  assert.ok(last > 850 && last < 1150, `about 1000 in the last second: ${last}`);
});
