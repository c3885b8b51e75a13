/**
 * TypeScript workload modules from the CLI: setup through init, weighted transactions with rows
 * passed between steps, options from -D, errors that point into the user's own file, and
 * reproducible random values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { readResult } from '../helpers/result.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-module-'));
const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

test('the checkout example: init runs its setup with -D options, run reports each transaction, rows flow between steps', async () => {
  const mod = join(EXAMPLES, 'checkout.ts');
  const init = await runCli(['init', mod, '--url', server.url, '-D', 'products=2000']);
  assert.equal(init.code, 0, init.stderr);
  assert.equal(Number((await query<{ n: string }>('select count(*) as n from products'))[0]!.n), 2000);

  const json = join(dir, 'checkout.json');
  const r = await runCli(['run', mod, '--url', server.url, '-D', 'products=2000', '-c', '4', '-t', '100', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(json);
  assert.equal(result.summary.transactions, 400);
  assert.equal(result.summary.failed, 0);
  const buy = result.transactionTypes['checkout.buy']!;
  const product = result.transactionTypes['checkout.product']!;
  assert.ok(buy.transactions > 0 && product.transactions > buy.transactions, 'weights 8:3:1 favour product reads');
  assert.equal(buy.statements.length, 5);
  const orders = await query<{ n: string; bad: string }>(
    'select count(*) as n, count(*) filter (where o.total_cents <> p.price_cents * o.quantity) as bad from orders o join products p on p.id = o.product_id',
  );
  assert.equal(Number(orders[0]!.n), buy.transactions, 'one order per committed purchase');
  assert.equal(Number(orders[0]!.bad), 0, 'the price read by one step reached the next');
});

test('a failing params() names the module file, line and column; the run goes on', async () => {
  const mod = join(dir, 'broken.ts');
  writeFileSync(
    mod,
    [
      "import { defineWorkload } from 'pgsurge';",
      'export default defineWorkload({',
      '  transactions: {',
      "    ok: { steps: [{ sql: 'select $1::int', params: (r) => [r.int(1, 10)] }] },",
      '    bad: {',
      "      steps: [{ sql: 'select $1::int', params: () => { throw new Error('no value for you'); } }],",
      '    },',
      '  },',
      '});',
      '',
    ].join('\n'),
  );
  const json = join(dir, 'broken.json');
  const r = await runCli(['run', mod, '--url', server.url, '-c', '2', '-t', '20', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(json);
  assert.match(result.summary.firstErrors.other ?? '', /broken\.ts:6:\d+: no value for you/);
  assert.ok(result.transactionTypes['broken.ok']!.transactions > 0);
  assert.equal(result.transactionTypes['broken.bad']!.transactions, 0);
});

test('bad modules and bad options are usage errors that say where', async () => {
  const syntax = join(dir, 'syntax.ts');
  writeFileSync(syntax, 'export default {\n  transactions: { x: { steps: [ }\n};\n');
  let r = await runCli(['run', syntax, '--url', server.url, '-t', '1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /syntax\.ts/);

  const shape = join(dir, 'shape.ts');
  writeFileSync(shape, "export default { transactions: { x: { weight: 'heavy', steps: [{ sql: 42 }] } } };\n");
  r = await runCli(['run', shape, '--url', server.url, '-t', '1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /transactions\.x\.weight/);
  assert.match(r.stderr, /transactions\.x\.steps\.0\.sql/);

  r = await runCli(['run', join(EXAMPLES, 'checkout.ts'), '--url', server.url, '-D', 'products=lots', '-t', '1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /products=lots: expected an integer/);
});

test('--random-seed makes a module reproducible', async () => {
  const mod = join(dir, 'seeded.ts');
  writeFileSync(
    mod,
    [
      "import { defineWorkload } from 'pgsurge';",
      'export default defineWorkload({',
      "  async setup(db) { await db.query('create table if not exists seeded (run int, v bigint, g bigint, s text)'); },",
      '  transactions: {',
      '    put: { steps: [{ sql: "insert into seeded values ($1, $2, $3, $4)", params: (r, _v) => [Number(process.env.RUN), r.int(1, 1e9), r.gaussian(1, 1000, 3), r.string(12)] }] },',
      '  },',
      '});',
      '',
    ].join('\n'),
  );
  assert.equal((await runCli(['init', mod, '--url', server.url])).code, 0);
  for (const run of ['1', '2']) {
    const r = await runCli(['run', mod, '--url', server.url, '-c', '2', '-t', '25', '--random-seed', '12345'], {
      env: { ...process.env, RUN: run, PGHOST: '', PGPORT: '' },
    });
    assert.equal(r.code, 0, r.stderr);
  }
  const rows = await query<{ run: number; vals: string }>(
    "select run, string_agg(v || '/' || g || '/' || s, ',' order by v) as vals from seeded group by run order by run",
  );
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.vals, rows[1]!.vals, 'same seed, same values');
  assert.equal(rows[0]!.vals.split(',').length, 50);
});
