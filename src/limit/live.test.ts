import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunControl } from '../engine/run.js';
import type { IntervalStats } from '../metrics/aggregator.js';
import { parseThreshold } from '../metrics/thresholds.js';
import { failedSample } from '../observe/host-sample.js';
import type { ServerSample } from '../report/server-schema.js';
import { createLimitRun } from './live.js';

/** A closed-loop interval: `ok` transactions in 1 s, p99 10 ms. */
function interval(index: number, ok: number): IntervalStats {
  const latencyMs = { mean: 5, p50: 5, p90: 8, p95: 9, p99: 10, max: 12 };
  const none = { errors: [], retried: 0, retries: 0, skipped: 0, dropped: 0, unfinished: 0, failed: 0, reports: 1, missingWorkers: 0 };
  return { ...none, index, tS: index, durationMs: 1000, arrivals: ok, ok, tps: ok, latencyMs, lagMs: { p50: 0, p99: 0, max: 0 }, types: [] };
}

/** The server's sample of interval `k`: its machine's CPU at `cpuPct`. */
function sample(k: number, cpuPct: number | null): ServerSample {
  const machine = {
    source: 'proc',
    cpuPct,
    memoryTotalBytes: 100,
    memoryAvailableBytes: 50,
    diskReadBytesPerS: 0,
    diskWriteBytesPerS: 0,
    netReceiveBytesPerS: 0,
    netTransmitBytesPerS: 0,
  };
  return {
    tS: k,
    durationS: 1,
    hosts: [{ ...failedSample('db:5432', ''), ok: true, machine }],
    client: { cpuPct: 10, memoryBytes: 1, processes: 1, cores: 2 },
  };
}

/** Clients → server CPU: 20 % a client; throughput grows with the clients, so only the threshold can break a step. */
function drive(order: 'sample-first' | 'interval-first' | 'no-sample'): { targets: number[]; steps: ReturnType<ReturnType<typeof createLimitRun>['section']> } {
  const control = new RunControl();
  const targets: number[] = [];
  control.attach((t) => targets.push(t));
  const run = createLimitRun(
    { openLoop: false, start: 1, max: 8, stepMs: 3000, intervalMs: 1000, clients: 8, thresholds: [parseThreshold('max(server.cpu)<50%')] },
    control,
  );
  const out = run.output;
  out.start?.(0);
  let clients = 1;
  const samples: ServerSample[] = [];
  for (let k = 0; k < 30 && targets.at(-1) !== -1; k++) {
    const s = sample(k, order === 'no-sample' ? null : clients * 20);
    const i = interval(k, clients * 100);
    const before = targets.length;
    if (order === 'sample-first') {
      out.server?.(s);
      out.interval?.(i);
    } else {
      out.interval?.(i);
      out.server?.(s);
    }
    samples.push(s);
    if (targets.length > before) clients = targets.at(-1)!;
  }
  void out.stop?.({ intervals: [] });
  return { targets, steps: run.section(samples) };
}

test('a server threshold judges each step as it ends, whether the sample comes before or after the interval', () => {
  for (const order of ['sample-first', 'interval-first'] as const) {
    const { steps } = drive(order);
    // 1 client: 20 % held; 2: 40 % held; 4: 80 % broke; bisect to 3: 60 % broke.
    assert.deepEqual(
      steps.steps.map((s) => [s.target, s.held]),
      [
        [1, true],
        [2, true],
        [4, false],
        [3, false],
      ],
      order,
    );
    assert.equal(steps.outcome, 'found', order);
    assert.match(steps.broke?.broke ?? '', /^max\(server\.cpu\)<50% \(actual 60% on db:5432 at \d+s\)$/, order);
    assert.equal(steps.held?.target, 2, order);
  }
});

test('a server figure a step has no sample of does not break it', () => {
  const { steps } = drive('no-sample');
  assert.ok(
    steps.steps.every((s) => s.held),
    JSON.stringify(steps.steps.map((s) => s.broke)),
  );
  assert.equal(steps.outcome, 'no-break');
});
