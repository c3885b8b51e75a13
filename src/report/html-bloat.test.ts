import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from './html.js';
import { BLOAT_COLUMNS } from './html-bloat.js';
import { sampleResult } from './sample.fixture.js';
import type { BloatFacts } from './server-schema.js';

/** The rows of the table under `<h3>title</h3>`, as cell texts. */
function tableAfter(html: string, title: string): string[][] {
  const at = html.indexOf(`<h3>${title}</h3>`);
  assert.ok(at >= 0, `no "${title}" in the page`);
  const body = html.slice(at).match(/<table>([\s\S]*?)<\/table>/)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!));
}

const bloat = (ratio: number, dead: number): BloatFacts => ({
  tables: [
    {
      name: 'pgbench_accounts',
      bytes: 20 * 1048576,
      liveRows: 100_000,
      deadRows: dead,
      deadRatio: dead / (100_000 + dead),
      bloatBytes: ratio * 20 * 1048576,
      bloatRatio: ratio,
    },
  ],
  indexes: [{ name: 'pgbench_accounts_pkey', table: 'pgbench_accounts', bytes: 4 * 1048576, bloatBytes: null, bloatRatio: null }],
});

test('bloat estimates: each table and index with its size, dead rows and the estimate at the start and the end', () => {
  const base = sampleResult();
  const host = {
    host: '127.0.0.1:5432',
    serverVersion: '17.2',
    serverVersionNum: 170002,
    inRecovery: false,
    maxConnections: 100,
    sharedBuffersBytes: 134_217_728,
    settings: {},
    pgStatStatements: false,
    tables: [],
  };
  const html = renderHtml({
    ...base,
    serverFacts: { start: { hosts: [{ ...host, bloat: bloat(0.05, 0) }] }, end: { hosts: [{ ...host, bloat: bloat(0.5, 100_000) }] } },
  });
  const rows = tableAfter(html, `Bloat estimates: ${host.host}`);
  assert.deepEqual(rows[0], [...BLOAT_COLUMNS]);
  assert.deepEqual(rows[1], ['pgbench_accounts', 'table', '20.0 MB', '100,000 (50 %)', '5 % (1.0 MB)', '50 % (10.0 MB)']);
  assert.deepEqual(rows[2], ['pgbench_accounts_pkey', 'index on pgbench_accounts', '4.0 MB', '-', '-', '-']);
  // Results without estimates have no such section.
  assert.doesNotMatch(renderHtml(base), /Bloat estimates/);
});
