import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProgress } from './progress.js';
import type { ProgressStats } from './progress.js';

const base: ProgressStats = {
  tps: 1234.5,
  failed: 0,
  errors: [0, 0, 0, 0, 0, 0, 0, 0],
  skipped: 0,
  dropped: 0,
  retried: 0,
  latencyMs: { p50: 1.234, p99: 4.5, max: 12.25 },
  lagMs: { p50: 0.01, p99: 0.2, max: 1 },
};

test('closed loop: elapsed, tps, p50/p99/max, failures', () => {
  assert.equal(formatProgress(base, 5, false), 'progress: 5.0 s, 1234.5 tps, lat p50 1.234 ms p99 4.500 ms max 12.25 ms, 0 failed');
});

test('open loop adds lag; failures by class; dropped/skipped/retried only when non-zero', () => {
  const s: ProgressStats = { ...base, failed: 3, errors: [1, 0, 2, 0, 0, 0, 0, 0], dropped: 7, retried: 1 };
  assert.equal(
    formatProgress(s, 6, true),
    'progress: 6.0 s, 1234.5 tps, lat p50 1.234 ms p99 4.500 ms max 12.25 ms, 3 failed (serialization 1, connection 2), ' +
      'lag p50 0.010 ms p99 0.200 ms, 1 retried, 7 dropped',
  );
});

test('an interval without successes shows "-" latencies', () => {
  const s: ProgressStats = { ...base, tps: 0, latencyMs: { p50: null, p99: null, max: null } };
  assert.equal(formatProgress(s, 1, false), 'progress: 1.0 s, 0.0 tps, lat p50 - ms p99 - ms max - ms, 0 failed');
});

test('p95 sits between p50 and p99 when the interval has it (every run interval does)', () => {
  const s: ProgressStats = { ...base, latencyMs: { p50: 1.234, p95: 3.25, p99: 4.5, max: 12.25 } };
  assert.equal(formatProgress(s, 5, false), 'progress: 5.0 s, 1234.5 tps, lat p50 1.234 ms p95 3.250 ms p99 4.500 ms max 12.25 ms, 0 failed');
  const none: ProgressStats = { ...base, tps: 0, latencyMs: { p50: null, p95: null, p99: null, max: null } };
  assert.match(formatProgress(none, 1, false), /lat p50 - ms p95 - ms p99 - ms max - ms/);
});
