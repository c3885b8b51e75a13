import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgsurgeError } from '../errors.js';
import { evaluateThresholds, parseThreshold } from './thresholds.js';
import type { ThresholdSubject } from './thresholds.js';

const summary: ThresholdSubject = {
  transactions: 9900,
  failed: 100,
  dropped: 0,
  skipped: 3,
  unfinished: 0,
  arrivals: 10_003,
  tps: 8123.45,
  latencyMs: { min: 0.2, mean: 3.1, p50: 2.5, p90: 12, p95: 27.113, p99: 55, p999: 80, max: 120 },
  lagMs: { p50: 0.1, p99: 4.2, max: 9 },
};

test('the documented examples parse', () => {
  assert.deepEqual(parseThreshold('p95<30ms'), { kind: 'summary', expr: 'p95<30ms', metric: 'p95', op: '<', value: 30, percent: false });
  assert.deepEqual(parseThreshold('tps>=8000'), { kind: 'summary', expr: 'tps>=8000', metric: 'tps', op: '>=', value: 8000, percent: false });
  assert.deepEqual(parseThreshold('errors<1%'), { kind: 'summary', expr: 'errors<1%', metric: 'errors', op: '<', value: 1, percent: true });
  assert.deepEqual(parseThreshold('dropped=0'), { kind: 'summary', expr: 'dropped=0', metric: 'dropped', op: '==', value: 0, percent: false });
  assert.deepEqual(parseThreshold('lag.p99<5ms'), { kind: 'summary', expr: 'lag.p99<5ms', metric: 'lag.p99', op: '<', value: 5, percent: false });
  // units: us, ms (default), s
  assert.equal(parseThreshold('p99 < 1500us').value, 1.5);
  assert.equal(parseThreshold('max<=2s').value, 2000);
  assert.equal(parseThreshold('P50<3').value, 3);
});

test('bad expressions are usage errors (exit 2) naming the expression', () => {
  for (const bad of ['p95', 'p95<', 'p96<30ms', 'tps>=8000ms', 'p95<30%', 'dropped<1%', 'p95 ~ 3', '', 'lag.p98<1ms', 'p95<abc']) {
    assert.throws(
      () => parseThreshold(bad),
      (e: unknown) => e instanceof PgsurgeError && e.exitCode === 2 && e.message.includes(`"${bad}"`),
      bad,
    );
  }
});

test('evaluation: ok and the actual value with its unit', () => {
  const exprs = ['p95<30ms', 'p99<50ms', 'tps>=8000', 'errors<1%', 'errors<=100', 'lag.p99<5ms', 'dropped=0', 'skipped==0', 'mean>3100us'];
  const out = evaluateThresholds(exprs.map(parseThreshold), summary);
  assert.deepEqual(out, [
    { expr: 'p95<30ms', ok: true, actual: '27.113ms' },
    { expr: 'p99<50ms', ok: false, actual: '55ms' },
    { expr: 'tps>=8000', ok: true, actual: '8123.5' },
    { expr: 'errors<1%', ok: false, actual: '1%' },
    { expr: 'errors<=100', ok: true, actual: '100' },
    { expr: 'lag.p99<5ms', ok: true, actual: '4.2ms' },
    { expr: 'dropped=0', ok: true, actual: '0' },
    { expr: 'skipped==0', ok: false, actual: '3' },
    { expr: 'mean>3100us', ok: false, actual: '3.1ms' },
  ]);
});

test('a latency threshold with nothing measured fails with actual n/a', () => {
  const empty: ThresholdSubject = {
    ...summary,
    transactions: 0,
    latencyMs: { min: null, mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null },
  };
  assert.deepEqual(evaluateThresholds([parseThreshold('p95<30ms')], empty), [{ expr: 'p95<30ms', ok: false, actual: 'n/a' }]);
});

test('success_rate: a percentage or a ratio, stored as a percentage; nonsense is a usage error', () => {
  assert.deepEqual(parseThreshold('success_rate>=99.9%'), {
    kind: 'summary',
    expr: 'success_rate>=99.9%',
    metric: 'success_rate',
    op: '>=',
    value: 99.9,
    percent: true,
  });
  assert.equal(parseThreshold('success_rate >= 0.999').value, 99.9);
  assert.equal(parseThreshold('SUCCESS_RATE>99%').op, '>');
  assert.deepEqual(parseThreshold('unfinished=0'), { kind: 'summary', expr: 'unfinished=0', metric: 'unfinished', op: '==', value: 0, percent: false });
  const cases: [string, RegExp][] = [
    ['success_rate>=99.9', /ratio from 0 to 1: did you mean 99\.9%\?/],
    ['success_rate>=101%', /at most 100%/],
    ['success_rate>=99ms', /a percentage \(99\.9%\) or a ratio \(0\.999\)/],
    ['unfinished<1%', /only errors, errors.CLASS and success_rate take %/],
    ['unfinished<2s', /unfinished takes no time unit/],
    ['success-rate>=99%', /does not read as METRIC OP VALUE/],
    ['successrate>=99%', /unknown metric "successrate"/],
  ];
  for (const [bad, why] of cases) {
    assert.throws(
      () => parseThreshold(bad),
      (e: unknown) => e instanceof PgsurgeError && e.exitCode === 2 && e.message.includes(`"${bad}"`) && why.test(e.message),
      bad,
    );
  }
});

test('what each metric counts: errors are failed transactions only; success_rate fails on drops, skips, failures and unfinished', () => {
  // 10,000 arrivals: 9,000 ok, 10 failed, 300 skipped, 560 dropped, 130 unfinished.
  const s: ThresholdSubject = { ...summary, transactions: 9000, failed: 10, skipped: 300, dropped: 560, unfinished: 130, arrivals: 10_000 };
  const out = evaluateThresholds(
    ['errors<1%', 'errors<=10', 'success_rate>=99%', 'success_rate>0.89', 'unfinished<=130', 'unfinished<100'].map(parseThreshold),
    s,
  );
  assert.deepEqual(out, [
    { expr: 'errors<1%', ok: true, actual: '0.111%' },
    { expr: 'errors<=10', ok: true, actual: '10' },
    { expr: 'success_rate>=99%', ok: false, actual: '90%' },
    { expr: 'success_rate>0.89', ok: true, actual: '90%' },
    { expr: 'unfinished<=130', ok: true, actual: '130' },
    { expr: 'unfinished<100', ok: false, actual: '130' },
  ]);
  // Nothing arrived: no rate to judge, so the threshold fails.
  assert.deepEqual(evaluateThresholds([parseThreshold('success_rate>=99%')], { ...s, transactions: 0, arrivals: 0 }), [
    { expr: 'success_rate>=99%', ok: false, actual: 'n/a' },
  ]);
});
