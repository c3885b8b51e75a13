/**
 * The same workload against several targets in turn: direct and through PgBouncer (transaction
 * pooling), with the comparison table, the combined HTML, and per-target results.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { startPgBouncer } from '../../src/local/pgbouncer.js';
import { resultV1Schema } from '../../src/report/result.js';

const server = await startTestServer();
const bouncer = existsSync(process.env['PGBOUNCER'] ?? '/usr/sbin/pgbouncer')
  ? await startPgBouncer({ targetHost: server.host, targetPort: server.port, poolMode: 'transaction', poolSize: 4 })
  : undefined;
after(() => bouncer?.stop());
/** Direct and through PgBouncer (-M extended: PgBouncer before 1.21 cannot keep named prepared statements in transaction mode). */
const bothTargets = (b: NonNullable<typeof bouncer>): string[] => [
  '-M',
  'extended',
  '--target',
  `direct=${server.url}`,
  '--target',
  `pgbouncer=${b.url('pgsurge')}`,
];
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-targets-'));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);

test('one workload against direct and PgBouncer targets: results per target and a comparison', async (t) => {
  if (bouncer === undefined) {
    t.skip('pgbouncer is not installed (npm run test:deps)');
    return;
  }
  const out = join(dir, 'out');
  const json = join(dir, 'targets.json');
  // PgBouncer before 1.21 cannot keep named prepared statements under transaction pooling:
  // -M extended (unnamed statements) works through every version.
  const r = await runCli(['run', '-b', 'select-only', '-c', '8', '-T', '3', '-n', ...bothTargets(bouncer), '--json', json, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /== direct ==/);
  assert.match(r.stdout, /== pgbouncer ==/);
  assert.match(r.stdout, /pgbouncer/);
  const all = JSON.parse(readFileSync(json, 'utf8')) as { targets: { name: string; result: unknown }[] };
  assert.deepEqual(
    all.targets.map((x) => x.name),
    ['direct', 'pgbouncer'],
  );
  for (const x of all.targets) {
    const res = resultV1Schema.parse(x.result);
    assert.ok(res.summary.transactions > 0, `${x.name} ran`);
    assert.equal(res.summary.failed, 0, `${x.name}: no failures`);
    assert.equal(res.config['randomSeed'], (all.targets[0]!.result as { config: { randomSeed: number } }).config.randomSeed, 'same seed');
  }
  for (const f of ['direct.json', 'pgbouncer.json', 'direct.html', 'compare.html']) assert.ok(existsSync(join(out, f)), f);
});

test('--verify-writes against several targets: each target checked for lost writes, the comparison shows outages and lost writes', async (t) => {
  if (bouncer === undefined) {
    t.skip('pgbouncer is not installed (npm run test:deps)');
    return;
  }
  const json = join(dir, 'failover-targets.json');
  const r = await runCli(['run', 'ha-writes', '--verify-writes', '-c', '2', '-T', '2', '--no-observe', ...bothTargets(bouncer), '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const all = JSON.parse(readFileSync(json, 'utf8')) as {
    targets: { name: string; result: { failover?: { rtoS: number; verification?: { verdict: string; lost: number; sets: { acknowledged: number }[] } } } }[];
  };
  for (const x of all.targets) {
    const v = x.result.failover?.verification;
    assert.equal(v?.verdict, 'ok', `${x.name}: ${JSON.stringify(x.result.failover)}`);
    assert.ok((v?.sets ?? []).reduce((n, set) => n + set.acknowledged, 0) > 0, `${x.name}: writes were checked`);
  }
  assert.match(r.stdout, /verify-writes +ok[\s\S]*verify-writes +ok/);
  assert.match(r.stdout, /longest outage s +0\b.* 0\b/);
  assert.match(r.stdout, /lost writes +0\b.* 0\b/);
});

test('bad --target values are usage errors', async () => {
  const r = await runCli(['run', '--target', 'no-equals-sign', '-T', '1']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--target: expected NAME=URL/);
  const dup = await runCli(['run', '--target', `a=${server.url}`, '--target', `a=${server.url}`, '-T', '1']);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /"a" is given twice/);
});

test('a target that fails is reported with a hint; the others still run and keep their results, with their CSVs under --out; exit 1', async () => {
  const out = join(dir, 'partial');
  const json = join(dir, 'partial.json');
  // Port 1 on loopback: nothing listens there, the connection is refused.
  const r = await runCli([
    'run',
    '-b',
    'select-only',
    '-c',
    '2',
    '-T',
    '1',
    '-n',
    '--target',
    `first=${server.url}`,
    '--target',
    'down=postgres://postgres@127.0.0.1:1/nope',
    '--target',
    `last=${server.url}`,
    '--json',
    json,
    '--out',
    out,
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /target down failed: .*\n\s+hint: /);
  assert.match(r.stdout, /== first ==/);
  assert.match(r.stdout, /== last ==/);
  const all = JSON.parse(readFileSync(json, 'utf8')) as { targets: { name: string; result: unknown }[]; failedTargets?: { name: string; error: string }[] };
  assert.deepEqual(
    all.targets.map((x) => x.name),
    ['first', 'last'],
  );
  for (const x of all.targets) assert.ok(resultV1Schema.parse(x.result).summary.transactions > 0, `${x.name} ran`);
  assert.deepEqual(
    all.failedTargets?.map((f) => f.name),
    ['down'],
  );
  for (const f of ['first.json', 'first.html', 'first.csv', 'last.json', 'last.csv', 'compare.html']) assert.ok(existsSync(join(out, f)), f);
  assert.ok(!existsSync(join(out, 'down.json')));
});
