/**
 * Read routing on a real primary + streaming replica: transaction types that only read run on the
 * replica, the rest on the primary, and the result says where each went.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startCluster } from '../../src/local/cluster.js';
import { runCli } from '../helpers/cli.js';
import { FAST_SETTINGS } from '../helpers/failover.js';
import { resultV1Schema } from '../../src/report/result.js';

const cluster = await startCluster({ replicas: 1, settings: FAST_SETTINGS });
after(() => cluster.stop());
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-reads-'));
const primaryUrl = cluster.urls.primary;
const replicaUrl = cluster.urls.replicas[0]!;
const init = await runCli(['init', '--url', primaryUrl, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
await cluster.waitForReplication();

async function scans(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>(
      "select coalesce(idx_scan, 0) + coalesce(seq_scan, 0) as n from pg_stat_user_tables where relname = 'pgbench_accounts'",
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await c.end();
  }
}

test('--replica: reads run on the replica, writes on the primary', async () => {
  const json = join(dir, 'routed.json');
  const replicaBefore = await scans(replicaUrl);
  const r = await runCli([
    'run',
    '-b',
    'select-only@1',
    '-b',
    'simple-update@1',
    '--url',
    primaryUrl,
    '--replica',
    replicaUrl,
    '-c',
    '4',
    '-T',
    '3',
    '-n',
    '--json',
    json,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  const primaryHost = primaryUrl.replace(/^.*@([^/]+)\/.*$/, '$1');
  const replicaHost = replicaUrl.replace(/^.*@([^/]+)\/.*$/, '$1');
  const hosts = result.hosts!;
  const reads = result.transactionTypes['select-only']!.transactions;
  const writes = result.transactionTypes['simple-update']!.transactions;
  assert.ok(reads > 0 && writes > 0);
  assert.equal(hosts[replicaHost]?.transactions, reads, `every read on the replica: ${JSON.stringify(hosts)}`);
  assert.equal(hosts[primaryHost]?.transactions, writes, 'every write on the primary');
  assert.equal(result.summary.failed, 0, 'no write reached the read-only replica');
  // The replica's own statistics agree: it served the reads.
  assert.ok((await scans(replicaUrl)) - replicaBefore >= reads, 'the replica scanned pgbench_accounts for the reads');
  assert.match(r.stdout, /hosts \(where the clients ran their transactions\)/);
});

test('--route-reads on a multi-host URL sends reads to the standby among its hosts', async () => {
  const json = join(dir, 'route-reads.json');
  const url = `${cluster.urls.multiHost}${cluster.urls.multiHost.includes('?') ? '&' : '?'}target_session_attrs=read-write`;
  const r = await runCli(['run', '-b', 'select-only@1', '-b', 'simple-update@1', '--url', url, '--route-reads', '-c', '2', '-T', '2', '-n', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  const replicaHost = replicaUrl.replace(/^.*@([^/]+)\/.*$/, '$1');
  assert.equal(result.hosts![replicaHost]?.transactions, result.transactionTypes['select-only']!.transactions);
  assert.equal(result.summary.failed, 0);
});
