import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILURE_CLASSES, FailureIndex } from '../metrics/types.js';
import { classifyError } from './classify.js';

const cases: [string, string, FailureIndex][] = [
  ['40001', 'could not serialize access', FailureIndex.Serialization],
  ['40P01', 'deadlock detected', FailureIndex.Deadlock],
  ['08006', 'connection failure', FailureIndex.Connection],
  ['08P01', 'protocol violation', FailureIndex.Connection],
  ['ECONNRESET', 'read ECONNRESET', FailureIndex.Connection],
  ['ECONNREFUSED', 'connect ECONNREFUSED', FailureIndex.Connection],
  ['EPIPE', 'write EPIPE', FailureIndex.Connection],
  ['', 'Connection terminated unexpectedly', FailureIndex.Connection],
  ['57P01', 'terminating connection due to administrator command', FailureIndex.Connection],
  ['57P02', 'crash shutdown', FailureIndex.Connection],
  ['57P03', 'the database system is starting up', FailureIndex.Connection],
  ['57014', 'canceling statement due to statement timeout', FailureIndex.Timeout],
  ['55P03', 'could not obtain lock', FailureIndex.Timeout],
  ['PGSURGE_TIMEOUT', 'client-side timeout', FailureIndex.Timeout],
  ['25006', 'cannot execute INSERT in a read-only transaction', FailureIndex.ReadOnly],
  ['53300', 'too many clients', FailureIndex.Capacity],
  ['53100', 'disk full', FailureIndex.Capacity],
  ['23505', 'duplicate key', FailureIndex.Constraint],
  ['23503', 'foreign key violation', FailureIndex.Constraint],
  ['42601', 'syntax error', FailureIndex.Other],
  ['22012', 'division by zero', FailureIndex.Other],
  ['XX000', 'internal error', FailureIndex.Other],
];

for (const [code, message, expected] of cases) {
  test(`classifyError(${code || JSON.stringify(message)}) → ${FAILURE_CLASSES[expected]}`, () => {
    assert.equal(FAILURE_CLASSES[classifyError(code, message)], FAILURE_CLASSES[expected]);
  });
}
