import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgsurgeError } from '../errors.js';
import type { PoolerCheck } from '../observe/pooler.js';
import type { TxnProgram } from '../workload/types.js';
import { checkPooler, type PoolerCheckInput } from './pooler-check.js';

const bouncer = (over: Partial<Extract<PoolerCheck, { kind: 'pgbouncer' }>> = {}): PoolerCheck => ({
  kind: 'pgbouncer',
  version: 'PgBouncer 1.18.0',
  poolMode: 'transaction',
  maxClientConn: 1000,
  poolSize: 20,
  maxPreparedStatements: null,
  ...over,
});
const program = (...texts: string[]): TxnProgram =>
  ({
    name: 'w',
    file: 'w.sql',
    weight: 1,
    statements: texts.map((text, i) => ({ text, parts: [text], line: i + 1, wantsRows: false })),
  }) as unknown as TxnProgram;

function check(
  pooler: PoolerCheck,
  over: Partial<PoolerCheckInput> = {},
): { warnings: string[]; result?: { serverBoundsClients: boolean }; error?: PgsurgeError } {
  const warnings: string[] = [];
  try {
    const result = checkPooler({ pooler, where: 'b:6432', protocol: 'prepared', clients: 10, programs: [], warn: (l) => warnings.push(l), ...over });
    return { warnings, result };
  } catch (e) {
    return { warnings, error: e as PgsurgeError };
  }
}

test('-M prepared is refused only where named statements cannot survive: transaction or statement pooling without max_prepared_statements', () => {
  assert.equal(check(bouncer()).error?.code, 'POOLER_PREPARED');
  assert.equal(check(bouncer({ poolMode: 'statement' })).error?.code, 'POOLER_PREPARED');
  assert.match(check(bouncer({ version: 'PgBouncer 1.22.0', maxPreparedStatements: 0 })).error?.message ?? '', /its max_prepared_statements is 0/);
  assert.equal(check(bouncer({ version: 'PgBouncer 1.22.0', maxPreparedStatements: 200 })).error, undefined);
  assert.equal(check(bouncer({ poolMode: 'session' })).error, undefined);
  assert.equal(check(bouncer(), { protocol: 'extended' }).error, undefined);
  assert.deepEqual(check({ kind: 'direct' }).result, { serverBoundsClients: true });
  assert.deepEqual(check(bouncer({ poolMode: 'session' })).result, { serverBoundsClients: false });
});

test('something unreadable in between: a warning for -M prepared only', () => {
  const unknown: PoolerCheck = { kind: 'unknown', serverPort: 5432, why: 'not allowed' };
  assert.match(check(unknown).warnings[0] ?? '', /^b:6432 is not the server itself \(the server answers on port 5432\) .*-M extended works through any$/);
  assert.deepEqual(check(unknown, { protocol: 'extended' }).warnings, []);
});

test('session state in a script is named once per kind through transaction pooling; SET LOCAL and transaction-scoped locks are not', () => {
  const programs = [
    program('set local work_mem = 1', 'set transaction isolation level serializable', 'select pg_advisory_xact_lock(1)', 'SET search_path = a', 'set x.y = 2'),
    program('select pg_advisory_lock(7)', 'LISTEN ch', 'create temp table t (a int)'),
  ];
  const { warnings } = check(bouncer(), { protocol: 'extended', programs });
  assert.equal(warnings.length, 4, warnings.join('\n'));
  assert.match(warnings[0]!, /^w\.sql line 4 uses SET \(a session setting/);
  assert.match(warnings[1]!, /^w\.sql line 1 uses a session advisory lock/);
  assert.match(warnings[2]!, /^w\.sql line 2 uses LISTEN/);
  assert.match(warnings[3]!, /^w\.sql line 3 uses a temporary table/);
  assert.deepEqual(check(bouncer({ poolMode: 'session' }), { protocol: 'extended', programs }).warnings, []);
});

test("more clients than PgBouncer's max_client_conn are refused", () => {
  assert.match(
    check(bouncer(), { protocol: 'extended', clients: 1001 }).error?.message ?? '',
    /1001 clients is more than PgBouncer 1\.18\.0 at b:6432 takes: its max_client_conn is 1000/,
  );
});

test('Pgpool-II: clients past num_init_children are said (they wait for a child); -M prepared is not refused', () => {
  const pgpool: PoolerCheck = { kind: 'pgpool', version: 'Pgpool-II 4.3.5', children: 32, maxPool: 4 };
  const many = check(pgpool, { clients: 40 });
  assert.equal(many.error, undefined);
  assert.match(many.warnings[0] ?? '', /^40 clients through Pgpool-II 4\.3\.5 at b:6432, which serves 32 at once \(num_init_children\)/);
  assert.deepEqual(check(pgpool, { clients: 32 }).warnings, []);
});
