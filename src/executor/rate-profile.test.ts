import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalSchedule, RateProfile } from './rate-profile.js';
import { FastRandom } from './random.js';

function arrivalsUntil(s: ArrivalSchedule, endUs: number): number[] {
  const out: number[] = [];
  for (let t = s.next(); t < endUs; t = s.next()) out.push(t);
  return out;
}

test('a constant uniform rate schedules arrivals exactly one period apart', () => {
  const s = new ArrivalSchedule(RateProfile.constant(2000), { workers: 1, worker: 0, poisson: false, random: Math.random });
  const a = arrivalsUntil(s, 1_000_000);
  assert.equal(a.length, 2000);
  assert.equal(a[0], 0);
  assert.ok(Math.abs(a[1]! - 500) < 1e-6);
  assert.ok(Math.abs(a[1999]! - 999_500) < 1e-3);
});

test('split across workers, uniform arrivals interleave and add up to the whole rate', () => {
  const all: number[] = [];
  for (let w = 0; w < 3; w++) {
    all.push(...arrivalsUntil(new ArrivalSchedule(RateProfile.constant(900), { workers: 3, worker: w, poisson: false, random: Math.random }), 1_000_000));
  }
  all.sort((x, y) => x - y);
  assert.equal(all.length, 900);
  for (let i = 1; i < all.length; i++) assert.ok(Math.abs(all[i]! - all[i - 1]! - 1e6 / 900) < 1e-3);
});

test('Poisson arrivals have the requested mean rate, split across workers too', () => {
  const rnd = new FastRandom(42);
  let total = 0;
  for (let w = 0; w < 2; w++) {
    total += arrivalsUntil(
      new ArrivalSchedule(RateProfile.constant(5000), { workers: 2, worker: w, poisson: true, random: () => rnd.next() }),
      10_000_000,
    ).length;
  }
  // 50,000 expected; a Poisson count has sd ≈ 224, so ±1.5 % is > 3 sd.
  assert.ok(Math.abs(total - 50_000) < 750, `got ${total}`);
});

test('ramping stages follow the linear rate: count per stage is the area under the ramp', () => {
  const p = RateProfile.stages(0, [
    { durationMs: 2000, target: 1000 },
    { durationMs: 1000, target: 1000 },
    { durationMs: 2000, target: 0 },
  ]);
  const a = arrivalsUntil(new ArrivalSchedule(p, { workers: 1, worker: 0, poisson: false, random: Math.random }), Infinity);
  // 0→1000 over 2 s: 1000 arrivals; 1 s at 1000: 1000; 1000→0 over 2 s: 1000.
  assert.ok(Math.abs(a.length - 3000) <= 1, `got ${a.length}`);
  const inFirst = a.filter((t) => t < 2_000_000).length;
  const inFirstHalf = a.filter((t) => t < 1_000_000).length;
  assert.ok(Math.abs(inFirst - 1000) <= 1);
  assert.ok(Math.abs(inFirstHalf - 250) <= 1, `a linear ramp puts a quarter of its arrivals in its first half, got ${inFirstHalf}`);
  assert.ok(
    a.every((t, i) => i === 0 || t >= a[i - 1]!),
    'monotonic',
  );
  assert.ok(a[a.length - 1]! <= 5_000_000);
  assert.ok(Math.abs(p.rateAt(1_000_000) - 500) < 1e-9);
});
