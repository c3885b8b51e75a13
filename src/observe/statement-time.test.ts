import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinStatementTimes, statementDeltas, unavailableOf } from './statement-time.js';
import type { StatementCounters } from './server-queries.js';

const counters = (query: string, calls: number, execMs: number, more: Partial<StatementCounters> = {}): StatementCounters => ({
  query,
  calls,
  execMs,
  planMs: 0,
  rows: calls,
  sharedBlksHit: 3 * calls,
  sharedBlksRead: 0,
  ...more,
});

test('the join: deltas per entry, summed per shape, given to every statement of that shape', () => {
  const start = { planningTracked: true, deallocs: 0, entries: new Map([['1', counters('SELECT abalance FROM pgbench_accounts WHERE aid = $1', 10, 5)]]) };
  const end = {
    planningTracked: true,
    deallocs: 0,
    entries: new Map([
      ['1', counters('SELECT abalance FROM pgbench_accounts WHERE aid = $1', 110, 55, { planMs: 1 })],
      ['2', counters('SELECT abalance FROM pgbench_accounts WHERE aid = $1', 20, 10)], // same shape, another query id
      ['3', counters('select pg_is_in_recovery()', 5, 1)], // not the workload's
      ['4', counters('END', 0, 0)], // no calls in the phase
    ]),
  };
  const deltas = statementDeltas(start, end);
  assert.deepEqual(
    deltas.map((d) => d.calls),
    [100, 20, 5],
  );
  const layout = {
    txnTypes: [
      { name: 'a', statements: ['SELECT abalance FROM pgbench_accounts WHERE aid = :aid', 'END'] },
      { name: 'b', statements: ['select abalance from pgbench_accounts where aid = :aid;'] },
    ],
  };
  const joined = joinStatementTimes(layout, deltas, true);
  assert.deepEqual(
    joined.map((j) => [j.type, j.statement, j.calls, j.execMsMean, j.planMsMean, j.sharedBy]),
    [
      ['a', 0, 120, 0.5, 0.0083, 2],
      ['b', 0, 120, 0.5, 0.0083, 2],
    ],
  );
  assert.equal(joinStatementTimes(layout, deltas, false)[0]?.planMsMean, null, 'planning not tracked: no planning time');
});

test('a missing extension says why and what to run', () => {
  const notLoaded = unavailableOf('h:5432', 'bench', { kind: 'not-preloaded', created: false });
  assert.ok(notLoaded.status === 'unavailable');
  assert.match(notLoaded.hint, /shared_preload_libraries.*restart the server, then run CREATE EXTENSION pg_stat_statements in database "bench"/);
  const createdNotLoaded = unavailableOf('h:5432', 'bench', { kind: 'not-preloaded', created: true });
  assert.ok(createdNotLoaded.status === 'unavailable');
  assert.doesNotMatch(createdNotLoaded.hint, /CREATE EXTENSION/, 'created already: only the library and the restart');
  const old = unavailableOf('h:5432', 'bench', { kind: 'too-old', versionNum: 120017 });
  assert.ok(old.status === 'unavailable');
  assert.match(old.reason, /PostgreSQL 12 is older than 13/);
  const notCreated = unavailableOf('h:5432', 'bench', { kind: 'not-created' });
  assert.ok(notCreated.status === 'unavailable');
  assert.match(notCreated.reason, /loaded but not created in database "bench"/);
});
