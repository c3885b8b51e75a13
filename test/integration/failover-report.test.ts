/**
 * `pgsurge report` of a failover run's result prints the failover section the run printed: the
 * summary (failover lines included) is rendered from the result alone. A run with --verify-writes
 * and no fault writes the whole section (outages none, timelines, the write verification); the
 * kill/promote tests check the figures of a real failover.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema } from '../../src/report/result.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-failover-report-'));

test('report prints the failover section exactly as the run printed it; an older result without it still reads', async () => {
  const json = join(dir, 'result.json');
  const run = await runCli(['run', 'ha-writes', '--url', server.url, '--verify-writes', '-c', '2', '-T', '2', '--threshold', 'lost=0', '--json', json]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /\nfailover:\n {2}outages +none\n/);
  assert.match(run.stdout, /\n {2}verify-writes +ok: lost 0, unexpected 0/);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  assert.equal(result.failover?.verification?.ok, true);

  const report = await runCli(['report', json]);
  assert.equal(report.code, 0, report.stderr);
  assert.equal(report.stdout, run.stdout);

  // A result written before the failover section existed: no failover lines, nothing else changes.
  const older = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
  delete older['failover'];
  const olderFile = join(dir, 'older.json');
  writeFileSync(olderFile, JSON.stringify(older));
  const olderReport = await runCli(['report', olderFile]);
  assert.equal(olderReport.code, 0, olderReport.stderr);
  // The same lines without the failover section; the verdict still ends them.
  const withoutFailover = run.stdout.slice(0, run.stdout.indexOf('\nfailover:\n')) + run.stdout.slice(run.stdout.lastIndexOf('\nPASSED: '));
  assert.match(run.stdout, /\n\nPASSED: the threshold held\n$/);
  assert.equal(olderReport.stdout, withoutFailover);
});
