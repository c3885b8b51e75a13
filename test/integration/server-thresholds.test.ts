/**
 * Thresholds on server figures and the verdict line, on a real primary + streaming replica that the
 * test starts (local, so the observer reads their processes and machine from /proc). No assertion
 * depends on this machine's speed: the CPU limits are ones any load breaks (above 0.01 %) or none
 * can (at most 100 %), and the missed rate is made by pg_sleep, not by a slow machine.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startCluster } from '../../src/local/cluster.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { FAST_SETTINGS } from '../helpers/failover.js';
import { withClient } from '../helpers/server.js';
import pg from 'pg';

const cluster = await startCluster({ replicas: 1, settings: FAST_SETTINGS });
after(() => cluster.stop());
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-server-thresholds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const primaryUrl = cluster.urls.primary;
const replicaHost = new URL(cluster.urls.replicas[0]!).host;
const init = await runCli(['init', '--url', primaryUrl, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
await cluster.waitForReplication();

let runs = 0;
async function run(args: readonly string[]): Promise<{ r: CliRun; result: ResultV1; json: string }> {
  const json = join(dir, `r${++runs}.json`);
  const r = await runCli(['run', '-n', '--json', json, ...args]);
  assert.ok(existsSync(json), `no result written (exit ${r.code}):\n${r.stderr}`);
  return { r, result: resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8'))), json };
}
const lastLine = (stdout: string): string => stdout.trimEnd().split('\n').pop()!;
const th = (...exprs: string[]): string[] => exprs.flatMap((e) => ['--threshold', e]);
const okOf = (result: ResultV1): Record<string, boolean> => Object.fromEntries(result.thresholds.map((t) => [t.expr, t.ok]));

// These four share only the cluster: none holds a lock, waits for the replica or depends on the
// machine's speed (CPU limits any load breaks or none can, a rate capped by pg_sleep, no observer,
// a run with no failover), and the pg_sleep test mostly waits: they run side by side. The other
// three run after them one at a time: the lag test stops the replica's replay, the light run
// judges its achieved rate, and the per-host run reads the replica's figures.
describe('server thresholds on the primary', { concurrency: true }, () => {
  test('server CPU under load: a limit any load breaks fails (exit 99, with the actual value), one no load can break holds', async () => {
    const { r, result, json } = await run([
      '-b',
      'select-only',
      '--url',
      primaryUrl,
      '-c',
      '4',
      '-T',
      '3',
      ...th('max(server.cpu)<0.01%', 'max(server.cpu)<=100%', 'max(server.memory)<=100%', 'max(connections)<100%', 'errors.timeout==0'),
    ]);
    assert.equal(r.code, 99, r.stderr);
    assert.deepEqual(okOf(result), {
      'max(server.cpu)<0.01%': false,
      'max(server.cpu)<=100%': true,
      'max(server.memory)<=100%': true,
      'max(connections)<100%': true,
      'errors.timeout==0': true,
    });
    assert.deepEqual(result.verdict?.failed, ['max(server.cpu)<0.01%']);
    assert.match(lastLine(r.stdout), /^FAILED: max\(server\.cpu\)<0\.01% \(actual [\d.]+% on 127\.0\.0\.1:\d+ at [\d.]+s\)$/);
    // The verdict is a function of the result: the saved file renders the same summary.
    const report = await runCli(['report', json]);
    assert.equal(report.code, 0, report.stderr);
    assert.equal(report.stdout, r.stdout);
  });

  test('a rate the server cannot reach (pg_sleep): FAILED with the achieved rate, exit 0 unless a threshold asks', async () => {
    writeFileSync(join(dir, 'slow.sql'), 'SELECT pg_sleep(0.05);\n');
    // One client, 50 ms per transaction: at most 20/s of the 100/s asked, on any machine.
    const args = [join(dir, 'slow.sql'), '--url', primaryUrl, '-c', '1', '-R', '100', '-T', '3'];
    const plain = await run(args);
    assert.equal(plain.r.code, 0, plain.r.stderr);
    assert.match(lastLine(plain.r.stdout), /^FAILED: rate missed: asked 100\/s, achieved [\d.]+\/s \([\d.]+%\)$/);
    assert.equal(plain.result.verdict?.passed, false);
    assert.equal(plain.result.verdict?.rate?.achieved, false);
    assert.ok(plain.result.verdict!.rate!.achievedPerS <= 21, JSON.stringify(plain.result.verdict));
    const strict = await run([...args, '--threshold', 'success_rate>=99%']);
    assert.equal(strict.r.code, 99, strict.r.stderr);
    assert.match(lastLine(strict.r.stdout), /^FAILED: success_rate>=99% \(actual [\d.]+%\); rate missed: asked 100\/s/);
  });

  test('--no-observe: a server threshold fails as n/a and says why; client thresholds still judge', async () => {
    const { r, result } = await run([
      '-b',
      'select-only',
      '--url',
      primaryUrl,
      '-c',
      '1',
      '-T',
      '1',
      '--no-observe',
      ...th('max(server.cpu)<80%', 'errors==0'),
    ]);
    assert.equal(r.code, 99, r.stderr);
    assert.deepEqual(okOf(result), { 'max(server.cpu)<80%': false, 'errors==0': true });
    assert.match(
      lastLine(r.stdout),
      /^FAILED: max\(server\.cpu\)<80% \(actual n\/a: server\.cpu: not sampled — the result has no server samples \(the observer was off/,
    );
  });

  test('a failover run (--verify-writes) judges server thresholds beside rto and lost', async () => {
    const { r, result } = await run([
      'ha-writes',
      '--url',
      primaryUrl,
      '--verify-writes',
      '-c',
      '2',
      '-T',
      '2',
      ...th('max(server[primary].cpu)<=100%', 'lost=0', 'rto<60s'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(okOf(result), { 'max(server[primary].cpu)<=100%': true, 'lost=0': true, 'rto<60s': true });
    assert.equal(lastLine(r.stdout), 'PASSED: all 3 thresholds held');
  });
});

test('a light open-loop run (-R 50) passes its server thresholds and says the rate was achieved', async () => {
  const { r, result } = await run([
    '-b',
    'select-only',
    '--url',
    primaryUrl,
    '-R',
    '50',
    '-c',
    '2',
    '-T',
    '4',
    ...th('max(server.cpu)<=100%', 'min(server.cache_hit)>=0%', 'avg(connections)<100%', 'max(replication.lag)<60s', 'success_rate>=99%'),
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(result.verdict?.passed, true);
  assert.equal(result.verdict?.rate?.achieved, true);
  assert.equal(result.verdict?.rate?.askedPerS, 50);
  assert.match(lastLine(r.stdout), /^PASSED: all 5 thresholds held; rate achieved: asked 50\/s, achieved [\d.]+\/s \([\d.]+%\)$/);
});

test('a replica whose replay waits on a lock it holds: replication.lag grows past 10 ms and fails; the same run holds a 60 s bound', async () => {
  // The standby's session holds a lock on pgbench_history; the primary's ACCESS EXCLUSIVE lock on it
  // reaches the standby as WAL, whose replay waits for that session (max_standby_streaming_delay,
  // 30 s by default), and everything after it with it: the writes of the run pile up unreplayed.
  const standby = new pg.Client({ connectionString: cluster.urls.replicas[0], connectionTimeoutMillis: 5000 });
  standby.on('error', () => undefined);
  await standby.connect();
  try {
    await standby.query('begin; select count(*) from pgbench_history');
    await withClient(primaryUrl, (c) => c.query('begin; lock table pgbench_history in access exclusive mode; commit'));
    const { r, result } = await run([
      '-b',
      'tpcb-like',
      '--url',
      primaryUrl,
      '-c',
      '2',
      '-T',
      '3',
      ...th('max(replication.lag)<10ms', 'max(replication.lag)<60s'),
    ]);
    assert.equal(r.code, 99, r.stderr);
    assert.deepEqual(okOf(result), { 'max(replication.lag)<10ms': false, 'max(replication.lag)<60s': true });
    const lag = result.thresholds[0]!;
    // Stuck replay shows as a lag that grows (the primary interpolates it): well past 10 ms.
    assert.match(lag.actual, /^[\d.]+ms on 127\.0\.0\.1:\d+ at [\d.]+s$/);
    assert.ok(parseFloat(lag.actual) >= 100, lag.actual);
    assert.match(lastLine(r.stdout), /^FAILED: max\(replication\.lag\)<10ms \(actual [\d.]+ms/);
  } finally {
    await standby.end().catch(() => undefined);
  }
  await cluster.waitForReplication();
});

test('per host: primary and replica by role or host:port; a host that was not sampled is n/a with the hosts that were', async () => {
  const { r, result } = await run([
    '-b',
    'select-only',
    '--url',
    `${cluster.urls.multiHost}?target_session_attrs=read-write`,
    '--route-reads',
    '-c',
    '2',
    '-T',
    '3',
    ...th(
      'max(server[primary].cpu)<=100%',
      'max(server[replica].cpu)<=100%',
      `max(server[${replicaHost}].memory)<=100%`,
      'max(connections[replica])>=1',
      'max(server[10.255.255.1:5432].cpu)<80%',
    ),
  ]);
  assert.equal(r.code, 99, r.stderr);
  assert.deepEqual(okOf(result), {
    'max(server[primary].cpu)<=100%': true,
    'max(server[replica].cpu)<=100%': true,
    [`max(server[${replicaHost}].memory)<=100%`]: true,
    'max(connections[replica])>=1': true,
    'max(server[10.255.255.1:5432].cpu)<80%': false,
  });
  const missing = result.thresholds.find((t) => t.expr.includes('10.255.255.1'))!;
  assert.equal(missing.actual, 'n/a');
  assert.match(missing.reason ?? '', /^server\.cpu: not sampled — no sampled host is "10\.255\.255\.1:5432" \(sampled: .*\(replica\)/);
  assert.match(r.stdout, /✓ max\(server\[replica\]\.cpu\)<=100% {2}\(actual [\d.]+% on 127\.0\.0\.1:\d+ at [\d.]+s\)/);
});
