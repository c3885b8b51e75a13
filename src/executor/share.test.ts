/**
 * Shares of a run (part K of N): the parts' schedules together are the whole run's. Proven on the
 * simulated worker (src/engine/sim.fixture.ts): every part runs as its own workers, and what they
 * scheduled is compared with one worker running the whole load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSim, simulate, type SimTxn } from '../engine/sim.fixture.js';
import type { LoadModel } from './registry.js';
import { rampValue } from './ramping-clients.js';
import { clientIdsOf, shareOf, type RunShare } from './share.js';

const FAST = { serviceUs: 100, stallFromUs: Infinity, stallToUs: Infinity };

/** The due times of every transaction of `load` run by `workers` workers of `clientIds`. */
async function scheduled(load: LoadModel, clientIds: readonly number[], workers: number, seed: number): Promise<number[]> {
  const log: SimTxn[] = [];
  for (let w = 0; w < workers; w++) {
    const mine = clientIds.filter((_, i) => i % workers === w);
    await runSim(simulate(load, FAST, mine.length, undefined, { clientIds: mine, worker: w, workers, seed, log }), 1_000_000, 30_000_000);
  }
  return log.map((x) => x.scheduledUs).sort((a, b) => a - b);
}

test('clients split as evenly as possible, ids disjoint and covering, seeds distinct and reproducible', () => {
  const load: LoadModel = { kind: 'closed', durationMs: 1000, transactionsPerClient: undefined };
  for (const n of [1, 2, 3, 7]) {
    const parts: RunShare[] = Array.from({ length: n }, (_, i): RunShare => shareOf({ clients: 10, clientIdBase: 5, seed: 42, load }, { k: i + 1, n }));
    assert.deepEqual(
      parts.map((p) => p.clients),
      Array.from({ length: n }, (_, i) => Math.floor(10 / n) + (i < 10 % n ? 1 : 0)),
    );
    const ids = parts.flatMap((p) => clientIdsOf(p)).sort((a, b) => a - b);
    assert.deepEqual(
      ids,
      Array.from({ length: 10 }, (_, i) => 5 + i),
      `N=${n}: every id once`,
    );
    assert.equal(new Set(parts.map((p) => p.seed)).size, n, 'distinct seeds');
    assert.deepEqual(
      parts,
      Array.from({ length: n }, (_, i): RunShare => shareOf({ clients: 10, clientIdBase: 5, seed: 42, load }, { k: i + 1, n })),
      'reproducible',
    );
  }
  assert.equal(shareOf({ clients: 3, clientIdBase: 0, seed: 42, load }, { k: 1, n: 1 }).seed, 42, 'one part is the whole run');
  assert.throws(() => shareOf({ clients: 3, clientIdBase: 0, seed: 1, load }, { k: 3, n: 2 }), /shard 3\/2/);
});

test('uniform arrivals: the parts interleave, and together have exactly the whole schedule', async () => {
  const load: LoadModel = { kind: 'open', durationMs: 1000, rateHz: 900, arrivals: 'uniform', maxQueue: 1000, latencyLimitMs: undefined, stages: undefined };
  const whole = await scheduled(load, [0, 1, 2, 3, 4, 5], 1, 7);
  const parts: number[] = [];
  for (let k = 1; k <= 3; k++) {
    const s = shareOf({ clients: 6, clientIdBase: 0, seed: 7, load }, { k, n: 3 });
    // Each part has two worker threads of its own: the split composes with the worker split.
    parts.push(...(await scheduled(s.load, clientIdsOf(s), 2, s.seed)));
  }
  parts.sort((a, b) => a - b);
  assert.equal(whole.length, 900);
  assert.equal(parts.length, whole.length);
  parts.forEach((t, i) => assert.ok(Math.abs(t - whole[i]!) < 1e-6, `arrival ${i}: ${t} against ${whole[i]}`));
});

test('uniform rate stages split the same way: the parts add up to the whole ramp', async () => {
  const load: LoadModel = {
    kind: 'open',
    durationMs: 2000,
    rateHz: 0,
    arrivals: 'uniform',
    maxQueue: 1000,
    latencyLimitMs: undefined,
    stages: [{ durationMs: 2000, target: 1000 }],
  };
  const whole = await scheduled(load, [0, 1, 2, 3], 1, 3);
  const parts: number[] = [];
  for (let k = 1; k <= 2; k++) {
    const s = shareOf({ clients: 4, clientIdBase: 0, seed: 3, load }, { k, n: 2 });
    parts.push(...(await scheduled(s.load, clientIdsOf(s), 1, s.seed)));
  }
  parts.sort((a, b) => a - b);
  assert.equal(parts.length, whole.length);
  parts.forEach((t, i) => assert.ok(Math.abs(t - whole[i]!) < 1e-6, `arrival ${i}`));
});

test('Poisson arrivals: independent parts at 1/N of the rate; rates and stage targets sum to the whole', async () => {
  const load: LoadModel = {
    kind: 'open',
    durationMs: 10_000,
    rateHz: 600,
    arrivals: 'poisson',
    maxQueue: 9000,
    latencyLimitMs: undefined,
    stages: [{ durationMs: 10_000, target: 600 }],
  };
  const parts = [1, 2, 3].map((k) => shareOf({ clients: 9, clientIdBase: 0, seed: 11, load }, { k, n: 3 }));
  const rates = parts.map((p) => (p.load.kind === 'open' ? p.load.rateHz : NaN));
  const targets = parts.map((p) => (p.load.kind === 'open' ? (p.load.stages?.[0]?.target ?? NaN) : NaN));
  assert.ok(Math.abs(rates.reduce((a, b) => a + b, 0) - 600) < 1e-9);
  assert.ok(Math.abs(targets.reduce((a, b) => a + b, 0) - 600) < 1e-9);
  let count = 0;
  const starts: number[] = [];
  for (const p of parts) {
    const mine = await scheduled(p.load, clientIdsOf(p), 1, p.seed);
    count += mine.length;
    starts.push(mine[0]!);
  }
  // 6000 expected; a Poisson count has sd ≈ 77, so ±300 is ~4 sd.
  assert.ok(Math.abs(count - 6000) < 300, `the parts together: ${count}`);
  assert.equal(new Set(starts).size, 3, 'independent streams (their own seeds)');
});

test("ramping clients: with every N-th id per part, the parts' active clients add up to the ramp", () => {
  const stages = [
    { durationMs: 1000, target: 10 },
    { durationMs: 1000, target: 3 },
  ];
  const load: LoadModel = { kind: 'ramping-clients', durationMs: 2000, stages };
  for (const n of [2, 3, 4]) {
    const parts: RunShare[] = Array.from({ length: n }, (_, i): RunShare => shareOf({ clients: 10, clientIdBase: 0, seed: 1, load }, { k: i + 1, n }));
    for (let tMs = 0; tMs <= 2000; tMs += 50) {
      const active = parts.reduce(
        (sum: number, p: RunShare) => sum + clientIdsOf(p).filter((id) => id < rampValue(p.load.kind === 'ramping-clients' ? p.load.stages : [], tMs)).length,
        0,
      );
      assert.equal(active, Math.min(10, rampValue(stages, tMs)), `N=${n}, t=${tMs} ms`);
    }
  }
});
