/**
 * Figures by transaction type, end to end: a run of two weighted built-ins serves each type's
 * series on /metrics while it runs (scraped from the first progress line on), and its result
 * carries each type's figures in every interval.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { readResult } from '../helpers/result.js';
import { freePort } from '../../src/local/server.js';

const server = await startTestServer();

/** Value of one series in the text exposition format, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('two weighted types: /metrics has each type’s counters, failures and latency during the run; the result has them per interval', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-per-type-'));
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
  const port = await freePort();
  const json = join(dir, 'r.json');
  let scrapes: Promise<string[]> | undefined;
  const r = await runCli(
    [
      'run',
      '--url',
      server.url,
      '-b',
      'tpcb-like@2',
      '-b',
      'select-only@1',
      '-c',
      '2',
      '-T',
      '3',
      '-P',
      '1',
      '--prometheus',
      `127.0.0.1:${port}`,
      '--json',
      json,
    ],
    {
      onStderr: (chunk) => {
        // From the first progress line on, scrape until both types have counted a transaction.
        if (scrapes === undefined && /progress: /.test(chunk)) {
          scrapes = (async () => {
            const seen: string[] = [];
            for (let i = 0; i < 20; i++) {
              const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
              seen.push(text);
              const both = ['tpcb-like', 'select-only'].every((t) => (value(text, `pgsurge_type_transactions_total{type="${t}"}`) ?? 0) > 0);
              if (both) break;
              await new Promise((res) => setTimeout(res, 200));
            }
            return seen;
          })();
        }
      },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(scrapes !== undefined, `no progress line:\n${r.stderr}`);
  const text = (await scrapes).at(-1)!;
  for (const type of ['tpcb-like', 'select-only']) {
    assert.ok((value(text, `pgsurge_type_transactions_total{type="${type}"}`) ?? 0) > 0, `${type} transactions\n${text}`);
    assert.equal(value(text, `pgsurge_type_failures_total{type="${type}",class="connection"}`), 0, `${type} failures are served from the start`);
    assert.ok((value(text, `pgsurge_type_latency_seconds{type="${type}",quantile="0.99"}`) ?? 0) > 0, `${type} p99`);
    assert.notEqual(value(text, `pgsurge_type_tps{type="${type}"}`), undefined, `${type} tps`);
  }
  assert.ok((value(text, 'pgsurge_transactions_total') ?? 0) > 0, 'the run-wide series stays');

  const result = readResult(json);
  const full = result.intervals.filter((i) => i.transactions > 0);
  assert.ok(full.length >= 2, `${result.intervals.length} intervals`);
  for (const i of result.intervals) {
    const types = i.types ?? {};
    assert.deepEqual(Object.keys(types).sort(), ['select-only', 'tpcb-like'], `interval ${i.tS}`);
    assert.equal(types['tpcb-like']!.transactions + types['select-only']!.transactions, i.transactions, `interval ${i.tS}: the types add up`);
  }
  // The intervals hold what ended on the grid; a transaction ending in the stop's grace counts in
  // the totals only. Each type's share of that gap adds up to the run's.
  const sum = (type?: string): number => result.intervals.reduce((n, i) => n + (type === undefined ? i.transactions : i.types![type]!.transactions), 0);
  const gap = (type: string): number => result.transactionTypes[type]!.transactions - sum(type);
  assert.ok(gap('tpcb-like') >= 0 && gap('select-only') >= 0);
  assert.equal(gap('tpcb-like') + gap('select-only'), result.summary.transactions - sum());
});
