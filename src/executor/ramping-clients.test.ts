import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSim, simulate, type SimTxn } from '../engine/sim.fixture.js';
import type { LoadModel } from './registry.js';
import { rampValue } from './ramping-clients.js';

const FAST = { serviceUs: 1000, stallFromUs: Infinity, stallToUs: Infinity };

test('the ramp moves linearly within a stage, from the previous target', () => {
  const stages = [
    { durationMs: 2000, target: 4 },
    { durationMs: 1000, target: 4 },
    { durationMs: 1000, target: 0 },
  ];
  assert.deepEqual(
    [0, 500, 1000, 2000, 2500, 3500, 4000, 9000].map((t) => rampValue(stages, t)),
    [0, 1, 2, 4, 4, 2, 0, 0],
  );
});

test('ramping clients: client i starts once the ramp passes i, and parks when it comes down', async () => {
  const stages = [
    { durationMs: 2000, target: 4 },
    { durationMs: 1000, target: 4 },
    { durationMs: 1000, target: 0 },
  ];
  const load: LoadModel = { kind: 'ramping-clients', durationMs: 4000, stages };
  const log: SimTxn[] = [];
  const startUs = 1_000_000;
  const sim = simulate(load, FAST, 4, undefined, { log });
  const { done, t } = await runSim(sim, startUs, 20_000_000);
  assert.ok(done);
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  for (let id = 0; id < 4; id++) {
    const mine = log.filter((x) => x.clientId === id);
    const firstMs = (mine[0]!.scheduledUs - startUs) / 1000;
    const lastMs = (mine[mine.length - 1]!.scheduledUs - startUs) / 1000;
    // Client id runs while round(ramp) > id: up from 2000·(id + 0.5)/4 ms (plus a sweep), down after 3000 + 1000·(3.5 − id)/4.
    const upMs = (2000 * (id + 0.5)) / 4;
    const downMs = 3000 + (1000 * (3.5 - id)) / 4;
    assert.ok(firstMs >= upMs - 1 && firstMs <= upMs + 110, `client ${id} first at ${firstMs} ms, expected ~${upMs}`);
    assert.ok(lastMs <= downMs + 1 && lastMs >= downMs - 5, `client ${id} last at ${lastMs} ms, expected ~${downMs}`);
  }
});

test('ramping clients retarget: the rest of the ramp is replaced by the target', async () => {
  const load: LoadModel = { kind: 'ramping-clients', durationMs: 4000, stages: [{ durationMs: 4000, target: 4 }] };
  const log: SimTxn[] = [];
  const sim = simulate(load, FAST, 4, undefined, { log });
  await sim.core.connectAll();
  sim.core.start(1_000_000, 0);
  sim.timers.runUntil(1_500_000);
  sim.core.adjust(3);
  sim.timers.runUntil(20_000_000);
  const late = new Set(log.filter((x) => x.scheduledUs >= 1_700_000).map((x) => x.clientId));
  assert.deepEqual([...late].sort(), [0, 1, 2], 'three clients from the retarget on, never the fourth');
});
