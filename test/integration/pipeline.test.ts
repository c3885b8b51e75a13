/**
 * pgbench's pipeline mode for real: statements between \startpipeline and \endpipeline go out
 * without waiting, so behind a slow link a pipelined transaction costs one round trip, not one per
 * statement; errors inside a pipeline fail the transaction and the run goes on.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, firstRow, withClient } from '../helpers/server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema } from '../../src/report/result.js';

const server = await startTestServer();
const proxy = await startFaultProxy({ host: server.host, port: server.port });
after(() => proxy.close());
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-pipeline-'));
await firstRow(server.url, 'create table pipe (client int, n int)');
const viaProxy = `postgres://postgres@127.0.0.1:${proxy.port}/pgsurge`;

function script(name: string, pipelined: boolean): string {
  const f = join(dir, name);
  const inserts = Array.from({ length: 10 }, (_, i) => `INSERT INTO pipe VALUES (:client_id, ${i});`);
  writeFileSync(f, (pipelined ? ['\\startpipeline', ...inserts, '\\endpipeline'] : inserts).join('\n') + '\n');
  return f;
}

test('a pipelined transaction takes one round trip behind a slow link; the rows are the same', async () => {
  proxy.delay(5);
  try {
    const run = async (file: string, json: string) => {
      const r = await runCli(['run', '--url', viaProxy, '-f', file, '-c', '2', '-t', '5', '-M', 'prepared', '--no-observe', '--json', json]);
      assert.equal(r.code, 0, r.stderr);
      return resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8'))).summary;
    };
    const before = Number((await firstRow(server.url, 'select count(*) as n from pipe'))['n']);
    const serial = await run(script('serial.sql', false), join(dir, 'serial.json'));
    const piped = await run(script('piped.sql', true), join(dir, 'piped.json'));
    const after = Number((await firstRow(server.url, 'select count(*) as n from pipe'))['n']);
    assert.equal(after - before, 200, 'both runs inserted their 10 rows per transaction');
    // 10 statements at ≥ 10 ms a round trip, against one round trip (plus the Sync).
    assert.ok(serial.latencyMs.p50! >= 90, `serial p50 ${serial.latencyMs.p50} ms`);
    assert.ok(piped.latencyMs.p50! < 40, `pipelined p50 ${piped.latencyMs.p50} ms`);
  } finally {
    proxy.heal();
  }
});

test('an error inside a pipeline fails the transaction, and -M simple refuses pipelines', async () => {
  await withClient(server.url, (c) => c.query('create table pipe_unique (id int primary key); insert into pipe_unique values (1)'));
  const f = join(dir, 'bad.sql');
  writeFileSync(f, ['\\startpipeline', 'INSERT INTO pipe VALUES (:client_id, 100);', 'INSERT INTO pipe_unique VALUES (1);', '\\endpipeline', ''].join('\n'));
  const json = join(dir, 'bad.json');
  const r = await runCli(['run', '--url', server.url, '-f', f, '-c', '1', '-t', '3', '--no-observe', '--json', json]);
  assert.equal(r.code, 1, 'no transaction succeeded');
  const s = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8'))).summary;
  assert.equal(s.errors.constraint, 3);
  const simple = await runCli(['run', '--url', server.url, '-f', f, '-M', 'simple', '-t', '1']);
  assert.equal(simple.code, 2);
  assert.match(simple.stderr, /pipeline mode needs -M extended or -M prepared/);
  // Checked with the workloads, before a throwaway server would start (no --url, no PG*).
  const noUrl = await runCli(['run', '-f', f, '-M', 'simple', '-t', '1']);
  assert.equal(noUrl.code, 2);
  assert.match(noUrl.stderr, /pipeline mode needs -M extended or -M prepared/);
  assert.doesNotMatch(noUrl.stderr, /throwaway/, 'no server was started');
});
