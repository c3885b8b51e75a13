/**
 * The inference-writes built-in from the CLI on a real server: init with options, a run with
 * client-side payloads (4 writes per request), server-side payloads of the asked sizes with the
 * rate-limit write turned off, the report figures, and reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer, withClient as withServerClient } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import type { ResultV1 } from '../../src/report/result.js';
import def from '../../src/workload/builtin/inference-writes.js';
import { resolveModuleOptions } from '../../src/workload/module/load.js';
import { collectWorkloadReports } from '../../src/workload/builtin/run-report.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-iw-'));

const withClient = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withServerClient(server.url, fn);
const one = (sql: string): Promise<Record<string, unknown>> => withClient(async (c) => (await c.query(sql)).rows[0] as Record<string, unknown>);
const readResult = (f: string): ResultV1 => JSON.parse(readFileSync(f, 'utf8')) as ResultV1;

test('client-side payloads: one transaction = 2 inserts + 2 upserts; report gives MB written and table sizes; reset empties', async () => {
  const init = await runCli(['init', 'inference-writes', '--url', server.url, '-D', 'buckets=50']);
  assert.equal(init.code, 0, init.stderr);
  const json = join(dir, 'client.json');
  const r = await runCli(['run', 'inference-writes', '--url', server.url, '-D', 'buckets=50', '-c', '4', '-t', '50', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(json);
  assert.equal(result.summary.transactions, 200);
  assert.equal(result.transactionTypes['inference-writes.request']!.transactions, 200);
  const counts = await one(`select (select count(*) from chat_inference)::int as chat, (select count(*) from model_inference)::int as model,
    (select count(*) from model_inference m join chat_inference c on c.id = m.inference_id)::int as linked,
    (select sum(requests) from resource_bucket)::int as bucket_requests, (select count(*) from resource_bucket)::int as buckets,
    (select count(*) from variant_by_episode)::int as variants, (select avg(octet_length(input::text)) from chat_inference)::float8 as input_bytes`);
  assert.equal(counts['chat'], 200);
  assert.equal(counts['model'], 200);
  assert.equal(counts['linked'], 200, 'each model_inference row points at its chat_inference row');
  assert.equal(counts['bucket_requests'], 200);
  assert.ok((counts['buckets'] as number) <= 50 * 4);
  assert.ok((counts['variants'] as number) > 0);
  assert.ok(Math.abs((counts['input_bytes'] as number) - 1536) < 16, `input about 1.5 KB, got ${String(counts['input_bytes'])}`);

  const options = resolveModuleOptions('inference-writes', def.options, { buckets: '50' });
  const reports = await withClient((c) =>
    collectWorkloadReports(
      c,
      {
        sources: [{ kind: 'module', name: 'inference-writes', file: 'builtin:inference-writes', weight: 1, options }],
        modules: [{ file: 'builtin:inference-writes', def: def as never, options }],
      },
      result,
    ),
  );
  const fig = reports['inference-writes']!;
  assert.equal(fig['payloads'], 'client-side');
  // 1.5 + 1 + 1 + 1 KB of payloads + 2 × 100 B per request.
  assert.equal(fig['data_written_mb'], Math.round(((200 * (4.5 * 1024 + 200)) / 1048576) * 100) / 100);
  assert.ok((fig['chat_inference_mb'] as number) > 0 && (fig['data_written_mb_per_s'] as number) > 0);

  const reset = await runCli(['reset', 'inference-writes', '--url', server.url]);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal((await one('select count(*)::int as n from chat_inference'))['n'], 0);
});

test('server-side payloads of the asked sizes, no rate-limit write, unlogged tables', async () => {
  const defs = ['-D', 'server_side_data=true', '-D', 'rate_limit=false', '-D', 'unlogged=true', '-D', 'output_kb=64', '-D', 'input_kb=0.5'];
  const init = await runCli(['init', 'inference-writes', '--url', server.url, ...defs]);
  assert.equal(init.code, 0, init.stderr);
  const json = join(dir, 'server.json');
  const r = await runCli(['run', 'inference-writes', '--url', server.url, ...defs, '-c', '2', '-t', '20', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readResult(json).transactionTypes['inference-writes.request_no_rate_limit']!.transactions, 40);
  const row = await one(`select (select count(*) from resource_bucket)::int as buckets, (select count(*) from variant_by_episode)::int as variants,
    (select min(octet_length(output->>'text')) from chat_inference)::int as out_min, (select max(octet_length(output->>'text')) from chat_inference)::int as out_max,
    (select count(distinct output->>'text') from chat_inference)::int as distinct_out,
    (select relpersistence from pg_class where relname = 'chat_inference')::text as persistence`);
  assert.equal(row['buckets'], 0, 'rate-limit writes are off');
  assert.ok((row['variants'] as number) > 0);
  assert.equal(row['out_min'], 64 * 1024 - 11);
  assert.equal(row['out_max'], 64 * 1024 - 11);
  assert.equal(row['distinct_out'], 40, 'every payload is generated anew');
  assert.equal(row['persistence'], 'u');
});

test('a payload over 2048 KB is refused with the option named (exit 2)', async () => {
  const r = await runCli(['run', 'inference-writes', '--url', server.url, '-D', 'output_kb=4096', '-t', '1']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /output_kb=4096: expected 0\.\.2048/);
});
