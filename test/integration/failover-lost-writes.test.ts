/**
 * The check must catch lost writes. The replica streams from the primary through a delaying proxy,
 * so it is behind; the primary is killed and the replica promoted:
 *
 * - asynchronous replication: acknowledged writes the replica never received are gone — the
 *   verification must say LOST WRITES, name ids, and the run must exit 1 (the negative control);
 * - synchronous replication: a commit is acknowledged only once the replica has it — lost = 0.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../../src/local/cluster.js';
import { streamThroughProxy } from '../helpers/cluster.js';
import { CI, FAST_SETTINGS, figures, runWithFault } from '../helpers/failover.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function lagThenFailover(sync: boolean, delayMs: number): Promise<Awaited<ReturnType<typeof runWithFault>>> {
  const cluster = await startCluster({ replicas: 1, sync, settings: FAST_SETTINGS });
  cleanups.push(() => cluster.stop());
  const proxy = await streamThroughProxy(cluster);
  cleanups.push(() => proxy.close());
  proxy.delay(delayMs);
  const url = `${cluster.urls.multiHost}?target_session_attrs=read-write&connect_timeout=2`;
  const run = await runWithFault(url, {
    durationS: CI ? 5 : 6,
    faultAfterMs: 2500,
    fault: async () => {
      // Drop what the proxy still holds back (the replica never gets it), then the primary dies.
      await proxy.close();
      await cluster.killPrimary();
      await cluster.promote(0);
    },
    extra: ['--threshold', 'lost=0'],
  });
  await cluster.stop();
  return run;
}

test('asynchronous replica behind a 1.5 s delay, then failover: the check reports lost writes and the run exits 1', async (t) => {
  const run = await lagThenFailover(false, 1500);
  t.diagnostic(figures(run));
  const v = run.result.failover.verification!;
  assert.equal(v.verdict, 'LOST WRITES', run.stdout);
  assert.ok(v.lost > 0);
  assert.ok(v.lostIds.length > 0 && v.lostIds.length <= 10);
  assert.match(v.lostIds[0]!, /^ha_(writes|transfers) \d+\/\d+$/);
  assert.equal(v.unexpected, 0);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /verify-writes +LOST WRITES: lost \d+/);
  assert.match(run.stdout, /lost ids +ha_/);
  assert.deepEqual(
    run.result.thresholds.map((x) => [x.expr, x.ok]),
    [['lost=0', false]],
  );
});

test('synchronous replica behind a delay, then failover: nothing acknowledged is lost', async (t) => {
  const run = await lagThenFailover(true, 200);
  t.diagnostic(figures(run));
  const v = run.result.failover.verification!;
  assert.equal(v.verdict, 'ok', run.stdout);
  assert.equal(v.lost, 0);
  assert.equal(v.unexpected, 0);
  assert.ok(run.result.summary.transactions > 0);
  assert.equal(run.code, 0, run.stderr);
});
