/**
 * A run as a user that does not own pgbench's tables: the pre-run housekeeping is refused (TRUNCATE
 * pgbench_history needs the owner or the TRUNCATE privilege) and the user gets one line naming the
 * step, the table and the fix, exit 2, before any load; with -n the run goes ahead.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { startTestServer, withClient } from '../helpers/server.js';

const server = await startTestServer();
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
await withClient(server.url, async (c) => {
  await c.query("create role runner login password 'runner-s3cret'");
  await c.query('grant select, insert, update on pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history to runner');
  await c.query("create role blind login password 'blind-s3cret'");
});

function urlAs(user: string, password: string): string {
  const u = new URL(server.url);
  u.username = user;
  u.password = password;
  return u.toString();
}
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

test('without -n: one line naming the refused truncate, the table and the fix; exit 2; no password', async () => {
  const r = await runCli(['run', '-T', '1', '--url', urlAs('runner', 'runner-s3cret')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^pgsurge: the pre-run truncate of pgbench_history was refused \(permission denied for table pgbench_history\): skip the pre-run vacuum with -n\/--no-vacuum, or run as the owner of the pgbench tables\n$/,
  );
  assert.doesNotMatch(r.stderr, STACK_LINE);
  assert.ok(!r.stderr.includes('runner-s3cret') && !r.stdout.includes('runner-s3cret'));
});

test('with -n the same user runs, as the message says', async () => {
  const r = await runCli(['run', '-n', '-T', '1', '-b', 'select-only', '--url', urlAs('runner', 'runner-s3cret')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /transactions: +[\d,]+ ok/);
});

test('a user who cannot even read the tables gets one line naming the table', async () => {
  const r = await runCli(['run', '-n', '-T', '1', '--url', urlAs('blind', 'blind-s3cret')]);
  assert.notEqual(r.code, 0, r.stderr);
  assert.match(r.stderr, /^pgsurge: could not read the scale from pgbench_branches: permission denied for table pgbench_branches\n$/);
  assert.doesNotMatch(r.stderr, STACK_LINE);
});
