/**
 * The bulk-insert built-in: multi-row INSERT … VALUES and INSERT … SELECT FROM unnest insert
 * exactly batch × transactions rows of the asked size; the report gives rows/s and MB/s; a batch
 * size the VALUES form does not have is a usage error; reset empties the table. The run samples its
 * table: bulk_rows is in the server timeline and in /metrics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer, firstRow } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';
import def from '../../src/workload/builtin/bulk-insert.js';
import { resolveModuleOptions } from '../../src/workload/module/load.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-bulk-'));

const one = (sql: string): Promise<Record<string, unknown>> => firstRow(server.url, sql);

for (const [method, batch] of [
  ['values', 100],
  ['unnest', 250],
] as const) {
  test(`method=${method}, batch=${batch}: batch × transactions rows, rows/s and MB/s in the report`, async () => {
    const defs = ['-D', `method=${method}`, '-D', `batch=${batch}`, '-D', 'row_bytes=200'];
    const init = await runCli(['init', 'bulk-insert', '--url', server.url, ...defs]);
    assert.equal(init.code, 0, init.stderr);
    const json = join(dir, `${method}.json`);
    const r = await runCli(['run', 'bulk-insert', '--url', server.url, ...defs, '-c', '2', '-t', '30', '--json', json]);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(readFileSync(json, 'utf8')) as ResultV1;
    const type = method === 'values' ? `values_${batch}` : 'unnest';
    assert.equal(result.transactionTypes[`bulk-insert.${type}`]!.transactions, 60);
    const row = await one(
      'select count(*)::int as n, count(distinct batch_id)::int as batches, min(octet_length(payload))::int as lo, max(octet_length(payload))::int as hi, max(n)::int as max_n from bulk_rows',
    );
    assert.equal(row['n'], 60 * batch);
    assert.equal(row['lo'], 200);
    assert.equal(row['hi'], 200);
    assert.equal(row['max_n'], batch);

    const options = resolveModuleOptions('bulk-insert', def.options, { method, batch: String(batch), row_bytes: '200' });
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    try {
      const fig = await def.report!(c, options as never, { durationS: 2, transactions: { [type]: 60 } });
      assert.equal(fig['rows_inserted'], 60 * batch);
      assert.equal(fig['rows_per_s'], 30 * batch);
      assert.equal(fig['data_mb_per_s'], Math.round(((30 * batch * 212) / 1048576) * 100) / 100);
      assert.ok((fig['bulk_rows_mb'] as number) > 0);
    } finally {
      await c.end();
    }
    const reset = await runCli(['reset', 'bulk-insert', '--url', server.url]);
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal((await one('select count(*)::int as n from bulk_rows'))['n'], 0);
  });
}

test('a batch size the VALUES form does not have is refused, naming the ones it has', async () => {
  const r = await runCli(['run', 'bulk-insert', '--url', server.url, '-D', 'batch=37', '-t', '1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /batch=37 with method=values: one of 1, 10, 50, 100, 500, 1000/);
});

test("the workload's own table is sampled: bulk_rows in the result's server timeline and in /metrics", async () => {
  const init = await runCli(['init', 'bulk-insert', '--url', server.url]);
  assert.equal(init.code, 0, init.stderr);
  const port = await freePort();
  const json = join(dir, 'tables.json');
  let scraped = '';
  let running = true;
  const run = runCli(['run', 'bulk-insert', '--url', server.url, '-c', '2', '-T', '4', '--prometheus', `127.0.0.1:${port}`, '--json', json]).finally(
    () => (running = false),
  );
  // Scrape while the run lasts, until a sample of bulk_rows is there (the exporter closes with the run).
  while (running && !/pgsurge_server_table_rows\{[^}]*table="bulk_rows"[^}]*\} [1-9]/.test(scraped)) {
    await new Promise((r) => setTimeout(r, 250));
    scraped = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => scraped,
    );
  }
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  assert.match(scraped, /pgsurge_server_table_bytes\{[^}]*table="bulk_rows"[^}]*\} [1-9]/);
  assert.match(scraped, /pgsurge_server_table_rows\{[^}]*table="bulk_rows"[^}]*\} [1-9]/);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  const rows = result.server.flatMap((s) => s.hosts.flatMap((h) => h.tables.filter((t) => t.name === 'bulk_rows')));
  assert.ok(rows.length >= 3, JSON.stringify(result.server.map((s) => s.hosts.map((h) => h.tables.map((t) => t.name)))));
  assert.ok(rows[rows.length - 1]!.liveRows > 0 && rows[rows.length - 1]!.tableBytes > 0, JSON.stringify(rows));
  assert.ok(
    result.serverFacts?.end.hosts[0]?.tables.some((t) => t.name === 'bulk_rows' && t.totalBytes > 0),
    JSON.stringify(result.serverFacts?.end),
  );
});

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
