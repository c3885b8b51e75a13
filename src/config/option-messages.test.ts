/**
 * Messages speak the user's words: every problem with an option names it as typed (`-R/--rate`,
 * `--max-queue`) and never an internal field name (`rateHz`, `maxQueue`, `thinkTime`). The test
 * walks the option table, gives each option values a user might mistype, and checks every message.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PgsurgeError } from '../errors.js';
import { resolveRunRequest } from './run-config.js';
import { RUN_OPTIONS, optionKey, optionLabel, type RunOptionSpec } from './run-options.js';
import { runConfigSchema } from './run-schema.js';
import { loadModelOf, type LoadKnobs } from '../executor/registry.js';

const options: readonly RunOptionSpec[] = RUN_OPTIONS;

/** Internal names: RunConfig's fields and the options' value keys, where they differ from what users type. */
const INTERNAL = new Set(
  [...Object.keys(runConfigSchema.shape), ...options.map((o) => optionKey(o.long))].filter((n) => /[a-z][A-Z]/.test(n) && !options.some((o) => o.long === n)),
);

/**
 * Every internal name in `text`: a camelCase field, a sub-field after an option (`--think-time.ms`),
 * or the schema library's own wording.
 */
function internalNames(text: string): string[] {
  return [
    ...(text.match(/[A-Za-z]+/g) ?? []).filter((w) => INTERNAL.has(w)),
    ...(text.match(/--[a-z-]+\.[A-Za-z0-9.]+/g) ?? []),
    ...(text.match(/Too (small|big)|Invalid input|expected number/g) ?? []),
  ];
}

/** The lines a user sees for `fn`'s usage error. */
function linesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgsurgeError, `not a PgsurgeError: ${String(e)}`);
    assert.equal(e.exitCode, 2);
    return [e.message, ...e.details];
  }
  return [];
}

const BAD_VALUES = [
  '',
  'x',
  '-1',
  '0',
  '0s',
  '0s:5',
  '1s:5,0s:3',
  '0/s',
  '1.5',
  '1e999',
  'NaN',
  '10 ms',
  '=',
  '5/s/s',
  '99999999999999999999',
  '--',
  'a=b=c',
  '1:2:3',
];

test('the internal names the check looks for include the ones users reported', () => {
  for (const n of ['rateHz', 'maxQueue', 'thinkTime', 'latencyLimitMs', 'durationMs']) assert.ok(INTERNAL.has(n), n);
});

test('every option: a bad value is reported naming the option as typed, never an internal name', () => {
  const seen: string[] = [];
  for (const o of options) {
    if (o.kind !== 'value' && o.kind !== 'list') continue;
    const key = optionKey(o.long);
    for (const v of BAD_VALUES) {
      const values: Record<string, unknown> = { [key]: o.kind === 'list' ? [v] : v };
      for (const line of linesOf(() => resolveRunRequest(values))) {
        seen.push(line);
        assert.deepEqual(internalNames(line), [], `--${o.long} ${JSON.stringify(v)}: ${line}`);
      }
    }
  }
  assert.ok(seen.length > 20, 'bad values were refused');
});

test('conflicts and requests of the wrong shape also speak of options, not fields', () => {
  const cases: readonly Record<string, unknown>[] = [
    { thinkTime: '50ms', rate: '100' },
    { thinkTimeDist: 'exponential' },
    { latencyLimit: '10' },
    { time: '1', transactions: '5' },
    { rate: '100', transactions: '5' },
    { warmup: '1s', transactions: '5' },
    { stages: '1s:5', time: '1' },
    { maxQueue: 0, client: true },
  ];
  for (const c of cases) {
    for (const line of linesOf(() => resolveRunRequest(c))) assert.deepEqual(internalNames(line), [], `${JSON.stringify(c)}: ${line}`);
  }
});

test('a value refused by its parser names the option as typed, letter and all', () => {
  for (const o of options) {
    if (o.kind !== 'value' || o.parse.name === 'text') continue;
    const lines = linesOf(() => resolveRunRequest({ [optionKey(o.long)]: 'x?' }));
    if (lines.length === 0) continue; // a value this option takes (a path, a name)
    assert.ok(lines[0]!.startsWith(`${optionLabel(o)}: `) || lines.some((l) => l.startsWith(`${optionLabel(o)}: `)), `--${o.long}: ${lines.join(' | ')}`);
  }
});

test("the load models' own checks speak of options too", () => {
  const knobs = { stagesAreRates: false, arrivals: 'poisson', maxQueue: 1, threads: 1 } as const;
  const broken: LoadKnobs[] = [
    { ...knobs, stagesAreRates: true, rateHz: -1, maxQueue: 0 },
    { ...knobs, durationMs: 1000, transactionsPerClient: 5 },
    { ...knobs },
    { ...knobs, thinkTime: { ms: 0, dist: 'fixed' } },
    { ...knobs, stages: [] },
  ];
  for (const k of broken) {
    for (const line of linesOf(() => loadModelOf(k))) assert.deepEqual(internalNames(line), [], `${JSON.stringify(k)}: ${line}`);
  }
});
