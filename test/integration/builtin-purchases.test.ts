/**
 * The purchases built-in: staged, resumable server-side load into monthly partitions (rows/s
 * reported per stage), reads that are marked as reads, reset of what a run bought, the report, and
 * `pgsurge explain purchases` (a plan per statement, writes rolled back).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer, firstRow, withClient } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import type { ResultV1 } from '../../src/report/result.js';
import def, { partitionBounds } from '../../src/workload/builtin/purchases.js';
import { resolveModuleOptions } from '../../src/workload/module/load.js';
import type { ExplainReport } from '../../src/workload/explain.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-purchases-'));
const DEFS = ['-D', 'customers=2000', '-D', 'products=300', '-D', 'purchases=60000', '-D', 'months=6'];

const one = (sql: string): Promise<Record<string, unknown>> => firstRow(server.url, sql);

test('partition bounds: one per month of history, the current and the next month', () => {
  const b = partitionBounds(2, new Date(Date.UTC(2025, 0, 15)));
  assert.deepEqual(
    b.map((p) => [p.name, p.from, p.to]),
    [
      ['purchases_2024_11', '2024-11-01', '2024-12-01'],
      ['purchases_2024_12', '2024-12-01', '2025-01-01'],
      ['purchases_2025_01', '2025-01-01', '2025-02-01'],
      ['purchases_2025_02', '2025-02-01', '2025-03-01'],
    ],
  );
});

test('staged load: rows/s per stage, resumable, every row in its month partition; run; reset; report', async () => {
  // First only customers and products, then the rest with resume: the finished stages are kept.
  const first = await runCli(['init', 'purchases', '--url', server.url, ...DEFS, '-D', 'stages=customers,products']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /customers: 2\.0 k rows in [0-9.]+ s \([0-9.]+ k? ?rows\/s\)/);
  const second = await runCli(['init', 'purchases', '--url', server.url, ...DEFS, '-D', 'resume=true']);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /customers: already loaded, skipped/);
  assert.match(second.stderr, /purchases: 60\.0 k rows in [0-9.]+ s/);
  // Everything loaded already: a resumed setup says so, and shows no rate for rows it did not load.
  const third = await runCli(['init', 'purchases', '--url', server.url, ...DEFS, '-D', 'resume=true', '-D', 'stages=customers,products,purchases']);
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stderr, /customers: already loaded, skipped/);
  assert.match(third.stderr, /purchases: nothing loaded \(6 partitions were loaded by an earlier setup\)/);
  assert.doesNotMatch(third.stderr, /rows\/s/);
  const facts = await one(`select (select count(*) from customers)::int as customers, (select count(*) from purchases)::int as purchases,
    (select count(*) from purchases_default)::int as in_default, (select count(distinct tableoid) from purchases)::int as partitions_used,
    (select count(*) from purchases p join products pr on pr.id = p.product_id join customers c on c.id = p.customer_id)::int as joined`);
  assert.deepEqual(facts, { customers: 2000, purchases: 60000, in_default: 0, partitions_used: 6, joined: 60000 });

  const json = join(dir, 'run.json');
  const r = await runCli(['run', 'purchases', '--url', server.url, ...DEFS, '-c', '4', '-t', '100', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(json, 'utf8')) as ResultV1;
  assert.equal(result.summary.failed, 0);
  const bought = result.transactionTypes['purchases.buy']!.transactions;
  assert.ok(bought > 0 && result.transactionTypes['purchases.latest']!.transactions > bought);
  assert.equal((await one('select count(*)::int as n from purchases'))['n'], 60000 + bought);
  assert.equal(def.transactions['latest']!.read, true);
  assert.equal(def.transactions['customer']!.read, true);
  assert.notEqual(def.transactions['buy']!.read, true);

  const reset = await runCli(['reset', 'purchases', '--url', server.url, ...DEFS]);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal((await one('select count(*)::int as n from purchases'))['n'], 60000);

  const options = resolveModuleOptions('purchases', def.options, {});
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    const fig = await def.report!(c, options as never, { durationS: 1, transactions: {} });
    assert.equal(fig['partitions'], 9); // 6 months + current + next + default
    assert.equal(fig['load_purchases_rows'], 60000);
    assert.ok((fig['load_purchases_rows_per_s'] as number) > 0 && (fig['purchases_mb'] as number) > 0);
  } finally {
    await c.end();
  }
});

test('explain purchases: EXPLAIN (ANALYZE, BUFFERS) of every statement with drawn parameters; the purchase is rolled back', async () => {
  const before = (await one('select count(*)::int as n from purchases'))['n'];
  const json = join(dir, 'explain.json');
  const r = await runCli(['explain', 'purchases', '--url', server.url, ...DEFS, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as ExplainReport;
  assert.deepEqual(
    report.statements.map((s) => s.transaction),
    ['latest', 'customer', 'buy'],
  );
  for (const s of report.statements) {
    assert.ok(s.plan !== undefined && s.plan.some((l) => /Buffers: shared/.test(l)), `${s.transaction} has a plan with buffers`);
    assert.ok(typeof s.executionMs === 'number');
  }
  assert.match(r.stdout, /purchases\.customer, step 1/);
  assert.match(report.statements[1]!.plan!.join('\n'), /purchases_customer|customer_id/);
  assert.equal((await one('select count(*)::int as n from purchases'))['n'], before, 'explain leaves no purchase behind');
});

// Parallel load: small enough to take about a second per load.
const SMALL = ['-D', 'customers=500', '-D', 'products=50', '-D', 'purchases=30000', '-D', 'months=3'];
const partitionFacts = (): Promise<Record<string, unknown>> =>
  one(`select json_object_agg(p, f order by p)::text as facts, (select count(*) from purchases_load where step like 'purchases:%')::int as recorded
       from (select tableoid::regclass::text as p, json_build_array(count(*), min(id), max(id), count(distinct id)) as f from purchases group by 1) as x`);

let loadedBySequential: Record<string, unknown> | undefined;

test('-D jobs=3: the same rows in each partition as one connection, rows/s and ETA over the wall time', async () => {
  const seq = await runCli(['init', 'purchases', '--url', server.url, ...SMALL, '-D', 'stages=customers,products,purchases']);
  assert.equal(seq.code, 0, seq.stderr);
  assert.doesNotMatch(seq.stderr, /connections/);
  const sequential = await partitionFacts();
  const par = await runCli(['init', 'purchases', '--url', server.url, ...SMALL, '-D', 'stages=customers,products,purchases', '-D', 'jobs=3']);
  assert.equal(par.code, 0, par.stderr);
  assert.match(par.stderr, /purchases: 3 partitions on 3 connections/);
  assert.equal(par.stderr.match(/purchases: purchases_\d{4}_\d\d 10\.0 k rows in [0-9.]+ s; [0-9.]+ k\/30\.0 k \(/g)?.length, 3);
  assert.match(par.stderr, /30\.0 k\/30\.0 k \([0-9.]+ k rows\/s, ETA 0 s\)/);
  assert.match(par.stderr, /purchases: 30\.0 k rows in [0-9.]+ s \([0-9.]+ k rows\/s\) on 3 connections/);
  assert.deepEqual(await partitionFacts(), sequential);
  assert.equal(sequential['recorded'], 3);
  loadedBySequential = sequential;
});

test('-D jobs=3: a failing partition stops the others and is named in one line; a resumed load finishes the rest', async () => {
  const expected = loadedBySequential;
  assert.ok(expected !== undefined, 'runs after the test above');
  const [p1, p2, p3] = partitionBounds(3, new Date()).map((p) => p.name);
  const schemaOnly = await runCli(['init', 'purchases', '--url', server.url, ...SMALL, '-D', 'stages=customers,products']);
  assert.equal(schemaOnly.code, 0, schemaOnly.stderr);
  // p3 fails at its first row; p1 waits for a lock this test holds: only a cancel ends its load.
  await withClient(server.url, (c) => c.query(`alter table ${p3} add constraint no_rows check (quantity < 0)`));
  const locker = new pg.Client({ connectionString: server.url });
  await locker.connect();
  try {
    await locker.query(`begin; lock table ${p1} in share mode`);
    const t0 = Date.now();
    const failed = await runCli(['init', 'purchases', '--url', server.url, ...SMALL, '-D', 'stages=purchases', '-D', 'resume=true', '-D', 'jobs=3']);
    assert.equal(failed.code, 1, failed.stderr);
    assert.ok(Date.now() - t0 < 15_000, 'the load waiting for the lock was cancelled, not left to the deadline');
    const errors = failed.stderr.split('\n').filter((l) => /error|violates|cancel/i.test(l));
    assert.equal(errors.length, 1, failed.stderr);
    assert.match(errors[0]!, new RegExp(`purchases: loading partition ${p3}: new row for relation "${p3}" violates check constraint "no_rows"`));
    const waiting = await one(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock'`);
    assert.equal(waiting['n'], 0, 'no load left waiting');
    const recorded = await one(`select array_agg(step order by step)::text as steps from purchases_load where step like 'purchases:%'`);
    assert.ok(recorded['steps'] === null || recorded['steps'] === `{purchases:${p2}}`, String(recorded['steps']));
  } finally {
    await locker.end();
  }
  await withClient(server.url, (c) => c.query(`alter table ${p3} drop constraint no_rows`));
  const resumed = await runCli(['init', 'purchases', '--url', server.url, ...SMALL, '-D', 'stages=purchases', '-D', 'resume=true', '-D', 'jobs=3']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(await partitionFacts(), expected);
});
