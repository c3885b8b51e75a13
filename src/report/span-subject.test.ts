import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spanSubject, type SpanInterval } from './span-subject.js';
import { evaluateThresholds, parseThreshold } from '../metrics/thresholds.js';
import { judgeResult } from './result.js';
import { fullSampleResult } from './sample.fixture.js';
import type { ServerSample } from './server-schema.js';

const interval = (tS: number, transactions: number, p99: number, mean: number, extra: Partial<SpanInterval> = {}): SpanInterval => ({
  tS,
  durationS: 1,
  transactions,
  failed: 0,
  errors: {},
  skipped: 0,
  dropped: 0,
  latencyMs: { mean, p50: mean, p90: p99, p95: p99, p99, max: p99 * 2 },
  lagMs: { p50: null, p99: null, max: null },
  ...extra,
});

test('a span: counts summed, tps over its seconds, percentiles the highest interval, mean weighted, min and p999 n/a', () => {
  const s = spanSubject([interval(1, 100, 5, 2), interval(2, 300, 9, 4, { failed: 2, errors: { timeout: 2 }, dropped: 1 }), interval(3, 200, 7, 3)]);
  assert.equal(s.transactions, 600);
  assert.equal(s.failed, 2);
  assert.equal(s.arrivals, 603);
  assert.equal(s.tps, 200);
  assert.equal(s.latencyMs.p99, 9);
  assert.equal(s.latencyMs.max, 18);
  assert.equal(s.latencyMs.mean, (100 * 2 + 300 * 4 + 200 * 3) / 600);
  assert.equal(s.latencyMs.min, null);
  assert.equal(s.errors?.timeout, 2);
  const judged = evaluateThresholds(['p99<10ms', 'p99<8ms', 'errors.timeout==0', 'p999<1s', 'tps>=200'].map(parseThreshold), s);
  assert.deepEqual(
    judged.map((r) => `${r.expr} ${r.ok} ${r.actual}`),
    ['p99<10ms true 9ms', 'p99<8ms false 9ms', 'errors.timeout==0 false 2', 'p999<1s false n/a', 'tps>=200 true 200'],
  );
});

test('a --find-limit result is judged on the step that held: its judged intervals and their server samples', () => {
  const base = fullSampleResult();
  const n = 5;
  const one = base.intervals[0]!;
  // The last interval "broke": a p99 far past the others; the step that held is intervals 0..n-2 (0 is its warm-up).
  const intervals = Array.from({ length: n }, (_, k) => ({
    ...one,
    tS: k,
    latencyMs: { ...one.latencyMs, p99: k === n - 1 ? 10_000 : 3 + k, max: k === n - 1 ? 10_000 : 3 + k },
  }));
  const step = (first: number, last: number, held: boolean) => ({
    target: 100,
    achievedTps: 1,
    p99Ms: 1,
    failed: 0,
    dropped: 0,
    arrivals: 1,
    firstInterval: first,
    lastInterval: last,
    held,
  });
  const heldP99 = Math.max(...intervals.slice(1, n - 1).map((i) => i.latencyMs.p99 ?? 0));
  const server: ServerSample[] = intervals.map((i, k) => ({
    ...base.server[0]!,
    tS: i.tS,
    client: { ...base.server[0]!.client, cpuPct: k === n - 1 ? 99 : 20 },
  }));
  const result = {
    ...base,
    intervals,
    server,
    limit: {
      kind: 'rate' as const,
      outcome: 'found' as const,
      stepS: 1,
      steps: [step(0, n - 2, true), step(n - 1, n - 1, false)],
      held: step(0, n - 2, true),
      broke: step(n - 1, n - 1, false),
      line: 'limit: …',
    },
  };
  const thresholds = [`p99<${heldP99 + 1}ms`, 'max(connections)<1000'].map(parseThreshold);
  const judged = judgeResult(result, thresholds);
  assert.equal(judged.thresholds[0]!.ok, true, `${judged.thresholds[0]!.actual}: the broken step is not in it`);
  assert.equal(judged.thresholds[0]!.actual, `${heldP99}ms`);
  assert.match(judged.thresholds[1]!.actual, / at [123]s$/, 'the server figure is from the held step (intervals 1-3)');
  assert.equal(judged.verdict?.passed, true);
  // The same result without its limit section: the whole run, broken step included.
  const whole = { ...result, limit: undefined, summary: { ...result.summary, latencyMs: { ...result.summary.latencyMs, p99: 10_000 } } };
  assert.equal(judgeResult(whole, thresholds).thresholds[0]!.ok, false);
});
