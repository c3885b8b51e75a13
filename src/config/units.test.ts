import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgsurgeError } from '../errors.js';
import { defaultClients, parseDefine, parseDefines, parseDurationMs, parsePositiveInt, parseRateHz, parseStages, stagesAreRatesOf } from './units.js';

test('durations: a bare number is seconds (pgbench), units add up', () => {
  assert.equal(parseDurationMs('10', '-T'), 10_000);
  assert.equal(parseDurationMs('1.5', '-T'), 1500);
  assert.equal(parseDurationMs('500ms', '-T'), 500);
  assert.equal(parseDurationMs('250us', '-T'), 0.25);
  assert.equal(parseDurationMs('2m', '-T'), 120_000);
  assert.equal(parseDurationMs('1h30m', '-T'), 5_400_000);
  assert.equal(parseDurationMs(' 30s ', '-T'), 30_000);
  for (const bad of ['', '10x', 'soon', '1m x', '-5s'])
    assert.throws(() => parseDurationMs(bad, '-T/--time'), { message: new RegExp(`^-T/--time: invalid duration "${bad}"`) });
});

test('rates: plain, k, M, /s', () => {
  assert.equal(parseRateHz('2000', '-R'), 2000);
  assert.equal(parseRateHz('8k', '-R'), 8000);
  assert.equal(parseRateHz('1.5K', '-R'), 1500);
  assert.equal(parseRateHz('8k/s', '-R'), 8000);
  assert.equal(parseRateHz('2M', '-R'), 2_000_000);
  assert.equal(parseRateHz('500/s', '-R'), 500);
  for (const bad of ['fast', '', '8 k', '-1']) assert.throws(() => parseRateHz(bad, '-R/--rate'), /-R\/--rate: invalid rate/);
});

test('positive integers', () => {
  assert.equal(parsePositiveInt('8', '-c'), 8);
  assert.equal(parsePositiveInt('0', '-x', 0), 0);
  for (const bad of ['0', 'x', '1.5', '-1', '99999999999999999999'])
    assert.throws(() => parsePositiveInt(bad, '-c/--client'), /-c\/--client: expected an integer ≥ 1/);
});

test('stages: DURATION:TARGET, "/s" makes them rates', () => {
  assert.deepEqual(parseStages('30s:1000,2m:8k,30s:0'), {
    stages: [
      { durationMs: 30_000, target: 1000 },
      { durationMs: 120_000, target: 8000 },
      { durationMs: 30_000, target: 0 },
    ],
    rates: undefined,
  });
  assert.equal(parseStages('10s:100/s').rates, true);
  assert.throws(() => parseStages('30s'), /--stages: invalid stage "30s"/);
  assert.throws(() => parseStages('xs:10', 'stages'), /stages: invalid duration/);
});

test('open or closed loop, and the default clients that follow', () => {
  assert.equal(stagesAreRatesOf(undefined, undefined), false);
  assert.equal(stagesAreRatesOf(undefined, 100), true);
  assert.equal(stagesAreRatesOf({ rates: undefined }, 100), true);
  assert.equal(stagesAreRatesOf({ rates: true }, undefined), true);
  assert.equal(defaultClients(true, undefined), 16);
  assert.equal(defaultClients(false, undefined), 1);
  assert.equal(
    defaultClients(false, [
      { durationMs: 1, target: 5 },
      { durationMs: 1, target: 0 },
    ]),
    5,
  );
});

test('-D NAME=VALUE', () => {
  assert.deepEqual(parseDefine('a=b=c'), ['a', 'b=c']);
  assert.throws(() => parseDefine('=x'), /-D: expected NAME=VALUE/);
  assert.deepEqual(parseDefines(['a=1', 'a=2', 'b=']), { a: '2', b: '' });
});

test('-D names follow pgbench: letters, digits, _ and non-ASCII, not starting with a digit', () => {
  assert.deepEqual(parseDefine('_a1=5'), ['_a1', '5']);
  assert.deepEqual(parseDefine('café=1'), ['café', '1']);
  assert.deepEqual(parseDefine('é=1'), ['é', '1']);
  for (const bad of ['1abc=5', 'a-b=1', 'a b=1', 'a.b=1', ':a=1']) {
    assert.throws(
      () => parseDefine(bad),
      (e: unknown) => e instanceof PgsurgeError && e.exitCode === 2 && e.message.startsWith(`-D ${bad}: invalid variable name`),
      bad,
    );
  }
  // what the user typed is shown escaped, on one line
  assert.throws(
    () => parseDefine('a\nb=1'),
    (e: unknown) => e instanceof PgsurgeError && e.message.includes('a\\x0ab') && !e.message.includes('\n'),
  );
});
