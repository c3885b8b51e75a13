import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startFaultProxy } from './fault-proxy.js';
import { startTestServer } from './server.js';

const server = await startTestServer({ database: 'postgres' });
const proxy = await startFaultProxy({ host: server.host, port: server.port });
after(() => proxy.close());

function client(extra: Partial<pg.ClientConfig> = {}): pg.Client {
  const c = new pg.Client({ host: proxy.host, port: proxy.port, user: server.user, database: 'postgres', connectionTimeoutMillis: 2000, ...extra });
  c.on('error', () => undefined);
  return c;
}

test('a query goes through the proxy', async () => {
  const c = client();
  await c.connect();
  const r = await c.query<{ n: number }>('SELECT 41 + 1 AS n');
  assert.equal(r.rows[0]?.n, 42);
  assert.equal(proxy.connections(), 1);
  await c.end();
});

test('reset: the client sees ECONNRESET', async () => {
  const c = client();
  const errors: NodeJS.ErrnoException[] = [];
  c.on('error', (e) => errors.push(e));
  await c.connect();
  const q = c.query('SELECT pg_sleep(5)').then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e,
  );
  await new Promise((r) => setTimeout(r, 100));
  proxy.reset();
  const err = await q;
  assert.ok(err !== undefined, 'the query failed');
  assert.ok(
    [err, ...errors].some((e) => e.code === 'ECONNRESET'),
    `got ${err.code ?? ''} ${err.message}`,
  );
  assert.equal(proxy.connections(), 0);
  await c.end().catch(() => undefined);
});

test("blackhole: the client's own timeout fires; heal: traffic flows again", async () => {
  const c = client({ query_timeout: 300 });
  await c.connect();
  proxy.blackhole();
  const t0 = Date.now();
  await assert.rejects(c.query('SELECT 1'), /timeout/i);
  assert.ok(Date.now() - t0 >= 290);
  const fresh = client({ connectionTimeoutMillis: 300 });
  await assert.rejects(fresh.connect(), /timeout/i, 'a new connection gets no answer either');
  await proxy.heal();
  await c.end().catch(() => undefined);
  const d = client();
  await d.connect();
  assert.equal((await d.query('SELECT 1 AS one')).rows[0]?.one, 1);
  await d.end();
});

test('delay: a query takes at least the delay', async () => {
  const c = client();
  await c.connect();
  proxy.delay(150);
  const t0 = performance.now();
  await c.query('SELECT 1');
  const ms = performance.now() - t0;
  await proxy.heal();
  assert.ok(ms >= 150 * 2 - 5, `took ${ms.toFixed(0)} ms; the delay applies each way`);
  const t1 = performance.now();
  await c.query('SELECT 1');
  assert.ok(performance.now() - t1 < 100, 'healed: no delay');
  await c.end();
});

test('refuse: new connections get ECONNREFUSED, open ones keep working; heal listens again', async () => {
  const open = client();
  await open.connect();
  await proxy.refuse();
  await assert.rejects(client().connect(), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
  assert.equal((await open.query('SELECT 1 AS one')).rows[0]?.one, 1);
  await open.end();
  await proxy.heal();
  const c = client();
  await c.connect();
  await c.end();
});
