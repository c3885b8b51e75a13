import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIntervalsCsv, INTERVALS_CSV_HEADER } from './csv.js';
import { sampleResult } from './sample.fixture.js';

test('CSV: stable header, one row per interval, numbers from the result', () => {
  const csv = formatIntervalsCsv(sampleResult());
  const lines = csv.trimEnd().split('\n');
  assert.equal(lines[0], INTERVALS_CSV_HEADER);
  assert.equal(
    INTERVALS_CSV_HEADER,
    't_s,duration_s,transactions,tps,latency_mean_ms,latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms,' +
      'lag_p50_ms,lag_p99_ms,lag_max_ms,failed,retried,skipped,dropped,errors_serialization,errors_deadlock,' +
      'errors_connection,errors_timeout,errors_read_only,errors_capacity,errors_constraint,errors_other,latency_p95_ms',
  );
  assert.equal(lines.length, 4);
  const header = lines[0]!.split(',');
  const row = (n: number): Record<string, string> => Object.fromEntries(lines[n]!.split(',').map((v, i) => [header[i], v]));
  const last = row(3);
  assert.equal(last['t_s'], '2');
  assert.equal(last['duration_s'], '0.5');
  assert.equal(last['transactions'], '100');
  assert.equal(last['tps'], '200');
  assert.equal(last['latency_max_ms'], '10');
  assert.equal(last['latency_p95_ms'], String(sampleResult().intervals[2]!.latencyMs.p95));
  assert.equal(last['errors_serialization'], '2');
  assert.equal(last['errors_deadlock'], '0');
  assert.equal(last['dropped'], '1');
  for (const l of lines) assert.equal(l.split(',').length, header.length);
});

test('CSV: an interval without successes has empty latency cells, not zeros', () => {
  const r = sampleResult();
  const empty = { ...r.intervals[0]!, transactions: 0, tps: 0, latencyMs: { mean: null, p50: null, p90: null, p99: null, max: null } };
  const csv = formatIntervalsCsv({ ...r, intervals: [empty] });
  assert.match(csv.split('\n')[1]!, /^0,1,0,0,,,,,,/);
});
