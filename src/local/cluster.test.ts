import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startCluster } from './cluster.js';
import { findClusterBinDir } from './pg-node.js';

const FAST = { fsync: 'off', full_page_writes: 'off' } as const;

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

test('a binDir without pg_basebackup is refused with what is missing', () => {
  assert.throws(() => findClusterBinDir('/nonexistent'), /no initdb, pg_ctl, postgres, pg_basebackup/);
});

// Top-level await: after() then belongs to the file and runs even when a test fails.
const cluster = await startCluster({ replicas: 2, settings: FAST });
after(() => cluster.stop());

test('async replicas: data written on the primary appears on both, which are in recovery', async () => {
  assert.equal(cluster.replicas.length, 2);
  assert.match(cluster.urls.multiHost, /^postgres:\/\/postgres@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/pgsurge$/);
  await query(cluster.urls.primary, 'CREATE TABLE t (id int PRIMARY KEY)');
  await query(cluster.urls.primary, 'INSERT INTO t SELECT generate_series(1, 100)');
  await cluster.waitForReplication();
  for (const url of cluster.urls.replicas) {
    const [row] = await query<{ n: number; r: boolean }>(url, 'SELECT count(*)::int AS n, pg_is_in_recovery() AS r FROM t');
    assert.deepEqual(row, { n: 100, r: true });
  }
  const [p] = await query<{ r: boolean }>(cluster.urls.primary, 'SELECT pg_is_in_recovery() AS r');
  assert.equal(p?.r, false);
  const slots = await query<{ slot_name: string; active: boolean }>(cluster.urls.primary, 'SELECT slot_name, active FROM pg_replication_slots ORDER BY 1');
  assert.deepEqual(slots, [
    { slot_name: 'pg1', active: true },
    { slot_name: 'pg2', active: true },
  ]);
});

test('terminateBackends ends client sessions on the primary', async () => {
  const c = new pg.Client({ connectionString: cluster.urls.primary });
  const errors: Error[] = [];
  c.on('error', (e) => errors.push(e));
  await c.connect();
  const n = await cluster.terminateBackends();
  assert.ok(n >= 1, `terminated ${n}`);
  await assert.rejects(c.query('SELECT 1'));
  await c.end().catch(() => undefined);
});

test('kill primary, promote replica 0: it accepts writes, and the other replica follows it', async () => {
  await cluster.killPrimary();
  assert.equal(cluster.primary.pid(), undefined, 'old primary is down');
  const promoted = await cluster.promote(0);
  assert.equal(cluster.currentPrimary.name, promoted.name);
  // pg_ctl promote -w returns once the node is out of recovery.
  await query(promoted.url, 'INSERT INTO t VALUES (101)');
  const [row] = await query<{ n: number; r: boolean }>(promoted.url, 'SELECT count(*)::int AS n, pg_is_in_recovery() AS r FROM t');
  assert.deepEqual(row, { n: 101, r: false });
  await cluster.waitForReplication();
  const other = cluster.replicas[1];
  assert.ok(other !== undefined);
  const [o] = await query<{ n: number }>(other.url, 'SELECT count(*)::int AS n FROM t');
  assert.equal(o?.n, 101, 'the other replica replays the new timeline');
});

test('stop() stops every node and removes the directories', async () => {
  const c = await startCluster({ replicas: 1, settings: FAST });
  const dirs = c.nodes.map((n) => n.dataDir);
  assert.ok(dirs.every((d) => existsSync(d)));
  await c.stop();
  assert.ok(dirs.every((d) => !existsSync(d)));
  assert.ok(c.nodes.every((n) => n.pid() === undefined));
  await c.stop(); // twice is fine
});

test('sync: a commit waits for the standby (blocks while it is stopped)', async () => {
  const c = await startCluster({ replicas: 1, sync: true, settings: FAST });
  try {
    const [s] = await query<{ s: string }>(c.urls.primary, "SELECT current_setting('synchronous_standby_names') AS s");
    assert.equal(s?.s, 'ANY 1 (pg1)');
    await query(c.urls.primary, 'CREATE TABLE s (id int)');
    const replica = c.replicas[0];
    assert.ok(replica !== undefined);
    await c.stopNode(replica, 'fast');
    // statement_timeout does not cover the wait for the standby (it is disarmed before the commit),
    // so a client-side timeout shows the block, and pg_stat_activity says why.
    const cl = new pg.Client({ connectionString: c.urls.primary, query_timeout: 1000 });
    cl.on('error', () => undefined);
    await cl.connect();
    await assert.rejects(cl.query('INSERT INTO s VALUES (1)'), /timeout/i);
    const waiting = await query<{ w: string }>(c.urls.primary, "SELECT wait_event AS w FROM pg_stat_activity WHERE query LIKE 'INSERT INTO s%'");
    assert.deepEqual(waiting, [{ w: 'SyncRep' }]);
    await cl.end().catch(() => undefined);
    await c.startNode(replica);
    await query(c.urls.primary, 'INSERT INTO s VALUES (2)'); // acknowledged again once the standby is back
  } finally {
    await c.stop();
  }
});

test('behind PgBouncer: a promotion re-targets it, and writes through the same URL reach the new primary', async (t) => {
  if (!existsSync(process.env['PGBOUNCER'] ?? '/usr/sbin/pgbouncer')) return t.skip('pgbouncer is not installed (npm run test:deps)');
  const c = await startCluster({ replicas: 1, pgbouncer: true, settings: FAST });
  try {
    const via = c.urls.pgbouncer!;
    // Clients prove a password to the pooler: the login role's, not trust.
    const url = new URL(via);
    assert.equal(url.username, 'app');
    assert.ok(url.password.length >= 16);
    await assert.rejects(query(via.replace(`:${url.password}@`, '@'), 'SELECT 1'), /password|SASL|authentication/i);
    await assert.rejects(query(via.replace(`:${url.password}@`, ':wrong@'), 'SELECT 1'), /password authentication failed|SASL/i);
    assert.equal(c.state().login?.user, 'app');
    await query(via, 'CREATE TABLE w (a int)');
    await query(via, 'INSERT INTO w VALUES (1)');
    await c.waitForReplication();
    await c.killPrimary();
    const promoted = await c.promote(0);
    // PgBouncer reloads on SIGHUP in its own time: the first connections may still meet the old address.
    let row: { port: number; r: boolean } | undefined;
    for (let i = 0; i < 100 && row?.port !== promoted.port; i++) {
      row = (await query<{ port: number; r: boolean }>(via, 'SELECT inet_server_port() AS port, pg_is_in_recovery() AS r').catch(() => []))[0];
      if (row?.port !== promoted.port) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(row, { port: promoted.port, r: false });
    await query(via, 'INSERT INTO w VALUES (2)');
    const [n] = await query<{ n: number }>(promoted.url, 'SELECT count(*)::int AS n FROM w');
    assert.equal(n?.n, 2);
  } finally {
    await c.stop();
  }
});
