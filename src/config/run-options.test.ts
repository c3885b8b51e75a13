import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RUN_OPTIONS, RUN_WORKLOADS_ARGUMENT, optionKey, optionLabel, runOptionByKey, type RunOptionSpec } from './run-options.js';
import { runConfigSchema } from './run-schema.js';

const options: readonly RunOptionSpec[] = RUN_OPTIONS;

test('every RunConfig field has an option (or the WORKLOAD argument) that fills it, and every option fills fields of RunConfig', () => {
  const fields = new Set(Object.keys(runConfigSchema.shape));
  const filled = new Set<string>([...RUN_WORKLOADS_ARGUMENT.fills, ...options.flatMap((o) => o.fills)]);
  assert.deepEqual(
    [...fields].filter((f) => !filled.has(f)),
    [],
    'fields without an option',
  );
  assert.deepEqual(
    [...filled].filter((f) => !fields.has(f)),
    [],
    'options filling no field of the schema',
  );
  for (const o of options) assert.ok(o.fills.length > 0, `--${o.long} fills no field`);
});

test('an option that is not derived fills exactly one field (it is copied there as it is)', () => {
  for (const o of options) if (o.derived !== true) assert.equal(o.fills.length, 1, `--${o.long}`);
});

test("pgbench's letters keep their long names", () => {
  const letters = Object.fromEntries(options.filter((o) => o.short !== undefined).map((o) => [o.short, o.long]));
  assert.deepEqual(letters, {
    b: 'builtin',
    f: 'file',
    c: 'client',
    j: 'jobs',
    T: 'time',
    t: 'transactions',
    R: 'rate',
    L: 'latency-limit',
    P: 'progress',
    M: 'protocol',
    s: 'scale',
    D: 'define',
    n: 'no-vacuum',
    r: 'report-per-command',
  });
});

test('names, keys and labels: unique, and as commander and the messages write them', () => {
  const longs = options.map((o) => o.long);
  assert.equal(new Set(longs).size, longs.length, 'long names are unique');
  const keys = options.map((o) => optionKey(o.long));
  assert.equal(new Set(keys).size, keys.length, 'keys are unique');
  assert.equal(optionKey('max-queue'), 'maxQueue');
  assert.equal(optionKey('report-per-command'), 'reportPerCommand');
  assert.equal(optionKey('no-vacuum'), 'vacuum');
  assert.equal(optionLabel(runOptionByKey('rate')!), '-R/--rate');
  assert.equal(optionLabel(runOptionByKey('maxQueue')!), '--max-queue');
  assert.equal(runOptionByKey('nope'), undefined);
});

test('defaults parse with their own parser', () => {
  for (const o of options) {
    if (o.kind === 'value' && o.default !== undefined) assert.doesNotThrow(() => o.parse(o.default!, optionLabel(o)), `--${o.long} default "${o.default}"`);
  }
});
