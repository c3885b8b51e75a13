/**
 * `pgsurge run` as a user runs it: the throwaway default, result files, thresholds and exit codes,
 * Ctrl-C, per-statement reports, and pgbench-made databases.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { pgbenchPath, startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { readResult, countingRuleHolds } from '../helpers/result.js';
import type { LocalServer } from '../../src/local/server.js';

// Top-level await: the server belongs to the file and is stopped after all of its tests.
const server: LocalServer = await startTestServer();
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pgsurge-cli-run-'));
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
});

test('with no target, run starts a throwaway server, writes a valid result, and removes the server', async () => {
  const json = join(dir, 'throwaway.json');
  const csv = join(dir, 'throwaway.csv');
  const r = await runCli(['run', '-T', '2', '-c', '2', '-s', '1', '--json', json, '--csv', csv]);
  assert.equal(r.code, 0, r.stderr);
  const m = /started a throwaway PostgreSQL on 127\.0\.0\.1:(\d+)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const result = readResult(json);
  assert.equal(result.schema, 'pgsurge.result/v1');
  assert.ok(result.summary.transactions > 0);
  assert.ok(result.transactionTypes['tpcb-like']);
  assert.equal(result.target['throwaway'], true);
  assert.ok(countingRuleHolds(result));
  assert.ok(Math.abs(result.durationS - 2) < 0.2, `durationS ${result.durationS}`);
  assert.equal(result.intervals.length, 2, 'one interval per second');
  assert.match(r.stdout, /tps/);
  const lines = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(lines.length, 3, 'header + one row per interval');
  // The server is gone.
  const c = new pg.Client({ host: '127.0.0.1', port: Number(m[1]), user: 'postgres', connectionTimeoutMillis: 2000 });
  await assert.rejects(c.connect(), /ECONNREFUSED/);
});

test('thresholds: a met threshold exits 0, a failed one exits 99, both are in the summary and the JSON', async () => {
  const json = join(dir, 'thresholds.json');
  const ok = await runCli(['run', '--url', server.url, '-b', 'select-only', '-T', '1', '--threshold', 'tps>=1', '--threshold', 'errors<1%']);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await runCli(['run', '--url', server.url, '-b', 'select-only', '-T', '1', '--threshold', 'p99<1us', '--threshold', 'tps>=1', '--json', json]);
  assert.equal(bad.code, 99, bad.stderr);
  assert.match(bad.stdout, /p99<1us/);
  const result = readResult(json);
  assert.deepEqual(
    result.thresholds.map((t) => [t.expr, t.ok]),
    [
      ['p99<1us', false],
      ['tps>=1', true],
    ],
  );
});

test('Ctrl-C stops the run gracefully and still writes the summary and the result', async () => {
  const json = join(dir, 'interrupted.json');
  let sent = false;
  const t0 = Date.now();
  const r = await runCli(['run', '--url', server.url, '-b', 'select-only', '-c', '2', '-T', '60', '-P', '1', '--json', json], {
    onStderr: (chunk, child) => {
      if (!sent && /progress: 2\.0 s/.test(chunk)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, 'saw progress lines');
  assert.equal(r.code, 1, 'an interrupted run is not a success');
  assert.ok(Date.now() - t0 < 30_000);
  assert.match(r.stderr, /interrupted/);
  assert.match(r.stdout, /tps/);
  const result = readResult(json);
  assert.ok(result.summary.transactions > 0);
  assert.ok(result.durationS > 1.5 && result.durationS < 10, `durationS ${result.durationS}`);
  assert.ok(countingRuleHolds(result));
});

test('-r reports percentiles per statement, and -t runs exactly that many transactions', async () => {
  const json = join(dir, 'per-statement.json');
  const r = await runCli(['run', '--url', server.url, '-r', '-c', '3', '-t', '20', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(json);
  assert.equal(result.summary.transactions, 60);
  const stmts = result.transactionTypes['tpcb-like']!.statements;
  assert.equal(stmts.length, 7, 'BEGIN, 5 statements, END');
  assert.ok(stmts.every((s) => s.count === 60));
  assert.ok(stmts.some((s) => s.sql.startsWith('UPDATE pgbench_accounts')));
  assert.ok(stmts.every((s) => s.latencyMs.p99 !== null));
  assert.match(r.stdout, /UPDATE pgbench_accounts/);
});

test("pgsurge runs on a database that pgbench initialised, and detects pgbench's scale", async (t) => {
  if (!existsSync(pgbenchPath())) {
    t.skip('pgbench not installed');
    return;
  }
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('create database bybench');
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:${server.port}/bybench`;
  const init = spawnSync(pgbenchPath(), ['-i', '-s', '2', '-q', url], { encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  const json = join(dir, 'bybench.json');
  const r = await runCli(['run', '--url', url, '-c', '2', '-t', '10', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /scale 2/);
  assert.equal(readResult(json).summary.transactions, 20);
  const check = new pg.Client({ connectionString: url });
  await check.connect();
  const h = await check.query<{ n: string }>('select count(*) as n from pgbench_history');
  await check.end();
  assert.equal(Number(h.rows[0]!.n), 20, 'every tpcb-like transaction wrote its history row');
});

test('-j changes nothing in meaning: the same -t gives the same totals on 1 and 2 threads', async () => {
  for (const j of ['1', '2']) {
    const json = join(dir, `threads-${j}.json`);
    const r = await runCli(['run', '--url', server.url, '-c', '4', '-j', j, '-t', '25', '--json', json]);
    assert.equal(r.code, 0, r.stderr);
    const result = readResult(json);
    assert.equal(result.summary.transactions, 100);
    assert.equal(result.summary.connects, 4);
  }
});
