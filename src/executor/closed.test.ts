import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSim, simulate, type SimTxn } from '../engine/sim.fixture.js';
import type { LoadModel } from './registry.js';

const FAST = { serviceUs: 1000, stallFromUs: Infinity, stallToUs: Infinity };

test('closed loop -T: each client starts its next transaction the moment the previous one ends', async () => {
  const load: LoadModel = { kind: 'closed', durationMs: 2000, transactionsPerClient: undefined };
  const log: SimTxn[] = [];
  const sim = simulate(load, FAST, 4, undefined, { log });
  const { done, t } = await runSim(sim, 1_000_000, 10_000_000);
  assert.ok(done);
  // 2 s of 1 ms transactions on 4 clients (the fake timers add nothing between them).
  assert.ok(t.ok >= 7990 && t.ok <= 8000, `ok ${t.ok}`);
  assert.equal(t.arrivals, t.ok + t.failed + t.skipped + t.dropped + t.unfinished, 'counting rule');
  const c0 = log.filter((x) => x.clientId === 0);
  for (let i = 1; i < c0.length; i++) assert.equal(c0[i]!.scheduledUs, c0[i - 1]!.endUs, 'scheduled when the client became free');
});

test('closed loop retarget: active clients from then on; parked clients start again when a target reaches them', async () => {
  const load: LoadModel = { kind: 'closed', durationMs: 3000, transactionsPerClient: undefined };
  const log: SimTxn[] = [];
  const sim = simulate(load, FAST, 4, undefined, { log });
  await sim.core.connectAll();
  sim.core.start(1_000_000, 0);
  sim.timers.runUntil(2_000_000);
  sim.core.adjust(1);
  sim.timers.runUntil(3_000_000);
  sim.core.adjust(3);
  sim.timers.runUntil(10_000_000);
  const between = (from: number, to: number) => new Set(log.filter((x) => x.scheduledUs >= from && x.scheduledUs < to).map((x) => x.clientId));
  assert.deepEqual([...between(1_000_000, 2_000_000)].sort(), [0, 1, 2, 3]);
  assert.deepEqual([...between(2_010_000, 3_000_000)], [0], 'one client after the retarget to 1');
  // Parked clients wake on the next sweep (every 100 ms).
  assert.deepEqual([...between(3_110_000, 4_000_000)].sort(), [0, 1, 2], 'three after the retarget to 3');
});
