import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { pgBouncerVersion, startPgBouncer, supportsPreparedStatements } from './pgbouncer.js';
import { startTestServer } from '../../test/helpers/server.js';

const server = await startTestServer({ database: 'postgres' });
// Pool size 1: every client shares one server connection, which makes pooling visible.
const bouncer = await startPgBouncer({ targetHost: server.host, targetPort: server.port, poolMode: 'transaction', poolSize: 1 });
after(() => bouncer.stop());

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: bouncer.url(), connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

test('the version is read from pgbouncer --version', () => {
  const v = pgBouncerVersion();
  assert.match(v.text, /^PgBouncer \d+\.\d+\.\d+$/);
  assert.equal(bouncer.version.text, v.text);
  assert.equal(supportsPreparedStatements({ text: '', major: 1, minor: 20, patch: 1 }), false);
  assert.equal(supportsPreparedStatements({ text: '', major: 1, minor: 21, patch: 0 }), true);
  assert.equal(bouncer.preparedStatements, supportsPreparedStatements(v));
});

test('queries go through PgBouncer to the server', async () => {
  const c = await connect();
  const r = await c.query<{ port: number; n: number }>('SELECT inet_server_port() AS port, 40 + 2 AS n');
  assert.deepEqual(r.rows[0], { port: server.port, n: 42 });
  await c.end();
});

test('transaction pooling: two clients share one server connection between transactions', async () => {
  const a = await connect();
  const b = await connect();
  const pidA = (await a.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]?.p;
  const pidB = (await b.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]?.p;
  assert.equal(pidA, pidB);
  await a.end();
  await b.end();
});

test('named prepared statements in transaction mode: tracked per client only with max_prepared_statements (1.21+)', async () => {
  const a = await connect();
  const b = await connect();
  await a.query({ name: 's1', text: 'SELECT 1 AS one' });
  const second = b.query({ name: 's1', text: 'SELECT 1 AS one' }).then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'error',
  );
  // Before 1.21 the statement lives on the shared server connection: B's Parse collides (42P05).
  assert.equal(await second, bouncer.preparedStatements ? 'ok' : '42P05');
  await a.end();
  await b.end();
});

test('stop() ends it and removes its directory', async () => {
  const other = await startPgBouncer({ targetHost: server.host, targetPort: server.port, poolMode: 'session' });
  assert.ok(existsSync(other.dir));
  await other.stop();
  assert.equal(existsSync(other.dir), false);
  const c = new pg.Client({ connectionString: other.url(), connectionTimeoutMillis: 2000 });
  await assert.rejects(c.connect(), /ECONNREFUSED/);
});
