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
import { startTestServer, firstRow } from '../helpers/server.js';
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
