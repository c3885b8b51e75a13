/**
 * The stand-in's guesses of result column names. Each expected list is what PostgreSQL 17 named
 * that statement's columns (checked with `pg` against a real server when this was written).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resultColumns } from './stand-in-columns.js';

test('result columns are named as PostgreSQL names them', () => {
  const cases: [string, string[] | null][] = [
    ['SELECT abalance FROM pgbench_accounts WHERE aid = $1', ['abalance']],
    ['select count(*) from pgbench_branches', ['count']],
    [`select 1 as one, 2 two, 'x' "Three"`, ['one', 'two', 'Three']],
    [`select 1 "a""b", 2 "c,d"`, ['a"b', 'c,d']],
    ['select a.abalance::text, a.bid b from pgbench_accounts a limit 1', ['abalance', 'b']],
    ['select 1 + 1, sum(bid) total, max(aid)::int from pgbench_accounts', ['?column?', 'total', 'max']],
    ['insert into pgbench_history (tid, bid, aid, delta, mtime) values ($1, 1, 1, 0, now()) returning tid, mtime as t', ['tid', 't']],
    ['with x as (select 1 as n) select n, (select 2) as m from x', ['n', 'm']],
    ['select case when true then 1 else 2 end, coalesce(null, 3)', ['case', 'coalesce']],
    ['select distinct on (bid) bid, aid from pgbench_accounts order by bid limit 1', ['bid', 'aid']],
    ['select abalance is null, pg_catalog.now() from pgbench_accounts limit 1', ['?column?', 'now']],
    ["select e'a,b' as s, $$x,y$$ t, -- c, d\n/* e, f */ 3 u", ['s', 't', 'u']],
    ['update pgbench_tellers set tbalance = tbalance + $1 where tid = $2', null],
    ['BEGIN', null],
  ];
  for (const [sql, names] of cases) assert.deepEqual(resultColumns(sql), names, sql);
});
