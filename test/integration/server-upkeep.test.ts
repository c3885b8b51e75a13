/**
 * What a run leaves behind on the server, on a real one: a second session that sits idle in
 * transaction from the first progress line is named (pid, application, how long, its query), and a
 * table updated in full with autovacuum off shows table and index bloat at the start and the end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { resultV1Schema } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';
import { startTestServer, withClient } from '../helpers/server.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-upkeep-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
// Every row updated twice with nothing to vacuum them: two thirds of the heap are dead rows, and
// the primary key (the table has no free space for HOT updates at fill factor 100) has an entry per version.
await withClient(server.url, async (c) => {
  await c.query('alter table pgbench_accounts set (autovacuum_enabled = off)');
  await c.query('update pgbench_accounts set abalance = abalance + 1');
  await c.query('update pgbench_accounts set abalance = abalance + 1');
});

test('idle in transaction from the first progress line, and bloat: findings, JSON and summary', async () => {
  const json = join(dir, 'r.json');
  const idle = new pg.Client({ connectionString: server.url, application_name: 'held-open', connectionTimeoutMillis: 5000 });
  idle.on('error', () => undefined);
  let pid = -1;
  let opened: Promise<void> | undefined;
  try {
    const r = await runCli(['run', '-b', 'select-only', '--url', server.url, '-c', '2', '-T', '8', '-P', '1', '-n', '--json', json], {
      timeoutMs: 90_000,
      onStderr: (chunk) => {
        if (opened !== undefined || !chunk.includes('progress:')) return;
        opened = (async () => {
          await idle.connect();
          await idle.query('begin');
          const row = await idle.query<{ pid: number }>(
            "select abalance, pg_backend_pid() as pid from pgbench_accounts where aid = 1 and 'secret-value' <> ''",
          );
          pid = row.rows[0]!.pid;
        })();
      },
    });
    assert.equal(r.code, 0, r.stderr);
    await opened;
    const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
    const finding = result.findings?.find((f) => f.rule === 'idle-in-transaction');
    assert.ok(finding !== undefined, JSON.stringify(result.findings));
    assert.match(finding.message, new RegExp(`pid ${pid} \\(application_name 'held-open'\\) sat idle in transaction for \\d+\\.\\d s \\(bound 5 s`));
    // The query's shape (constants as ?), cut to 80 characters: a value in it never reaches the result.
    assert.match(finding.message, /last query "select abalance , pg_backend_pid \( \) as pid from pgbench_accounts where aid = \?/);
    assert.doesNotMatch(JSON.stringify(result), /secret-value/);
    const last = result.server.at(-1)!.hosts[0]!;
    assert.ok((last.transactions?.oldestIdleInXactS ?? 0) >= 5, JSON.stringify(last.transactions));
    assert.equal(last.transactions?.sessions[0]?.pid, pid);
    // The load's own short transactions are never listed.
    assert.ok(
      last.transactions?.sessions.every((s) => s.applicationName === 'held-open'),
      JSON.stringify(last.transactions),
    );

    const startBloat = result.serverFacts?.start.hosts[0]?.bloat;
    const endBloat = result.serverFacts?.end.hosts[0]?.bloat;
    for (const b of [startBloat, endBloat]) {
      const accounts = b?.tables.find((t) => t.name === 'pgbench_accounts');
      assert.ok(accounts !== undefined && (accounts.bloatRatio ?? 0) > 0.5 && (accounts.deadRatio ?? 0) > 0.5, JSON.stringify(b));
      const branches = b?.tables.find((t) => t.name === 'pgbench_branches');
      assert.ok(branches !== undefined, JSON.stringify(b));
      const pkey = b?.indexes.find((i) => i.name === 'pgbench_accounts_pkey');
      assert.ok(pkey !== undefined && (pkey.bloatRatio ?? 0) > 0.3, JSON.stringify(b));
    }
    assert.match(r.stdout, /table pgbench_accounts at the end of the run: an estimated \d+ % of its [\d.]+ MB is dead or free space/);
    assert.match(r.stdout, /index pgbench_accounts_pkey on pgbench_accounts at the end of the run/);
    assert.match(r.stdout, /sat idle in transaction/);
  } finally {
    await idle.end().catch(() => undefined);
  }
});
