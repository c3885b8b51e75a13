/**
 * The text summary (summary.ts) from a result: the lines a reader relies on and when they appear.
 * result.test.ts checks the key lines of the sample result; src/observe/summary-sections.test.ts the
 * server and findings sections; test/golden.test.ts the whole text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtMs, fmtNum, fmtPct, formatSummary } from './summary.js';
import { sampleResult } from './sample.fixture.js';
import type { ResultV1, TxnSummary } from './result.js';

type Summary = ResultV1['summary'];
const withSummary = (r: ResultV1, patch: Partial<Summary>): ResultV1 => ({ ...r, summary: { ...r.summary, ...patch } });
const noLag = { mean: 0, p50: 0, p99: 0, max: 0 };
/** The sample with no schedule lag anywhere (a closed-loop run). */
function closedLoop(): ResultV1 {
  const r = sampleResult();
  const types = Object.fromEntries(Object.entries(r.transactionTypes).map(([k, t]) => [k, { ...t, lagMs: noLag }]));
  return { ...withSummary(r, { lagMs: noLag }), transactionTypes: types };
}
/** The sample with only its first transaction type. */
function singleType(r: ResultV1 = sampleResult()): ResultV1 {
  const [name, t] = Object.entries(r.transactionTypes)[0]!;
  return { ...r, transactionTypes: { [name]: t } };
}
const lines = (text: string): string[] => text.split('\n');

test('number formats: grouped digits, fixed decimals, "-" for nothing measured, percent of zero', () => {
  assert.equal(fmtNum(1234567.85, 1), '1,234,567.9');
  assert.equal(fmtNum(999), '999');
  assert.equal(fmtNum(-12345.5, 2), '-12,345.50');
  assert.equal(fmtNum(0, 1), '0.0');
  assert.equal(fmtMs(null), '-');
  assert.equal(fmtMs(1.23456), '1.235');
  assert.equal(fmtMs(0), '0.000');
  assert.equal(fmtPct(1, 3), '33.333%');
  assert.equal(fmtPct(0, 0), '0%');
  assert.equal(fmtPct(5, 5), '100%');
});

test('header: tool, start, target with the server version, measured duration', () => {
  const r = sampleResult();
  assert.deepEqual(lines(formatSummary(r)).slice(0, 4), [
    'pgsurge 0.1.0 — started 2025-01-02T03:04:05.000Z',
    'target:         127.0.0.1:5432 (PostgreSQL 17.2)',
    'duration:       2.5 s measured',
    'transactions:   500 ok, 200.0 tps mean, 200.0 tps peak (best 1 s interval, at 0.0 s)',
  ]);
  const several = formatSummary({ ...r, target: { serverVersion: null, hosts: ['a:5432', 'b:5433'] } });
  assert.match(several, /^target: +a:5432, b:5433$/m);
  const none = formatSummary({ ...r, target: { serverVersion: null, hosts: [] }, durationS: 3600 });
  assert.match(none, /^target: +-$/m);
  assert.match(none, /^duration: +3,600\.0 s measured$/m);
});

test('tps and counts are grouped by thousands', () => {
  const text = formatSummary(
    withSummary(sampleResult(), { transactions: 1_234_567, tps: 12345.67, failed: 0, errors: { ...sampleResult().summary.errors, serialization: 0 } }),
  );
  assert.match(text, /^transactions: +1,234,567 ok, 12,345\.7 tps mean, /m);
  assert.match(text, /^failed: +0 \(0%\)$/m);
});

test('schedule lag: shown under -R (lag measured), hidden in a closed loop, forced either way by openLoop', () => {
  const open = formatSummary(sampleResult());
  // The run line and each transaction type's.
  assert.equal(open.match(/^ *sched\. lag ms: +mean 0\.200 +p50 0\.200 +p99 0\.200 +max 0\.200$/gm)?.length, 3);
  const closed = formatSummary(closedLoop());
  assert.doesNotMatch(closed, /sched\. lag/);
  assert.equal(formatSummary(closedLoop(), { openLoop: true }).match(/sched\. lag ms: +mean 0\.000/g)?.length, 3);
  assert.doesNotMatch(formatSummary(sampleResult(), { openLoop: false }), /sched\. lag/);
  // Nothing measured at all (no success): no lag line, and "-" in the latency line.
  const empty = withSummary(sampleResult(), {
    lagMs: { mean: null, p50: null, p99: null, max: null },
    latencyMs: { min: null, mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null },
  });
  const text = formatSummary(singleType(empty));
  assert.match(text, /^latency ms: +min - +mean - +p50 - +p90 - +p95 - +p99 - +p99\.9 - +max -$/m);
  assert.doesNotMatch(text, /^sched\. lag/m);
});

test('failures: every class with a count in a fixed order, then the first message of each', () => {
  const r = sampleResult();
  const errors = { ...r.summary.errors, serialization: 2, connection: 1_500, read_only: 3, other: 1 };
  const long = `ERROR: ${'x'.repeat(200)}`;
  const text = formatSummary(
    withSummary(r, {
      failed: 1_506,
      errors,
      firstErrors: {
        other: 'something\n   odd   happened',
        connection: 'Connection terminated unexpectedly',
        read_only: long,
        serialization: 'could not serialize access',
      },
    }),
  );
  assert.match(text, /^failed: +1,506 \(75\.075%\) +\(serialization 2, connection 1,500, read_only 3, other 1\)$/m);
  const firsts = lines(text).filter((l) => l.startsWith('  first '));
  assert.deepEqual(firsts, [
    '  first serialization: could not serialize access',
    '  first connection: Connection terminated unexpectedly',
    // Shortened to 120 characters, whitespace flattened: the result file keeps the full text.
    `  first read_only: ${long.slice(0, 119)}…`,
    // A short label is padded to the value column like the others.
    '  first other:  something odd happened',
  ]);
  // The first messages follow the run's lines, before what did not complete.
  const at = (re: RegExp): number => lines(text).findIndex((l) => re.test(l));
  assert.ok(at(/^latency ms:/) < at(/^ {2}first serialization:/));
  assert.ok(at(/^ {2}first other:/) < at(/^not completed:/));
});

test('retried is shown only when something was retried', () => {
  const text = formatSummary(singleType(withSummary(sampleResult(), { retried: 0, retries: 0 })));
  assert.doesNotMatch(text, /^retried:/m);
});

test('what did not complete: skipped, dropped and unfinished out of the arrivals', () => {
  const text = formatSummary(withSummary(sampleResult(), { skipped: 12_345, dropped: 7, unfinished: 3, arrivals: 12_861 }));
  assert.match(text, /^not completed: +skipped 12,345, dropped 7, unfinished 3 \(of 12,861 arrivals\)$/m);
  const clean = formatSummary(withSummary(sampleResult(), { skipped: 0, dropped: 0, unfinished: 0, arrivals: 506 }));
  assert.match(clean, /^not completed: +skipped 0, dropped 0, unfinished 0 \(of 506 arrivals\)$/m);
});

test('connection figures: shown when there were connections or reconnects', () => {
  const r = sampleResult();
  assert.match(formatSummary(r), /^connect ms: +2 connections, mean 3\.001 +p99 3\.001 +max 3\.001; 0 reconnects$/m);
  assert.doesNotMatch(formatSummary(withSummary(r, { connects: 0, reconnects: 0 })), /^connect ms:/m);
  assert.match(formatSummary(withSummary(r, { connects: 0, reconnects: 4 })), /^connect ms: +0 connections, .*; 4 reconnects$/m);
});

test('per transaction type: with several types, each with its share; one type alone only with -r', () => {
  const text = formatSummary(sampleResult());
  assert.match(
    text,
    /\n\ntransaction type "tpcb-like" \(75\.099% of completed\):\n {2}transactions: +374 ok, 149\.6 tps\n {2}failed: +6 \(1\.579%\) +\(serialization 6\)\n/,
  );
  assert.match(
    text,
    /\n\ntransaction type "select-only" \(24\.901% of completed\):\n {2}transactions: +126 ok, 50\.4 tps\n {2}failed: +0 \(0%\)\n {2}latency ms: +min 1\.000 .* max 9\.000\n/,
  );
  // Statements only with -r.
  assert.doesNotMatch(text, /statement latencies/);
  const single = singleType();
  assert.doesNotMatch(formatSummary(single), /transaction type/);
  const withStatements = formatSummary(single, { perStatement: true });
  assert.match(withStatements, /transaction type "tpcb-like" \(75\.099% of completed\):/);
  assert.match(withStatements, /statement latencies \(ms\):/);
});

test('a transaction type that never ran is left out', () => {
  const r = sampleResult();
  const idle: TxnSummary = { ...r.transactionTypes['select-only']!, transactions: 0, failed: 0, skipped: 0 };
  const text = formatSummary({ ...r, transactionTypes: { ...r.transactionTypes, idle } });
  assert.doesNotMatch(text, /"idle"/);
  // A type whose arrivals were all skipped did run.
  const skippedOnly = formatSummary({ ...r, transactionTypes: { ...r.transactionTypes, idle: { ...idle, skipped: 2 } } });
  assert.match(skippedOnly, /transaction type "idle" \(0% of completed\):/);
});

test('per statement (-r): a column table, SQL on one line and shortened, "-" for an unmeasured statement', () => {
  const r = singleType();
  const t = r.transactionTypes['tpcb-like']!;
  const sql = `SELECT a,\n       b\n  FROM t\n WHERE ${'c = 1 AND '.repeat(20)}true`;
  const statements = [...t.statements, { ...t.statements[0]!, sql, count: 1_234_567, failed: 12 }];
  const text = formatSummary({ ...r, transactionTypes: { 'tpcb-like': { ...t, statements } } }, { perStatement: true });
  const table = lines(text).slice(lines(text).indexOf('  statement latencies (ms):'));
  assert.deepEqual(table.slice(0, 5), [
    '  statement latencies (ms):',
    '          p50       p99       max     count  failed  statement',
    '        0.800     0.800     0.800       374       0  UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid',
    '            -         -         -         0       0  END',
    `        0.800     0.800     0.800 1,234,567      12  ${`SELECT a, b FROM t WHERE ${'c = 1 AND '.repeat(20)}true`.slice(0, 99)}…`,
  ]);
});

test('hosts: the per-host block appears only with more than one host', () => {
  const r = sampleResult();
  const two = { 'a:5432': { transactions: 1_200, failed: 3, meanLatencyMs: 1.5 }, 'b:5433': { transactions: 5, failed: 0, meanLatencyMs: null } };
  assert.match(
    formatSummary({ ...r, hosts: two }),
    /\n\nhosts \(where the clients ran their transactions\):\n {2}a:5432: 1,200 ok, 3 failed, mean latency 1\.500 ms\n {2}b:5433: 5 ok, 0 failed, mean latency - ms\n/,
  );
  assert.doesNotMatch(formatSummary({ ...r, hosts: { 'a:5432': two['a:5432'] } }), /^hosts/m);
});

test('scenarios: one line each with their own figures', () => {
  const r = sampleResult();
  const scenarios = {
    readers: {
      transactionTypes: ['select-only'],
      transactions: 12_000,
      failed: 1,
      retried: 0,
      skipped: 0,
      activeS: 60,
      tps: 200,
      latencyMs: { mean: 1.2, p50: 1, p95: 2.5, p99: 4, max: null },
      errors: {},
    },
  };
  assert.match(
    formatSummary({ ...r, scenarios }),
    /\n\nscenarios:\n {2}readers: 12,000 ok, 200\.0 tps over 60\.0 s, 1 failed; latency ms p50 1\.000 {2}p95 2\.500 {2}p99 4\.000 {2}max -\n/,
  );
  assert.doesNotMatch(formatSummary(r), /^scenarios:/m);
});

test('thresholds: the block is left out when there are none; the text ends with one newline', () => {
  const text = formatSummary({ ...sampleResult(), thresholds: [] });
  assert.doesNotMatch(text, /thresholds:/);
  assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'));
});

test('peak tps: the best full-length interval beside the mean; none with fewer than two full intervals', () => {
  const r = sampleResult();
  const intervals = r.intervals.map((i, k) => ({ ...i, tps: k === 1 ? 260 : k === 2 ? 900 : i.tps }));
  // The last interval (0.5 s) is cut short by the end of the run: its 900/s is not a peak.
  assert.match(formatSummary({ ...r, intervals }), /^transactions: +500 ok, 200\.0 tps mean, 260\.0 tps peak \(best 1 s interval, at 1\.0 s\)$/m);
  assert.match(formatSummary({ ...r, intervals: intervals.slice(0, 1) }), /^transactions: +500 ok, 200\.0 tps$/m);
});

test('the last line is the verdict, with or without thresholds, and says why', () => {
  const r = sampleResult();
  const last = (x: ResultV1): string => formatSummary(x).trimEnd().split('\n').pop()!;
  assert.equal(last({ ...r, thresholds: [] }), 'PASSED: the run completed, 6 failed transactions; no threshold given (--threshold)');
  assert.equal(last(r), 'FAILED: tps>=8000 (actual 200); errors<1% (actual 1.186%); dropped=0 (actual 1)');
  const na = { expr: 'max(server.cpu)<80%', ok: false, actual: 'n/a', reason: 'server.cpu: not sampled — the result has no server samples' };
  const text = formatSummary({ ...r, thresholds: [na] });
  assert.match(text, /^ {2}✗ max\(server\.cpu\)<80% {2}\(actual n\/a: server\.cpu: not sampled — the result has no server samples\)$/m);
  assert.match(text, /\nFAILED: max\(server\.cpu\)<80% \(actual n\/a: server\.cpu: not sampled — the result has no server samples\)\n$/);
  // Under -R: the asked rate, achieved or missed (the sample ran 500 ok in 2.5 s).
  assert.equal(last({ ...r, thresholds: [], config: { rateHz: 200 } }), 'PASSED: rate achieved: asked 200/s, achieved 200/s (100%)');
  assert.equal(last({ ...r, thresholds: [], config: { rateHz: 1000 } }), 'FAILED: rate missed: asked 1000/s, achieved 200/s (20%)');
  assert.equal(last({ ...r, thresholds: [], summary: { ...r.summary, transactions: 0 } }), 'FAILED: no transaction succeeded');
});

test('-r prints one line per statement also for a script of 550,000 statements', () => {
  const r = singleType();
  const [name, type] = Object.entries(r.transactionTypes)[0]!;
  const statement = type.statements[0]!;
  const statements = Array.from({ length: 550_000 }, (_, i) => ({ ...statement, sql: `select ${i};` }));
  const text = formatSummary({ ...r, transactionTypes: { [name]: { ...type, statements } } }, { perStatement: true });
  assert.match(text, /select 0;\n/);
  assert.match(text, /select 549999;\n/);
});
