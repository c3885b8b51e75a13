import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { createServer, type AddressInfo } from 'node:net';
import { freePort, startLocalServer } from './server.js';

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

test('a port taken between finding it free and the server binding it: the server starts on another', async () => {
  // Someone else holds this port, as another process may grab one just found free.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const taken = (holder.address() as AddressInfo).port;
  const offered: number[] = [];
  let server: Awaited<ReturnType<typeof startLocalServer>> | undefined;
  try {
    server = await startLocalServer({
      settings: { fsync: 'off' },
      choosePort: async () => {
        const port = offered.length === 0 ? taken : await freePort();
        offered.push(port);
        return port;
      },
    });
    assert.equal(offered[0], taken);
    assert.equal(offered.length, 2, 'one more port was tried');
    assert.equal(server.port, offered[1]);
    const c = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      assert.equal((await c.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
    } finally {
      await c.end();
    }
  } finally {
    await server?.stop();
    holder.close();
  }
});
