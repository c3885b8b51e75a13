/**
 * `pgsurge topologies`: one command builds a local primary with a replica, PgBouncer, Pgpool-II alone
 * and behind PgBouncer, and PgBouncer → Pgpool-II balancing over the replica, runs the same load against each in turn and prints them side by
 * side; the cluster is gone afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resultV1Schema } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';

const installed = ['/usr/sbin/pgbouncer', '/usr/sbin/pgpool'].every((b) => existsSync(b));
const skip = installed ? false : 'PgBouncer and Pgpool-II are needed (npm run test:deps)';

test('five topologies, one table: every one runs with no failure, each pooler says what it did', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-topologies-'));
  try {
    const json = join(dir, 'all.json');
    const r = await runCli(['topologies', '-b', 'select-only', '--replicas', '1', '-c', '4', '-T', '1', '--json', json], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /-M extended on every topology/);
    const all = JSON.parse(readFileSync(json, 'utf8')) as { targets: { name: string; result: unknown }[] };
    assert.deepEqual(
      all.targets.map((t) => t.name),
      ['direct', 'pgbouncer', 'pgpool', 'pgpool-pgbouncer', 'full'],
    );
    const results = all.targets.map((t) => resultV1Schema.parse(t.result));
    for (const [i, res] of results.entries()) {
      assert.ok(res.summary.transactions > 0, all.targets[i]!.name);
      assert.equal(res.summary.failed, 0, all.targets[i]!.name);
    }
    const kinds = results.map((res) => [...new Set(res.server.flatMap((s) => s.hosts.flatMap((h) => (h.pooler === undefined ? [] : [h.pooler.kind]))))]);
    assert.deepEqual(kinds, [[], ['pgbouncer'], ['pgpool'], ['pgbouncer'], ['pgbouncer']]);
    // The side-by-side table, one column per topology.
    assert.match(r.stdout, /^tps +[\d,.]+( +[\d,.]+ \([+-][\d.]+%\)){4}$/m);
    // The login's password is never printed, nor written into the results.
    assert.doesNotMatch(r.stdout + r.stderr + readFileSync(json, 'utf8'), /app:(?!\*\*\*)[^@\s"]+@/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options that would point the runs elsewhere are refused before anything starts', async () => {
  const r = await runCli(['topologies', '--url', 'postgres://x@127.0.0.1:1/db', '-T', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^pgsurge: --url: pgsurge topologies builds its own targets; leave it out\n$/);
});
