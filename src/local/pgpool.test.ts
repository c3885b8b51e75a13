import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { startCluster } from './cluster.js';
import { pgpoolVersion, readPoolNodes, startPgpool, type LocalPgpool, type PgpoolVersion, type PoolNode } from './pgpool.js';
import { withClient } from '../../test/helpers/server.js';

const FAST = { fsync: 'off', full_page_writes: 'off', max_connections: 100 } as const;
const USER = 'app';
const PASSWORD = 'pool:pass\\word';

let installed: PgpoolVersion | undefined;
try {
  installed = pgpoolVersion();
} catch {
  installed = undefined;
}
const skip = installed === undefined ? "Pgpool-II not found at /usr/sbin/pgpool: install Debian's pgpool2 package (npm run test:deps)" : false;

// Top-level await: after() then belongs to the file and runs even when a test or the set-up fails.
// Pgpool-II goes first: with its backends gone first it would only log failovers on the way out.
let pool: LocalPgpool | undefined;
const cluster = skip === false ? await startCluster({ replicas: 1, settings: FAST }) : undefined;
after(async () => {
  await pool?.stop();
  await cluster?.stop();
});
if (cluster !== undefined) {
  await withClient(cluster.urls.primary, async (c) => {
    await c.query("SET password_encryption = 'scram-sha-256'");
    // pg_monitor: the replication check sees pg_stat_replication, hence replication_state.
    await c.query(`CREATE ROLE ${USER} LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}' IN ROLE pg_monitor`);
    await c.query(`GRANT CREATE ON SCHEMA public TO ${USER}`);
  });
  await cluster.waitForReplication();
  pool = await startPgpool({
    primary: { host: cluster.primary.host, port: cluster.primary.port, name: cluster.primary.name },
    replicas: cluster.replicas.map((r) => ({ host: r.host, port: r.port, name: r.name })),
    users: { [USER]: PASSWORD },
    numInitChildren: 8,
  });
}

async function connect(password: string | undefined): Promise<pg.Client> {
  const c = new pg.Client({
    host: pool!.host,
    port: pool!.port,
    user: USER,
    database: 'pgsurge',
    connectionTimeoutMillis: 5000,
    ...(password === undefined ? {} : { password }),
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
  } catch (e) {
    await c.end().catch(() => undefined);
    throw e;
  }
  return c;
}

async function through<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const c = await connect(PASSWORD);
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function poolNodes(): Promise<PoolNode[]> {
  const c = await connect(PASSWORD);
  try {
    return await readPoolNodes(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

test('the version is read from pgpool --version', { skip }, () => {
  assert.match(installed!.text, /^pgpool-II version \d+\.\d+\.\d+$/);
  assert.deepEqual(pool!.version, installed);
  assert.notEqual(pool!.pcpPort, pool!.port);
});

test('clients authenticate with SCRAM: no password and a wrong one are refused, the right one gets in', { skip }, async () => {
  // Asked for SCRAM, the driver refuses to go on without a password: Pgpool-II did not trust the client.
  await assert.rejects(connect(undefined), /SASL|password/i);
  await assert.rejects(connect('wrong'), /authentication failed/);
  const c = await connect(PASSWORD);
  const r = await c.query<{ u: string }>('SELECT current_user AS u');
  assert.equal(r.rows[0]?.u, USER);
  await c.end();
});

test('a write goes to the primary and replicates', { skip }, async () => {
  await through('CREATE TABLE pooled (id int PRIMARY KEY)');
  const [row] = await through<{ port: number }>('INSERT INTO pooled VALUES (1) RETURNING inet_server_port() AS port');
  assert.equal(row?.port, cluster!.primary.port);
  await cluster!.waitForReplication();
  const onReplica = await withClient(
    cluster!.urls.replicas[0]!,
    async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pooled')).rows[0]?.n,
  );
  assert.equal(onReplica, 1);
});

test('read-only SELECTs are load-balanced: the replica answers some, and pgpool counts them', { skip }, async () => {
  const ports = new Set<number>();
  // A session's reads go to one node, chosen at connect (weights 1:1): fresh sessions spread them.
  for (let i = 0; i < 40 && ports.size < 2; i++) {
    const [row] = await through<{ port: number }>('SELECT inet_server_port() AS port');
    if (row !== undefined) ports.add(row.port);
  }
  assert.ok(ports.has(cluster!.replicas[0]!.port), `no read reached the replica (ports seen: ${[...ports].join(', ')})`);
  const replica = (await poolNodes()).find((n) => n.port === cluster!.replicas[0]!.port);
  assert.ok(replica !== undefined && replica.selectCnt > 0, JSON.stringify(replica));
});

test('readPoolNodes: both nodes up, primary and streaming standby', { skip }, async () => {
  // replication_state is filled by the replication check, once a second.
  const deadline = Date.now() + 5000;
  let nodes = await poolNodes();
  while (nodes[1]?.replicationState !== 'streaming' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    nodes = await poolNodes();
  }
  assert.deepEqual(
    nodes.map((n) => ({ id: n.nodeId, port: n.port, status: n.status, pgStatus: n.pgStatus, role: n.role, pgRole: n.pgRole, lbWeight: n.lbWeight })),
    [
      { id: 0, port: cluster!.primary.port, status: 'up', pgStatus: 'up', role: 'primary', pgRole: 'primary', lbWeight: 0.5 },
      { id: 1, port: cluster!.replicas[0]!.port, status: 'up', pgStatus: 'up', role: 'standby', pgRole: 'standby', lbWeight: 0.5 },
    ],
  );
  assert.equal(nodes[1]?.replicationState, 'streaming');
  assert.equal(nodes[1]?.replicationSyncState, 'async');
  assert.ok(Number.isFinite(nodes[1]?.replicationDelayBytes));
});

test('the primary dies and the replica is promoted: pgpool detaches the old one and writes go to the new one', { skip }, async () => {
  await cluster!.killPrimary();
  await cluster!.promote(0);
  const newPort = cluster!.replicas[0]!.port;
  // While pgpool searches for the primary its new sessions wait; it finds the promoted node within about a second.
  const deadline = Date.now() + 15_000;
  let port: number | undefined;
  let last = '';
  while (port !== newPort && Date.now() < deadline) {
    try {
      port = (await through<{ port: number }>('INSERT INTO pooled VALUES (2) RETURNING inet_server_port() AS port'))[0]?.port;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  assert.equal(port, newPort, `no write reached the promoted node within 15 s (last error: ${last})`);
  const nodes = await poolNodes();
  assert.deepEqual(
    nodes.map((n) => [n.status, n.role]),
    [
      ['down', 'standby'],
      ['up', 'primary'],
    ],
  );
});

test('stop() ends every pgpool process and removes its directory', { skip }, async () => {
  const { pid, dir, port } = pool!;
  assert.ok(existsSync(dir));
  await pool!.stop();
  assert.equal(existsSync(dir), false);
  // Its workers share the main process's group: none may be left.
  assert.throws(() => process.kill(-pid, 0), /ESRCH/);
  const c = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'pgsurge', connectionTimeoutMillis: 2000 });
  await assert.rejects(c.connect(), /ECONNREFUSED/);
});
