/**
 * The vector-search built-in on a server without pgvector (the embedded PostgreSQL): setup says it
 * takes the cube fallback, every entry has its own embedding, searches return k nearest rows in the
 * namespaces asked for, the report names the path, and what cannot be done is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer, withClient as withServerClient } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import type { ResultV1 } from '../../src/report/result.js';
import def from '../../src/workload/builtin/vector-search.js';
import { resolveModuleOptions } from '../../src/workload/module/load.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-vector-'));

const withClient = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withServerClient(server.url, fn);

test('cube fallback: init says so, distinct embeddings, kNN through the GiST index, report names the path, reset', async () => {
  const init = await runCli(['init', 'vector-search', '--url', server.url, '-D', 'entries=3000', '-D', 'dimension=16']);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stderr, /no pgvector on this server: using the cube fallback/);
  const facts = await withClient(
    async (c) =>
      (
        await c.query(
          `select count(*)::int as n, count(distinct embedding::text)::int as distinct_vectors, max(cube_dim(embedding))::int as dim from memory_entries`,
        )
      ).rows[0] as Record<string, number>,
  );
  assert.deepEqual(facts, { n: 3000, distinct_vectors: 3000, dim: 16 });

  // The search statement of search_one returns k rows of the namespace, nearest first, by index.
  const rows = await withClient(async (c) => {
    await c.query('set enable_seqscan = off');
    const sql = def.transactions['search_one']!.steps[0]!.sql;
    const q = `{${Array.from({ length: 16 }, () => '0.5').join(',')}}`;
    const plan = (await c.query(`explain ${sql}`, ['ns_3', q, 10])).rows.map((r) => String(r['QUERY PLAN'])).join('\n');
    assert.match(plan, /Index Scan using memory_entries_embedding/);
    return (await c.query(sql, ['ns_3', q, 10])).rows as { namespace?: string; distance: number }[];
  });
  assert.equal(rows.length, 10);
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i]!.distance >= rows[i - 1]!.distance, 'ordered by distance');

  const json = join(dir, 'mix.json');
  const r = await runCli(['run', 'vector-search', '--url', server.url, '-D', 'entries=3000', '-D', 'dimension=16', '-c', '4', '-t', '100', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(json, 'utf8')) as ResultV1;
  assert.equal(result.summary.failed, 0);
  const n = (t: string): number => result.transactionTypes[`vector-search.${t}`]!.transactions;
  assert.ok(n('search_one') > n('search_many') && n('search_many') > n('insert'), 'weights 10/3/2/1');

  const options = resolveModuleOptions('vector-search', def.options, { entries: '3000', dimension: '16' });
  const fig = await withClient((c) => def.report!(c, options as never, { durationS: 1, transactions: {} }));
  assert.equal(fig['vectorPath'], 'cube');
  assert.match(String(fig['index']), /gist/);
  assert.equal(fig['entries'], 3000 + n('insert'));

  const reset = await runCli(['reset', 'vector-search', '--url', server.url, '-D', 'entries=3000']);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(await withClient(async (c) => (await c.query('select count(*)::int as n from memory_entries')).rows[0]!['n']), 3000);
});

test('-D only=search_many runs only that type; pgvector asked for where there is none, and too many cube dimensions, are refused', async () => {
  const json = join(dir, 'only.json');
  const r = await runCli([
    'run',
    'vector-search',
    '--url',
    server.url,
    '-D',
    'entries=3000',
    '-D',
    'dimension=16',
    '-D',
    'only=search_many',
    '-c',
    '2',
    '-t',
    '20',
    '--json',
    json,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(json, 'utf8')) as ResultV1;
  assert.equal(result.transactionTypes['vector-search.search_many']!.transactions, 40);
  assert.equal(result.transactionTypes['vector-search.search_one']!.transactions, 0);

  const pgv = await runCli(['init', 'vector-search', '--url', server.url, '-D', 'path=pgvector']);
  // setup's failures come back through the setup hook wrapper: exit 1, with the reason.
  assert.notEqual(pgv.code, 0, pgv.stderr);
  assert.match(pgv.stderr, /no "vector" extension/);
  const dims = await runCli(['init', 'vector-search', '--url', server.url, '-D', 'dimension=300']);
  assert.notEqual(dims.code, 0, dims.stderr);
  assert.match(dims.stderr, /at most 100 dimensions/);
  const bad = await runCli(['run', 'vector-search', '--url', server.url, '-D', 'only=nope', '-t', '1']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /no transaction nope \(known: search_one, search_many, fetch, insert\)/);
});
