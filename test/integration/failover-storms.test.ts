/**
 * Issue 7's storms: serialization failures and deadlocks are retried and the money still adds up;
 * connection exhaustion (53300) while clients reconnect makes them back off and carry on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer, withClient as withServerClient } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema } from '../../src/report/result.js';

const server = await startTestServer({ settings: { deadlock_timeout: '20ms', max_connections: 12 } });
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-storms-'));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);

const withClient = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withServerClient(server.url, fn);

test('a serialization and deadlock storm is retried, and the balance invariant holds', async () => {
  await withClient((c) => c.query('create table acct (id int primary key, bal bigint not null); insert into acct select i, 1000 from generate_series(1, 4) i'));
  const script = join(dir, 'transfer.sql');
  writeFileSync(
    script,
    [
      '\\set a random(1, 4)',
      '\\set b random(1, 4)',
      '\\set amt random(1, 10)',
      'BEGIN ISOLATION LEVEL REPEATABLE READ;',
      'UPDATE acct SET bal = bal - :amt WHERE id = :a;',
      'SELECT pg_sleep(0.002);',
      'UPDATE acct SET bal = bal + :amt WHERE id = :b;',
      'END;',
      '',
    ].join('\n'),
  );
  const json = join(dir, 'storm.json');
  const r = await runCli(['run', '--url', server.url, '-f', script, '-c', '6', '-T', '4', '--max-tries', '1000', '--no-observe', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const s = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8'))).summary;
  assert.ok(s.retried > 0, 'conflicts were retried');
  assert.ok(s.errors.deadlock + s.errors.serialization <= 6, `only transactions cut off at the end may fail: ${JSON.stringify(s.errors)}`);
  assert.ok(s.transactions > 50);
  const sum = await withClient(async (c) => Number((await c.query<{ s: string }>('select sum(bal) as s from acct')).rows[0]!.s));
  assert.equal(sum, 4000, 'transfers never create or destroy money, whatever was retried');
});

test('connection exhaustion (53300) while clients reconnect: they back off and carry on', async () => {
  const json = join(dir, 'exhaust.json');
  const held: pg.Client[] = [];
  const grab = async (): Promise<boolean> => {
    const c = new pg.Client({ connectionString: server.url, application_name: 'hog' });
    try {
      await c.connect();
      held.push(c);
      return true;
    } catch {
      await c.end().catch(() => undefined);
      return false;
    }
  };
  // The storm starts at the first progress line (1 s into the measured phase), when every client is connected.
  let running!: () => void;
  const started = new Promise<void>((res) => (running = res));
  const run = runCli(['run', '--url', server.url, '-b', 'select-only', '-c', '4', '-T', '6', '-P', '1', '-n', '--no-observe', '--json', json], {
    onStderr: (chunk) => {
      if (chunk.includes('progress:')) running();
    },
  });
  try {
    await Promise.race([started, run]);
    // Take every free slot, then kill pgsurge's sessions and take their slots too before they return.
    while (await grab());
    await held[0]!.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'pgsurge' and pid <> pg_backend_pid()");
    for (let i = 0; i < 8; i++) await grab();
    await new Promise((res) => setTimeout(res, 1500));
  } finally {
    for (const c of held) await c.end().catch(() => undefined);
  }
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  assert.ok(result.summary.reconnects >= 1, `clients came back: ${result.summary.reconnects}`);
  assert.match(result.summary.firstErrors.capacity ?? '', /too many clients|remaining connection slots/i, JSON.stringify(result.summary.firstErrors));
  const last = result.intervals[result.intervals.length - 1]!;
  assert.ok(last.transactions > 0, 'transactions flowed again after the slots were released');
});
