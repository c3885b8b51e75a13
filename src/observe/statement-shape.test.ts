import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statementShape } from './statement-shape.js';

const same = (a: string, b: string): void => assert.equal(statementShape(a), statementShape(b), `${a}  vs  ${b}`);
const differ = (a: string, b: string): void => assert.notEqual(statementShape(a), statementShape(b), `${a}  vs  ${b}`);

test('a script statement and what pg_stat_statements shows for it have one shape, in every protocol', () => {
  const script = 'UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;';
  same(script, 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2'); // -M extended / prepared
  same(script, 'update pgbench_accounts\n  set abalance = abalance + $1 where aid = $2'); // case, whitespace
  // -M simple: pgbench sends literals; the server normalises them (a negative literal's sign included).
  same('UPDATE pgbench_accounts SET abalance = abalance + -4711 WHERE aid = 17', 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2');
  same("INSERT INTO t (a, b, c, d) VALUES (:a, 'x''y', E'\\'q', 1.5e3) -- note", 'INSERT INTO t (a, b, c, d) VALUES ($1, $2, $3, $4)');
  same("select * from t where ts > now() - interval '1 day' and ok = true", 'select * from t where ts > now() - interval $1 and ok = $2');
  same('select x from t where id in (1, 2, -3)', 'select x from t where id in ($1 /*, ... */)'); // PostgreSQL 18 squashes lists
  same('select $$a;b$$ || $tag$c$tag$, :"v"', 'select $1 || $2, $3');
  same('select a::int /* c /* nested */ */ from "T"', 'SELECT a::int FROM "T"');
  same('BEGIN;', 'begin');
  same('END;', 'commit'); // one entry: the text it got first
  same('ABORT', 'rollback work');
  differ('BEGIN', 'commit');
  differ('select a from "T"', 'select a from "t"');
  differ('select a from t where b = :b', 'select a from t where c = :b');
  differ('SELECT abalance FROM pgbench_accounts WHERE aid = :aid', 'SELECT abalance FROM pgbench_accounts WHERE bid = :aid');
});
