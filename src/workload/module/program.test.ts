import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StepKind, type TxnRunner } from '../types.js';
import type { WorkloadDefinition } from './api.js';
import { modulePrograms } from './program.js';
import { UserCodeMarks, userCodeMarks, userCodeRunning, USER_CODE_BYTES } from './user-code.js';

const FILE = '/somewhere/shop.ts';

/** The runner of a one-step transaction whose params() is `params`, at its first step. */
function firstStep(sql: string, params: () => unknown): { runner: TxnRunner; kind: StepKind } {
  const def = { transactions: { buy: { steps: [{ sql, params }] } } } as unknown as WorkloadDefinition;
  const [program] = modulePrograms(def, { name: 'shop', file: FILE, options: {}, weight: 1 });
  const runner = program!.createRunner({ clientId: 0, scale: 1, defines: {}, randomSeed: 1n });
  runner.begin();
  return { runner, kind: runner.next() };
}

test('params() that returns no array is refused with the module, the statement, what it returned and what is expected', () => {
  for (const [returned, shown] of [
    [{ a: 1 }, /returned an object \{"a":1\}/],
    ['42', /returned the string "42"/],
    [42, /returned the number 42/],
    [undefined, /returned undefined/],
    [Promise.resolve([1]), /returned a Promise \(it must compute its values without await\)/],
  ] as const) {
    const { runner, kind } = firstStep('select $1::int', () => returned);
    assert.equal(kind, StepKind.Error, `params() returning ${String(returned)} must fail the step`);
    assert.match(runner.error, /^shop\.ts: transaction "buy" step 1 \(select \$1::int\): params\(\) /);
    assert.match(runner.error, shown);
    assert.match(runner.error, /expected an array of the values of \$1…\$1$/);
  }
});

test('a parameter whose toString() throws becomes one error naming the parameter and the statement', () => {
  const bad = {
    toString(): string {
      throw new Error('no text for you\nsecond line');
    },
  };
  const { runner, kind } = firstStep('insert into t values ($1, $2)', () => [1, bad]);
  assert.equal(kind, StepKind.Error);
  assert.match(
    runner.error,
    /^shop\.ts: transaction "buy" step 1 \(insert into t values \(\$1, \$2\)\): parameter \$2: toString\(\) threw: .*no text for you$/,
  );
});

test('plain objects, arrays and symbols are refused as parameters; Dates and values with a text form are sent as text', () => {
  for (const [value, why] of [
    [{ a: 1 }, /parameter \$1: is an object \{"a":1\}: give JSON\.stringify\(value\)/],
    [[1, 2], /parameter \$1: is an array of 2: give a number, string/],
    [Symbol('s'), /parameter \$1: is a symbol/],
  ] as const) {
    const { runner, kind } = firstStep('select $1', () => [value]);
    assert.equal(kind, StepKind.Error);
    assert.match(runner.error, why);
  }
  const when = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
  const withText = { toString: () => 'custom' };
  const { runner, kind } = firstStep('select $1, $2, $3, $4, $5, $6', () => [when, withText, 1.5, true, 7n, undefined]);
  assert.equal(kind, StepKind.Query);
  assert.deepEqual(runner.params, ['2026-01-02T03:04:05.000Z', 'custom', '1.5', 'true', 7n, null]);
});

test('too few values name the highest placeholder', () => {
  const { runner, kind } = firstStep('select $1, $3', () => [1, 2]);
  assert.equal(kind, StepKind.Error);
  assert.match(runner.error, /the SQL uses \$3 but params\(\) returned 2 value\(s\)$/);
});

test('while a module function runs, its name can be read from the shared buffer; after it returns, none', () => {
  const buffer = new SharedArrayBuffer(USER_CODE_BYTES);
  userCodeMarks.attach(buffer);
  try {
    let seen: string | undefined;
    const { kind } = firstStep('select $1', () => {
      seen = userCodeRunning(buffer);
      return [1];
    });
    assert.equal(kind, StepKind.Query);
    assert.equal(seen, 'params() of transaction "buy" step 1 in shop.ts');
    assert.equal(userCodeRunning(buffer), undefined);
    // A throwing params() is left as well.
    firstStep('select $1', () => {
      throw new Error('x');
    });
    assert.equal(userCodeRunning(buffer), undefined);
  } finally {
    userCodeMarks.attach(new SharedArrayBuffer(USER_CODE_BYTES));
  }
});

test('names that do not fit in the buffer are still marked, and named generically', () => {
  const buffer = new SharedArrayBuffer(64);
  const marks = new UserCodeMarks();
  marks.attach(buffer);
  const first = marks.register('params() of a');
  const big = marks.register('x'.repeat(100));
  const after = marks.register('y');
  marks.enter(first);
  assert.equal(userCodeRunning(buffer), 'params() of a');
  marks.enter(big);
  assert.equal(userCodeRunning(buffer), 'a function of a workload module');
  marks.enter(after);
  assert.equal(userCodeRunning(buffer), 'a function of a workload module', 'not the name of another id');
  marks.leave();
  assert.equal(userCodeRunning(buffer), undefined);
});
