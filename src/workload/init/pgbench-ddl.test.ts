/**
 * The statements and rows themselves, checked against pgbench.c's text; the end-to-end equality
 * with a real `pgbench -i` lives in ../builtin/pgbench-init.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRows } from './copy-rows.js';
import { createTablesSql, primaryKeysSql, rangePartitionAids, type DdlOptions } from './pgbench-ddl.js';
import { formatCount, formatDuration, formatInitProgress, rowRate } from './progress.js';

const BASE: DdlOptions = { scale: 1, unlogged: false, fillfactor: 100, partitions: 0, partitionMethod: 'none' };

test('tables as pgbench creates them', () => {
  assert.deepEqual(createTablesSql(BASE), [
    'create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,filler char(22))',
    'create table pgbench_tellers(tid int not null,bid int,tbalance int,filler char(84)) with (fillfactor=100)',
    'create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) with (fillfactor=100)',
    'create table pgbench_branches(bid int not null,bbalance int,filler char(88)) with (fillfactor=100)',
  ]);
});

test('bigint aid from scale 20000, unlogged, tablespace quoted', () => {
  const sql = createTablesSql({ ...BASE, scale: 20_000, unlogged: true, tablespace: 'my "ts"' });
  assert.equal(
    sql[2],
    'create unlogged table pgbench_accounts(aid bigint not null,bid int,abalance int,filler char(84)) with (fillfactor=100) tablespace "my ""ts"""',
  );
  assert.match(sql[0] ?? '', /aid bigint,delta/);
});

test('range partitions: open ends, bounds rounded up like pgbench', () => {
  const sql = createTablesSql({ ...BASE, scale: 1, partitions: 3, partitionMethod: 'range', fillfactor: 90 });
  assert.equal(sql[2], 'create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) partition by range (aid)');
  assert.deepEqual(sql.slice(4), [
    'create table pgbench_accounts_1\n  partition of pgbench_accounts\n  for values from (minvalue) to (33335) with (fillfactor=90)',
    'create table pgbench_accounts_2\n  partition of pgbench_accounts\n  for values from (33335) to (66669) with (fillfactor=90)',
    'create table pgbench_accounts_3\n  partition of pgbench_accounts\n  for values from (66669) to (maxvalue) with (fillfactor=90)',
  ]);
  assert.deepEqual(
    [1, 2, 3].map((p) => rangePartitionAids(1, 3, p)),
    [
      { first: 1, last: 33334 },
      { first: 33335, last: 66668 },
      { first: 66669, last: 100000 },
    ],
  );
});

test('hash partitions', () => {
  const sql = createTablesSql({ ...BASE, unlogged: true, partitions: 2, partitionMethod: 'hash' });
  assert.equal(
    sql[5],
    'create unlogged table pgbench_accounts_2\n  partition of pgbench_accounts\n  for values with (modulus 2, remainder 1) with (fillfactor=100)',
  );
});

test('primary keys with an index tablespace', () => {
  assert.equal(primaryKeysSql('ix')[2], 'alter table pgbench_accounts add primary key (aid) using index tablespace "ix"');
});

test('COPY rows as pgbench sends them', () => {
  assert.equal(formatRows('branches', 1, 2).toString(), '1\t0\t\\N\n2\t0\t\\N\n');
  assert.equal(formatRows('tellers', 10, 2).toString(), '10\t1\t0\t\\N\n11\t2\t0\t\\N\n');
  assert.equal(formatRows('accounts', 99_999, 3).toString(), '99999\t1\t0\t\n100000\t1\t0\t\n100001\t2\t0\t\n');
  assert.equal(formatRows('accounts', 2_000_000_000, 1).toString(), '2000000000\t20000\t0\t\n');
});

test('progress line', () => {
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1234), '1.23k');
  assert.equal(formatCount(5_000_000), '5.00M');
  assert.equal(formatDuration(75), '1m15s');
  assert.equal(
    formatInitProgress({ step: 'client-side generate', table: 'pgbench_accounts', rows: 2_500_000, totalRows: 5_000_000, elapsedS: 2 }),
    'client-side generate pgbench_accounts [##########..........]  50%  2.50M/5.00M rows  1.25M rows/s  ETA 2.0s',
  );
  assert.match(formatInitProgress({ step: 'vacuum', table: '', rows: 0, totalRows: 0, elapsedS: 0.5 }), /^vacuum done in 0\.5s$/);
});

test('load rates only over rows loaded in measured time: no fake rate for a step that loaded nothing or took no time', () => {
  assert.equal(rowRate(1_000_000, 2), 500_000);
  assert.equal(rowRate(0, 2), null);
  assert.equal(rowRate(1_000_000, 0), null);
  assert.equal(rowRate(1_000_000, 0.0001), null);
  assert.equal(
    formatInitProgress({ step: 'server-side generate', table: 'pgbench_accounts', rows: 1_000_000, totalRows: 2_000_000, elapsedS: 0 }),
    'server-side generate pgbench_accounts [##########..........]  50%  1.00M/2.00M rows  - rows/s  ETA ?',
  );
});
