/**
 * `pgsurge local`: up → status → kill-primary → promote → the promoted node takes writes → down,
 * and afterwards nothing of that cluster runs and its directories are gone. The cluster outlives
 * each command, so `after` tears it down whatever failed (down, then by hand from the state file).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { readState } from '../../src/local/state.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-cli-local-'));
const stateFile = join(dir, 'state.json');
const env = cleanEnv({ PGSURGE_LOCAL_STATE: stateFile });
const local = (...args: string[]): ReturnType<typeof runCli> => runCli(['local', ...args], { env, timeoutMs: 90_000 });
let baseDir: string | undefined;

/** Processes whose command line names `path` (zombies, which only wait to be reaped, do not count). */
function processesUnder(path: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (!readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(path)) continue;
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8'))) continue;
      pids.push(Number(p));
    } catch {
      /* gone meanwhile */
    }
  }
  return pids;
}

after(async () => {
  if (existsSync(stateFile)) {
    const state = readState(stateFile);
    await local('down').catch(() => undefined);
    // If down failed too: kill what the state names, remove its directories.
    if (state !== undefined) {
      for (const pid of processesUnder(state.baseDir)) process.kill(pid, 'SIGKILL');
      if (state.pgbouncer !== undefined) for (const pid of processesUnder(state.pgbouncer.dir)) process.kill(pid, 'SIGKILL');
      rmSync(state.baseDir, { recursive: true, force: true });
      if (state.pgbouncer !== undefined) rmSync(state.pgbouncer.dir, { recursive: true, force: true });
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const url = (out: string, label: string): string => {
  const m = new RegExp(`^${label}\\s+(postgres://\\S+)`, 'm').exec(out);
  assert.ok(m?.[1] !== undefined, `no ${label} URL in:\n${out}`);
  return m[1];
};

test('without a cluster: status and promote say so (exit 1), bad --replicas is a usage error (exit 2)', async () => {
  const s = await local('status');
  assert.equal(s.code, 1);
  assert.match(s.stderr, /no local cluster .*pgsurge local up/);
  assert.equal((await local('promote')).code, 1);
  const bad = await local('up', '--replicas', 'x');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--replicas must be an integer/);
  // A pooler setting of pgsurge's own, or for a pooler that is not started, is refused before anything starts.
  const own = await local('up', '--pgbouncer', '--pgbouncer-setting', 'listen_port=1');
  assert.equal(own.code, 2);
  assert.match(own.stderr, /--pgbouncer-setting: listen_port is pgsurge's to set/);
  const without = await local('up', '--pgpool-setting', 'num_init_children=4');
  assert.equal(without.code, 2);
  assert.match(without.stderr, /--pgpool-setting needs --pgpool/);
  assert.equal(existsSync(stateFile), false, 'nothing was started');
  assert.equal((await local('down')).code, 0, 'down without a cluster is a no-op');
});

test('up → status → kill-primary → promote → writes on the new primary → down', async () => {
  const up = await local(
    'up',
    '--replicas',
    '1',
    '--pgbouncer',
    '--server-setting',
    'max_connections=123',
    '--pgbouncer-setting',
    'default_pool_size=7',
    '--pgbouncer-setting',
    'max_client_conn=321',
  );
  assert.equal(up.code, 0, up.stderr);
  const primary = url(up.stdout, 'primary');
  const replica = url(up.stdout, 'replica 1');
  // --server-setting reaches every node (a standby needs max_connections at least the primary's).
  for (const u of [primary, replica]) assert.deepEqual(await sql(u, 'SHOW max_connections'), [{ max_connections: '123' }]);
  // The pooler's URL is printed without its password, which `local password` gives alone.
  assert.match(up.stdout, /^pgbouncer {2}postgres:\/\/app@127\.0\.0\.1:\d+\/pgsurge {2}\(password: pgsurge local password\)$/m);
  const password = (await local('password')).stdout.trim();
  assert.match(password, /^[\w-]{20,}$/);
  const bouncer = url(up.stdout, 'pgbouncer').replace('app@', `app:${password}@`);
  // The URL a client follows a promotion with: every node, and only a read-write one is taken.
  assert.match(url(up.stdout, 'read-write'), /^postgres:\/\/postgres@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/pgsurge\?target_session_attrs=read-write$/);
  assert.match(url(up.stdout, 'reads'), /^postgres:\/\/postgres@127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/pgsurge\?target_session_attrs=prefer-standby$/);
  assert.doesNotMatch(up.stdout, /^multi-host/m);
  baseDir = readState(stateFile)?.baseDir;
  assert.ok(baseDir !== undefined && existsSync(baseDir));

  // The command has exited; the cluster still serves, also through PgBouncer.
  await sql(bouncer, 'CREATE TABLE t (id int)');
  // A run through it keeps the pooler's settings as its console says them: those given to local up.
  const script = join(dir, 'one.sql');
  writeFileSync(script, 'SELECT 1;\n');
  const json = join(dir, 'through-bouncer.json');
  const pooled = await runCli(['run', '-f', script, '-M', 'extended', '-c', '2', '-T', '1s', '-n', '--no-observe', '--url', bouncer, '--json', json], { env });
  assert.equal(pooled.code, 0, pooled.stderr);
  const pooler = (JSON.parse(readFileSync(json, 'utf8')) as { target: { pooler?: Record<string, unknown> } }).target.pooler;
  assert.deepEqual(
    { ...pooler, version: undefined, maxPreparedStatements: undefined },
    {
      kind: 'pgbouncer',
      version: undefined,
      poolMode: 'transaction',
      poolSize: 7,
      maxClientConn: 321,
      maxPreparedStatements: undefined,
    },
  );
  assert.match(pooled.stdout, /^pooler: +PgBouncer 1\.\d+\.\d+, transaction pooling, pool_size 7, max_client_conn 321/m);
  await sql(primary, 'INSERT INTO t VALUES (1)');
  assert.ok(processesUnder(baseDir).length > 0);
  // Asynchronous replication: wait until the replica has the row before the primary is killed.
  const replicated = async (): Promise<boolean> => (await sql<{ n: number }>(replica, 'SELECT count(*)::int AS n FROM t').catch(() => []))[0]?.n === 1; // 42P01 until CREATE TABLE arrives
  for (let i = 0; i < 100 && !(await replicated()); i++) await new Promise((r) => setTimeout(r, 50));

  const status = await local('status');
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^pg0\s+primary\s+pid \d+/m);
  assert.match(status.stdout, /^pg1\s+replica\s+pid \d+/m);
  assert.match(status.stdout, /^pgbouncer\s+running/m);
  assert.match(status.stdout, /^read-write postgres:\/\/\S+\?target_session_attrs=read-write$/m);

  const kill = await local('kill-primary');
  assert.equal(kill.code, 0, kill.stderr);
  assert.match((await local('status')).stdout, /^pg0\s+stopped/m);
  await assert.rejects(sql(primary, 'SELECT 1'), /ECONNREFUSED/);
  await assert.rejects(sql(replica, 'INSERT INTO t VALUES (2)'), /read-only/);

  const promote = await local('promote');
  assert.equal(promote.code, 0, promote.stderr);
  assert.match(promote.stdout, /promoted pg1/);
  await sql(replica, 'INSERT INTO t VALUES (2)');
  const rows = await sql<{ n: number }>(replica, 'SELECT count(*)::int AS n FROM t');
  assert.equal(rows[0]?.n, 2, 'the row written before the kill survived');
  // PgBouncer follows the promotion: the same URL writes on the new primary (after its reload).
  assert.match(promote.stdout, /^pgbouncer {2}now sends to pg1/m);
  let through: unknown;
  for (let i = 0; i < 100; i++) {
    through = await sql(bouncer, 'INSERT INTO t VALUES (3)').then(
      () => undefined,
      (e: unknown) => e,
    );
    if (through === undefined) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(through, undefined, String(through));

  assert.match((await local('status')).stdout, /^pg1\s+primary/m);
  assert.equal((await local('kill-primary')).code, 0, 'kill-primary now kills pg1');

  const down = await local('down');
  assert.equal(down.code, 0, down.stderr);
  assert.equal(existsSync(stateFile), false, 'state file removed');
  assert.equal(existsSync(baseDir), false, 'data directories removed');
  assert.deepEqual(processesUnder(baseDir), [], 'no server of that cluster runs');
});
