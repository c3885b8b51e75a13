import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgsurgeError } from '../errors.js';
import { loadScenarioFile, parseScenario } from './scenario.js';

function errorOf(fn: () => unknown): PgsurgeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgsurgeError, String(e));
    assert.equal(e.exitCode, 2);
    return e;
  }
  assert.fail('expected a usage error');
}

test('groups with their loads, defaults and the longest end as the duration', () => {
  const { groups, durationMs } = parseScenario(
    [
      'duration: 1m',
      'scenarios:',
      '  readers:',
      '    workload: select-only',
      '    rate: 900/s',
      '  writer:',
      '    workload: [x.sql@2, tpcb-like]',
      '    clients: 2',
      '    start: 30s',
      '    duration: 1m',
      '    define: { n: 5 }',
    ].join('\n'),
    's.yaml',
  );
  assert.equal(durationMs, 90_000);
  const [readers, writer] = groups;
  assert.deepEqual(readers, {
    name: 'readers',
    workloads: ['select-only'],
    clients: 16,
    threads: 1,
    rateHz: 900,
    arrivals: 'poisson',
    stages: undefined,
    stagesAreRates: true,
    startMs: 0,
    durationMs: 60_000,
    latencyLimitMs: undefined,
    maxQueue: 10_000,
    defines: {},
  });
  assert.equal(writer!.clients, 2);
  assert.equal(writer!.startMs, 30_000);
  assert.deepEqual(writer!.workloads, ['x.sql@2', 'tpcb-like']);
  assert.deepEqual(writer!.defines, { n: '5' });
});

test('every problem of a bad file at once, each naming the file and the line', () => {
  const e = errorOf(() =>
    parseScenario(['scenarios:', '  a:', '    workload: nope', '    rate: fast', '  b:', '    workload: select-only', '    clients: 0'].join('\n'), 'bad.yaml'),
  );
  assert.match(e.message, /^bad\.yaml: \d+ problems? in the scenario file:$/);
  assert.ok(e.details.length >= 1);
  for (const d of e.details) assert.match(d, /^bad\.yaml: scenarios\.[ab]/);
  const semantic = errorOf(() => parseScenario(['scenarios:', '  a:', '    workload: nope', '    rate: fast'].join('\n'), 'bad.yaml'));
  assert.equal(semantic.details.length, 3, JSON.stringify(semantic.details));
  assert.match(semantic.details[0]!, /^bad\.yaml: scenarios\.a\.rate: invalid rate "fast"/);
  assert.match(semantic.details[1]!, /^bad\.yaml: scenarios\.a: needs a duration/);
  assert.match(semantic.details[2]!, /^bad\.yaml: scenarios\.a\.workload: unknown workload "nope"/);
  assert.ok(
    semantic.details.every((d) => / \(line \d+\)$/.test(d)),
    JSON.stringify(semantic.details),
  );
});

test('a YAML syntax error and a missing file are one line naming the file', () => {
  const syntax = errorOf(() => parseScenario('scenarios: [\n', 'broken.yaml'));
  assert.match(syntax.message, /^broken\.yaml(:\d+:\d+)?: /);
  assert.deepEqual(syntax.details, []);
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-scenario-'));
  const missing = errorOf(() => loadScenarioFile(join(dir, 'nope.yaml')));
  assert.equal(missing.message, `cannot read scenario file ${join(dir, 'nope.yaml')}: no such file`);
  const f = join(dir, 'ok.json');
  writeFileSync(f, JSON.stringify({ duration: '5s', scenarios: { one: { workload: 'select-only' } } }));
  assert.equal(loadScenarioFile(f).durationMs, 5000);
});

test('threads above clients: one thread per client, and what the file asked', () => {
  const { groups } = parseScenario(
    [
      'duration: 1s',
      'scenarios:',
      '  few:',
      '    workload: select-only',
      '    clients: 2',
      '    threads: 5',
      '  fits:',
      '    workload: select-only',
      '    clients: 4',
      '    threads: 4',
    ].join('\n'),
    't.yaml',
  );
  assert.equal(groups[0]!.threads, 2);
  assert.equal(groups[0]!.threadsAsked, 5);
  assert.equal(groups[1]!.threads, 4);
  assert.equal('threadsAsked' in groups[1]!, false);
});
