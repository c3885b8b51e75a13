import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startLocalServer, type LocalServer } from './server.js';

async function query(server: LocalServer, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

test('with PGSURGE_INITDB_CACHE, servers started at once share one template and are independent copies', async () => {
  const cache = mkdtempSync(join(tmpdir(), 'initdb-cache-test-'));
  chmodSync(cache, 0o755);
  const saved = process.env['PGSURGE_INITDB_CACHE'];
  process.env['PGSURGE_INITDB_CACHE'] = cache;
  const servers: LocalServer[] = [];
  try {
    // Three at once on an empty cache: each may make a template, one of them is kept.
    const started = await Promise.allSettled([0, 1, 2].map(() => startLocalServer({ settings: { fsync: 'off' } })));
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    assert.deepEqual(
      started.map((s) => s.status),
      ['fulfilled', 'fulfilled', 'fulfilled'],
    );
    const homes = readdirSync(cache);
    assert.equal(homes.length, 1, `one template per binaries and user: ${homes.join(', ')}`);
    assert.deepEqual(readdirSync(join(cache, homes[0] ?? '')), ['data'], 'no staging directory is left');
    const template = join(cache, homes[0] ?? '', 'data');
    const made = statSync(join(template, 'PG_VERSION')).mtimeMs;

    const [a, b] = servers as [LocalServer, LocalServer];
    await query(a, 'create table only_in_a (x int)');
    const inB = await query(b, "select count(*)::int as n from pg_class where relname = 'only_in_a'");
    assert.equal(inB.rows[0].n, 0, 'a table made in one copy is not in another');
    assert.equal(statSync(a.dataDir).mode & 0o777, 0o700, 'the copy keeps initdb’s private mode');

    // A fourth server copies the finished template without making it again.
    const d = await startLocalServer({ settings: { fsync: 'off' } });
    servers.push(d);
    assert.equal((await query(d, 'select 1 as one')).rows[0].one, 1);
    assert.equal(statSync(join(template, 'PG_VERSION')).mtimeMs, made, 'template reused');
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    if (saved === undefined) delete process.env['PGSURGE_INITDB_CACHE'];
    else process.env['PGSURGE_INITDB_CACHE'] = saved;
    rmSync(cache, { recursive: true, force: true });
  }
});
