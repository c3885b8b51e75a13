/**
 * A PgBouncer in front of the target: the observer finds it (the server answers on another port),
 * reads its admin console on the interval grid, and `pool.waiting` judges it. The pool is made the
 * bound on purpose (2 server connections for 8 clients that each hold one for 20 ms of pg_sleep),
 * so the waits come from the pool's size, not from this machine's speed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { startPgBouncer } from '../../src/local/pgbouncer.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { startTestServer, withClient } from '../helpers/server.js';

const server = await startTestServer();
await withClient(server.url, (c) => c.query("create role app login password 'app-secret'"));
const installed = existsSync(process.env['PGBOUNCER'] ?? '/usr/sbin/pgbouncer');
// The run's user "postgres" may read the console; "app" may not.
const bouncer = installed
  ? await startPgBouncer({
      targetHost: server.host,
      targetPort: server.port,
      poolMode: 'transaction',
      poolSize: 2,
      users: { postgres: 'pg-secret', app: 'app-secret' },
      adminUsers: ['postgres'],
    })
  : undefined;
after(() => bouncer?.stop());
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-pooler-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const script = join(dir, 'sleep.sql');
writeFileSync(script, 'select pg_sleep(0.02);\n');
const viaBouncer = (user: string, password: string): string => `postgres://${user}:${password}@127.0.0.1:${bouncer!.port}/postgres`;

let runs = 0;
async function run(args: readonly string[]): Promise<{ r: CliRun; result: ResultV1 }> {
  const json = join(dir, `r${++runs}.json`);
  // -M extended: PgBouncer before 1.21 cannot keep named prepared statements in transaction mode.
  const r = await runCli(['run', '-n', '-f', script, '-M', 'extended', '--json', json, ...args]);
  assert.ok(existsSync(json), `no result written (exit ${r.code}):\n${r.stderr}`);
  return { r, result: resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8'))) };
}
const th = (...exprs: string[]): string[] => exprs.flatMap((e) => ['--threshold', e]);
const poolers = (result: ResultV1) =>
  result.server.flatMap((s) => s.hosts.flatMap((h) => (h.pooler?.kind !== 'pgbouncer' ? [] : [{ tS: s.tS, host: h.host, ...h.pooler }])));

test('an exhausted pool: clients wait, pool.waiting fails with the figure, the summary and a finding say the pool is the bound', async (t) => {
  if (bouncer === undefined) return t.skip('pgbouncer is not installed (npm run test:deps)');
  const { r, result } = await run(['--url', viaBouncer('postgres', 'pg-secret'), '-c', '8', '-T', '3', ...th('max(pool.waiting)<1', 'max(connections)<100%')]);
  assert.equal(r.code, 99, r.stderr);
  const p = poolers(result);
  assert.ok(p.length >= 2, `pool figures in every interval: ${JSON.stringify(result.server.map((s) => s.hosts.map((h) => h.host)))}`);
  assert.ok(
    p.every((x) => x.at === `127.0.0.1:${bouncer.port}` && x.kind === 'pgbouncer' && x.poolSize === 2 && x.poolMode === 'transaction'),
    JSON.stringify(p),
  );
  // The server panels come from the server behind the pooler, sampled directly, which carries the pool's figures.
  assert.deepEqual([...new Set(result.server.flatMap((s) => s.hosts.map((h) => h.host)))], [`127.0.0.1:${server.port}`]);
  assert.ok(p.every((x) => x.host === `127.0.0.1:${server.port}`));
  // 8 clients on 2 connections: about 6 wait at any moment; the figure is the mean over each interval.
  const worst = Math.max(...p.map((x) => x.waiting ?? 0));
  assert.ok(worst >= 2, `clients waiting ${worst}`);
  assert.ok(
    p.every((x) => (x.serversActive ?? 0) + (x.serversIdle ?? 0) <= 2),
    'never more server connections than the pool',
  );
  const byExpr = Object.fromEntries(result.thresholds.map((x) => [x.expr, x]));
  assert.equal(byExpr['max(pool.waiting)<1']?.ok, false);
  assert.match(byExpr['max(pool.waiting)<1']?.actual ?? '', /^[\d.]+ on 127\.0\.0\.1:\d+ at [\d.]+s$/);
  assert.doesNotMatch(r.stderr, /warning/, 'the server behind was reached');
  // The server behind the pooler still answers the server thresholds.
  assert.equal(byExpr['max(connections)<100%']?.ok, true);
  assert.match(r.stdout, /PgBouncer \d+\.\d+\.\d+ at 127\.0\.0\.1:\d+ \(transaction pooling, pool size 2\): clients waiting for a server [\d.]+ on average/);
  const finding = result.findings?.find((f) => f.rule === 'pool-wait');
  assert.ok(finding !== undefined, JSON.stringify(result.findings));
  assert.match(finding.message, /% of their mean latency .*pool size 2 for up to \d+ clients is the bound/);
  assert.match(r.stdout.trimEnd().split('\n').pop()!, /^FAILED: max\(pool\.waiting\)<1 \(actual [\d.]+ on 127\.0\.0\.1:\d+ at [\d.]+s\)$/);
});

test('a pool with room: one client never waits for long, pool.waiting holds', async (t) => {
  if (bouncer === undefined) return t.skip('pgbouncer is not installed (npm run test:deps)');
  const { r, result } = await run(['--url', viaBouncer('postgres', 'pg-secret'), '-c', '1', '-T', '2', ...th('max(pool.waiting)<1')]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.ok(poolers(result).length >= 1);
  assert.equal(
    result.findings?.some((f) => f.rule === 'pool-wait'),
    false,
    JSON.stringify(result.findings),
  );
  assert.match(r.stdout.trimEnd().split('\n').pop()!, /^PASSED/);
});

test('a console the user may not read: one warning that says what to do, pool.waiting n/a with the reason; the run goes on', async (t) => {
  if (bouncer === undefined) return t.skip('pgbouncer is not installed (npm run test:deps)');
  const { r, result } = await run(['--url', viaBouncer('app', 'app-secret'), '-c', '2', '-T', '1', ...th('max(pool.waiting)==0')]);
  assert.equal(r.code, 99, r.stderr);
  assert.ok(result.summary.transactions > 0);
  const warnings = r.stderr.split('\n').filter((l) => /admin console/.test(l));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(warnings[0]!, /is not the server itself .*did not let app in: .*add app to PgBouncer's stats_users/);
  assert.doesNotMatch(r.stderr, /app-secret/);
  assert.equal(poolers(result).length, 0);
  assert.match(result.thresholds[0]?.reason ?? '', /no PgBouncer admin console was found/);
});

test('a server reached directly has no pooler figures, and its log gets no connection to a "pgbouncer" database', async () => {
  const { r, result } = await run(['--url', server.url, '-c', '1', '-T', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(poolers(result).length, 0);
  assert.doesNotMatch(readFileSync(join(dirname(server.dataDir), 'server.log'), 'utf8'), /database "pgbouncer" does not exist/);
});

test('--find-limit through a pool of 2: the edge is at 2 clients, and the bound named is the pool', async (t) => {
  if (bouncer === undefined) return t.skip('pgbouncer is not installed (npm run test:deps)');
  // Closed loop from 1 client up to 6: 1 and 2 fit the pool, 4 and 3 wait for it.
  const search = '-c 6 --find-limit --find-limit-step 2s --interval 500ms -T 20'.split(' ');
  const { r, result } = await run(['--url', viaBouncer('postgres', 'pg-secret'), ...search, ...th('max(pool.waiting)<0.5')]);
  const limit = result.limit;
  assert.ok(limit !== undefined, r.stderr);
  assert.equal(limit.outcome, 'found', limit.line);
  assert.equal(limit.held?.target, 2, limit.line);
  assert.equal(limit.broke?.target, 3, limit.line);
  assert.equal(limit.bound?.kind, 'pool', limit.line);
  assert.match(limit.line, /bound: the pooler's pool: [\d.]+ clients waiting for a server connection on average, pool size 2 \(PgBouncer/);
  // The run's threshold is judged on the step that held.
  assert.equal(result.thresholds[0]?.ok, true, JSON.stringify(result.thresholds));
  assert.equal(r.code, 0, r.stderr);
});

test('-M prepared through PgBouncer in transaction pooling without max_prepared_statements: refused before any load, with the ways out', async (t) => {
  if (bouncer === undefined) return t.skip('pgbouncer is not installed (npm run test:deps)');
  if (bouncer.preparedStatements) return t.skip(`${bouncer.version.text} keeps prepared statements (max_prepared_statements): nothing to refuse`);
  const json = join(dir, 'prepared.json');
  const r = await runCli(['run', '-n', '-f', script, '-M', 'prepared', '-c', '2', '-T', '2', '--url', viaBouncer('postgres', 'pg-secret'), '--json', json]);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(
    lines[0]!,
    /-M prepared through PgBouncer 1\.\d+\.\d+ at 127\.0\.0\.1:\d+ in transaction pooling: .*use -M extended .* or -M simple, or give the database session pooling/,
  );
  assert.equal(existsSync(json), false, 'no run, no result');
});

test('through a pooler: a script that SETs is warned of once with its line; more clients than the server takes are not refused', async (t) => {
  if (bouncer === undefined) return t.skip('pgbouncer is not installed (npm run test:deps)');
  const setting = join(dir, 'set.sql');
  writeFileSync(setting, "-- a session setting\nset work_mem = '8MB';\nset local statement_timeout = '5s';\nselect 1;\n");
  // 110 clients: more than the server's max_connections (100), which only bounds PgBouncer's pool.
  const json = join(dir, 'set.json');
  const r = await runCli([
    'run',
    '-n',
    '-f',
    setting,
    '-M',
    'extended',
    '-c',
    '110',
    '-R',
    '50',
    '-T',
    '1',
    '--url',
    viaBouncer('postgres', 'pg-secret'),
    '--json',
    json,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => /warning: .*uses SET/.test(l));
  assert.equal(warnings.length, 1, r.stderr);
  assert.match(
    warnings[0]!,
    /set\.sql line 2 uses SET \(a session setting; SET LOCAL keeps it to the transaction\), and PgBouncer .* pools in transaction mode/,
  );
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  assert.ok(result.summary.transactions > 0);
  // Straight to the server, the same 110 clients are refused before any load.
  const direct = await runCli(['run', '-n', '-f', setting, '-c', '110', '-T', '1', '--url', server.url]);
  assert.equal(direct.code, 2, direct.stderr);
  assert.match(direct.stderr, /-c 110 is more than the server can take: max_connections is 100/);
});
