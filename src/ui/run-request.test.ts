import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formFields, RequestError, resolveRequest } from './run-request.js';

const problemsOf = (body: unknown): Map<string | null, string> => {
  try {
    resolveRequest(body);
  } catch (e) {
    if (e instanceof RequestError) return new Map(e.problems.map((p) => [p.field, p.message]));
    throw e;
  }
  return new Map();
};

test('a request: each problem named by its JSON field, in the CLI words', () => {
  const p = problemsOf({ time: '10s', transactions: '5', maxQueue: 'x', stages: 'bad', scale: '-1' });
  assert.match(p.get('maxQueue') ?? '', /--max-queue/);
  assert.match(p.get('stages') ?? '', /--stages/);
  assert.match(p.get('scale') ?? '', /-s\/--scale/);
  // "-T and -t cannot be used together" concerns -T first: the field of the first option it names.
  assert.match(p.get('time') ?? '', /-T and -t cannot be used together/);
});

test('a request may not name files or start processes on the machine; workloads are the built-in ones', () => {
  for (const key of [
    'file',
    'scenario',
    'out',
    'json',
    'html',
    'csv',
    'log',
    'pgBin',
    'fleet',
    'remoteCommand',
    'sshOption',
    'prometheus',
    'shard',
    'coordinated',
    'target',
    'repeat',
    'ui',
  ])
    assert.match(problemsOf({ [key]: 'x' }).get(key) ?? '', /not available from the page or the API/, key);
  assert.match(problemsOf({ workloads: ['/tmp/evil.ts'] }).get('workloads') ?? '', /not a built-in workload/);
  assert.match(problemsOf({ workloads: ['x.sql'] }).get('workloads') ?? '', /not a built-in workload/);
  assert.equal(problemsOf({ workloads: ['select-only@2', 'tpcb-like', 'purchases'] }).size, 0);
  assert.equal(problemsOf({ workloads: ['se'] }).size, 0, "pgbench's unambiguous prefixes are built-in names too");
  assert.match(problemsOf([1]).get(null) ?? '', /expected a JSON object/);
});

test('the form: every field a request may set, none naming files, with choices where the option has them', () => {
  const fields = formFields();
  const keys = fields.map((f) => f.key);
  assert.equal(new Set(keys).size, keys.length);
  for (const f of fields) assert.equal(problemsOf({ [f.key]: f.kind === 'flag' ? true : undefined }).get(f.key), undefined, f.key);
  assert.deepEqual(fields.find((f) => f.key === 'arrivals')?.choices, ['uniform', 'poisson']);
  assert.ok(fields.find((f) => f.key === 'workloads')?.choices?.includes('purchases'));
  assert.equal(fields.find((f) => f.key === 'vacuum')?.default, true, '--no-vacuum: vacuum is on unless unchecked');
});
