import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from './html.js';
import { STATEMENT_SERVER_COLUMNS } from './html-statement-time.js';
import { sampleResult } from './sample.fixture.js';

/** The rows of the table under `<h3>title</h3>`, as cell texts. */
function tableAfter(html: string, title: string): string[][] {
  const at = html.indexOf(`<h3>${title}</h3>`);
  assert.ok(at >= 0, `no "${title}" in the page`);
  const body = html.slice(at).match(/<table>([\s\S]*?)<\/table>/)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!));
}

test('the server time per statement is a table beside the statement latencies, in words', () => {
  const html = renderHtml(sampleResult());
  assert.ok(html.indexOf('<h2>Statements (latency in ms)</h2>') < html.indexOf('<h3>Server time per statement: tpcb-like</h3>'));
  const rows = tableAfter(html, 'Server time per statement: tpcb-like');
  assert.deepEqual(rows[0], [...STATEMENT_SERVER_COLUMNS]);
  assert.deepEqual(rows[1], [
    '0.800',
    '0.351',
    '0.020',
    '0.428',
    '374',
    '374',
    '374',
    '1,531',
    '12',
    'UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid',
  ]);
  assert.deepEqual(rows[2]?.slice(0, 2), ['-', 'no entry matched']);
  assert.match(html, /other sessions running the same statements there add to the figures/);
});

test('without pg_stat_statements the page says why and how to enable it, once', () => {
  const html = renderHtml({
    ...sampleResult(),
    statementServerTime: { status: 'unavailable', host: 'db:5432', reason: 'pg_stat_statements is not in shared_preload_libraries', hint: 'add it' },
  });
  assert.equal(html.split('shared_preload_libraries').length - 1, 1);
  assert.doesNotMatch(html, /<h3>Server time per statement/);
});
