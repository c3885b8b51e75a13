/**
 * Pgpool-II in front of a primary and a replica (`local up --pgpool`'s cluster): the observer finds
 * it, samples both servers behind it directly, and reads SHOW POOL_NODES on the grid. Which node
 * takes the reads is Pgpool-II's own doing: select-only sessions are balanced over both nodes;
 * tpcb-like reads come after a write in their transaction, which Pgpool-II keeps on the primary.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type LocalCluster } from '../../src/local/cluster.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { FAST_SETTINGS } from '../helpers/failover.js';

const installed = existsSync(process.env['PGPOOL'] ?? '/usr/sbin/pgpool');
const cluster: LocalCluster | undefined = installed ? await startCluster({ replicas: 1, pgpool: true, settings: FAST_SETTINGS }) : undefined;
after(() => cluster?.stop());
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-pgpool-'));
after(() => rmSync(dir, { recursive: true, force: true }));
if (cluster !== undefined) {
  const init = await runCli(['init', '--url', cluster.urls.pgpool!, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
  await cluster.waitForReplication();
}

let runs = 0;
async function run(args: readonly string[]): Promise<{ r: CliRun; result: ResultV1 }> {
  const json = join(dir, `r${++runs}.json`);
  const r = await runCli(['run', '-n', '-M', 'extended', '--url', cluster!.urls.pgpool!, '-T', '2', '--json', json, ...args]);
  assert.ok(existsSync(json), `no result written (exit ${r.code}):\n${r.stderr}`);
  return { r, result: resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8'))) };
}
const pgpoolOf = (result: ResultV1) => result.server.flatMap((s) => s.hosts.flatMap((h) => (h.pooler?.kind === 'pgpool' ? [h.pooler] : [])));
const skip = installed ? false : "Pgpool-II is not installed: install Debian's pgpool2 package (npm run test:deps)";

test('select-only through Pgpool-II: both servers sampled directly, SELECTs per node on the timeline, reads reach the replica', { skip }, async () => {
  // 16 sessions, each balanced to one of two nodes when it connects: all on the primary is 1 in 65,536.
  const { r, result } = await run(['-b', 'select-only', '-c', '16']);
  assert.equal(r.code, 0, r.stderr);
  const hosts = [...new Set(result.server.flatMap((s) => s.hosts.map((h) => h.host)))].sort();
  assert.deepEqual(hosts, [`127.0.0.1:${cluster!.primary.port}`, `127.0.0.1:${cluster!.replicas[0]!.port}`].sort());
  const p = pgpoolOf(result);
  assert.ok(p.length >= 1, JSON.stringify(result.server.map((s) => s.hosts.map((h) => h.pooler))));
  assert.ok(p.every((x) => x.at === new URL(cluster!.urls.pgpool!).host && /^Pgpool-II 4\./.test(x.version)));
  const standby = p.flatMap((x) => x.nodes.filter((n) => n.role === 'standby'));
  assert.ok(
    standby.some((n) => (n.selectsPerS ?? 0) > 0),
    JSON.stringify(p.map((x) => x.nodes)),
  );
  assert.match(
    r.stdout,
    /Pgpool-II 4\.\d+\.\d+ .*at 127\.0\.0\.1:\d+: SELECTs sent per second \(mean\): 127\.0\.0\.1:\d+ primary [\d,.]+, 127\.0\.0\.1:\d+ standby [\d,.]+/,
  );
  assert.equal(
    result.findings?.some((f) => f.rule === 'pgpool-no-replica-reads'),
    false,
  );
  // Pgpool-II says nothing of clients waiting: pool.waiting would be n/a (checked in the unit tests).
  // Its settings, as it says them, are kept with the target and shown in the summary.
  assert.deepEqual(result.target.pooler, { kind: 'pgpool', version: p[0]!.version, numInitChildren: 32, maxPool: 4 });
  assert.match(r.stdout, /^pooler: +Pgpool-II 4\.\d+\.\d+ .*num_init_children 32, max_pool 4$/m);
});

test('tpcb-like through Pgpool-II: its reads follow a write in the transaction, so none reaches the replica, and the finding says so', { skip }, async () => {
  const { r, result } = await run(['-b', 'tpcb-like', '-c', '4']);
  assert.equal(r.code, 0, r.stderr);
  const f = result.findings?.find((x) => x.rule === 'pgpool-no-replica-reads');
  assert.ok(f !== undefined, JSON.stringify(result.findings));
  assert.match(f.message, /sent 0 reads to the 1 replica up .*SELECTs went to the primary/);
});
