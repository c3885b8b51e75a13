/**
 * Each failure class of DESIGN.md, provoked for real on a server, is counted under its class while
 * the run goes on (pgbench would abort the client; pgsurge counts and continues).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema } from '../../src/report/result.js';
import type { LocalServer } from '../../src/local/server.js';

// Top-level await: the server belongs to the file and is stopped after all of its tests.
const server: LocalServer = await startTestServer({ settings: { deadlock_timeout: '20ms' } });
let dir: string;

const SCRIPTS: Record<string, string> = {
  constraint: 'INSERT INTO uniq VALUES (1);\n',
  read_only: 'BEGIN READ ONLY;\nINSERT INTO scratch VALUES (1);\nEND;\n',
  timeout: "BEGIN;\nSET LOCAL statement_timeout = '5ms';\nSELECT pg_sleep(0.05);\nEND;\n",
  deadlock: [
    '\\set first 1 + :client_id % 2',
    '\\set second 2 - :client_id % 2',
    'BEGIN;',
    'UPDATE pair SET v = v + 1 WHERE id = :first;',
    'SELECT pg_sleep(0.02);',
    'UPDATE pair SET v = v + 1 WHERE id = :second;',
    'END;',
    '',
  ].join('\n'),
  capacity: "DO $$ BEGIN RAISE EXCEPTION 'insufficient resources (simulated)' USING ERRCODE = '53100'; END $$;\n",
  connection: 'SELECT pg_terminate_backend(pg_backend_pid());\n',
  other: 'SELECT 1/0;\n',
  ok: 'SELECT 1;\n',
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pgsurge-classes-'));
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('create table uniq (id int primary key); insert into uniq values (1)');
  await c.query('create table scratch (id int)');
  await c.query('create table pair (id int primary key, v int); insert into pair values (1, 0), (2, 0)');
  await c.end();
});

test('every failure class is classified, counted per transaction type, and the run continues', async () => {
  const args = ['run', '--url', server.url, '-c', '4', '-T', '3', '-n', '--json', join(dir, 'classes.json')];
  for (const [name, text] of Object.entries(SCRIPTS)) {
    const f = join(dir, `${name}.sql`);
    writeFileSync(f, text);
    args.push('-f', f);
  }
  const r = await runCli(args);
  assert.equal(r.code, 0, r.stderr);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8')));
  for (const cls of ['constraint', 'read_only', 'timeout', 'deadlock', 'capacity', 'connection', 'other'] as const) {
    const type = result.transactionTypes[`${cls}.sql`]!;
    assert.ok(type.errors[cls] > 0, `${cls}.sql failed as ${cls}: ${JSON.stringify(type.errors)}`);
    assert.ok(result.summary.errors[cls] > 0);
    assert.ok(result.summary.firstErrors[cls] !== undefined, `first ${cls} message kept`);
  }
  assert.ok(result.transactionTypes['ok.sql']!.transactions > 0, 'healthy transactions kept running');
  assert.equal(result.transactionTypes['ok.sql']!.failed, 0);
  assert.ok(result.summary.reconnects > 0, 'terminated connections were re-opened');
  assert.match(result.summary.firstErrors.other!, /division by zero/);
});
