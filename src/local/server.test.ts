import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startLocalServer } from './server.js';

test('a throwaway server starts on loopback, serves queries, and is removed on stop', async () => {
  const server = await startLocalServer({ settings: { fsync: 'off' } });
  try {
    assert.equal(server.host, '127.0.0.1');
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    const r = await c.query<{ db: string; n: number }>('select current_database() as db, 1 + 1 as n');
    assert.deepEqual(r.rows[0], { db: 'pgsurge', n: 2 });
    await c.end();
    assert.ok(existsSync(server.dataDir));
  } finally {
    await server.stop();
  }
  assert.equal(existsSync(server.dataDir), false, 'data directory removed');
  const c = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
  await assert.rejects(c.connect(), /ECONNREFUSED/);
});
