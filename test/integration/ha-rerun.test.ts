/**
 * ha-writes run again on the same database: its write ids start at 0 in every run, so each run
 * must start from empty tables, with --failover, with --verify-writes, and with neither.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-ha-rerun-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Summary {
  readonly transactions: number;
  readonly failed: number;
  readonly errors: Record<string, number>;
}

async function run(name: string, flags: readonly string[]): Promise<Summary> {
  const json = join(dir, `${name}.json`);
  const r = await runCli(['run', 'ha-writes', '--url', server.url, ...flags, '-c', '2', '-T', '1', '--no-observe', '--json', json]);
  assert.equal(r.code, 0, `${name}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  const summary = (JSON.parse(readFileSync(json, 'utf8')) as { summary: Summary }).summary;
  assert.ok(summary.transactions > 0, `${name}: ${JSON.stringify(summary)}`);
  assert.equal(summary.failed, 0, `${name}: ${JSON.stringify(summary.errors)}`);
  return summary;
}

test('two --failover runs, a plain run and a --verify-writes run in a row on one database: no duplicate keys', async () => {
  await run('failover-1', ['--failover']);
  await run('failover-2', ['--failover']);
  await run('plain', []);
  const verified = join(dir, 'verified.json');
  const r = await runCli(['run', 'ha-writes', '--url', server.url, '--verify-writes', '-c', '2', '-T', '1', '--no-observe', '--json', verified]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(verified, 'utf8')) as { summary: Summary; failover: { verification: { ok: boolean; unexpected: number } } };
  assert.equal(result.summary.failed, 0, JSON.stringify(result.summary.errors));
  assert.equal(result.failover.verification.ok, true, JSON.stringify(result.failover.verification));
  assert.equal(result.failover.verification.unexpected, 0);
});
