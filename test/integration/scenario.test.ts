/**
 * Scenario files: several workloads at once, each with its own load model and start time,
 * reported per scenario and per transaction type, and invalid files that report every problem
 * with its path and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema } from '../../src/report/result.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-scenario-'));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);

test('two scenarios run concurrently with their own load and start, and are reported separately', async () => {
  const file = join(dir, 'two.yaml');
  writeFileSync(
    file,
    [
      'duration: 6s',
      'scenarios:',
      '  readers:',
      '    workload: select-only',
      '    rate: 300/s',
      '    arrivals: uniform',
      '  writer:',
      '    workload: [simple-update@1]',
      '    clients: 2',
      '    start: 2s',
      '    duration: 2s',
      '',
    ].join('\n'),
  );
  const json = join(dir, 'two.json');
  const r = await runCli(['run', file, '--url', server.url, '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const raw = JSON.parse(readFileSync(json, 'utf8')) as { scenarios: Record<string, { transactions: number; tps: number; activeS: number }> };
  const result = resultV1Schema.parse(raw);
  assert.equal(result.intervals.length, 6);
  assert.deepEqual(Object.keys(result.transactionTypes).sort(), ['readers/select-only', 'writer/simple-update']);
  const readers = raw.scenarios['readers']!;
  const writer = raw.scenarios['writer']!;
  assert.ok(Math.abs(readers.transactions - 1800) <= 3, `readers: 300/s for 6 s, got ${readers.transactions}`);
  assert.equal(writer.activeS, 2);
  assert.equal(readers.transactions + writer.transactions, result.summary.transactions);
  // The writer ran only in seconds 2–4: each interval's per-type figures show it (a transaction in
  // flight at 4 s may end in the next interval, at most one per client).
  const writes = result.intervals.map((i) => i.types?.['writer/simple-update']?.transactions ?? 0);
  const reads = result.intervals.map((i) => i.types?.['readers/select-only']?.transactions ?? 0);
  assert.deepEqual([writes[0], writes[1], writes[5]], [0, 0, 0], `writer only in seconds 2-4: ${writes.join(', ')}`);
  assert.ok(writes[2]! > 0 && writes[3]! > 0 && writes[4]! <= 2, `writer in seconds 2-4: ${writes.join(', ')}`);
  assert.ok(
    reads.every((n) => n > 0),
    `readers in every interval: ${reads.join(', ')}`,
  );
  assert.match(r.stdout, /readers\/select-only/);
});

test('an invalid scenario file reports every problem with its path and line', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    [
      'scenarios:',
      '  readers:',
      '    workload: select-only',
      '    rate: fast',
      '  writer:',
      '    workload: no-such-thing',
      '    clients: -2',
      '    start: soon',
      '',
    ].join('\n'),
  );
  const r = await runCli(['run', file, '--url', server.url]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /scenarios\.writer\.clients: .*\(line 7\)/);
  // zod rejects the shape first; fix that and the values are checked, all at once.
  writeFileSync(
    file,
    [
      'scenarios:',
      '  readers:',
      '    workload: select-only',
      '    rate: fast',
      '  writer:',
      '    workload: no-such-thing',
      '    clients: 2',
      '    start: soon',
      '',
    ].join('\n'),
  );
  const r2 = await runCli(['run', file, '--url', server.url]);
  assert.equal(r2.code, 2, r2.stderr);
  assert.match(r2.stderr, /scenarios\.readers\.rate: .*invalid rate "fast".*\(line 4\)/);
  assert.match(r2.stderr, /scenarios\.writer\.start: .*invalid duration "soon".*\(line 8\)/);
  assert.match(r2.stderr, /needs a duration/);
  assert.match(r2.stderr, /unknown workload "no-such-thing"/);
  assert.doesNotMatch(r2.stderr, /\n\s+at /, 'no stack trace');

  const clash = await runCli(['run', file, '-c', '4', '-T', '5']);
  assert.equal(clash.code, 2);
  assert.match(clash.stderr, /leave out -c, -T/);
});
