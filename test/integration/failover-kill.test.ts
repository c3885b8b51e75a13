/**
 * Failover of a synchronous pair: immediate kill of the primary, then promotion of the replica,
 * during a `ha-writes --verify-writes` run through the CLI. The outage is measured by the clients
 * and by the rows on the server, and no acknowledged write may be lost.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type LocalCluster } from '../../src/local/cluster.js';
import { CI, FAST_SETTINGS, figures, runWithFault, sleep } from '../helpers/failover.js';

const clusters: LocalCluster[] = [];
after(async () => {
  for (const c of clusters) await c.stop().catch(() => undefined);
});

async function killThenPromote(promoteDelayMs: number): Promise<{ run: Awaited<ReturnType<typeof runWithFault>>; delayMs: number }> {
  const cluster = await startCluster({ replicas: 1, sync: true, settings: FAST_SETTINGS });
  clusters.push(cluster);
  const url = `${cluster.urls.multiHost}?target_session_attrs=read-write&connect_timeout=2`;
  const run = await runWithFault(url, {
    durationS: CI ? 6 : 8,
    faultAfterMs: 2000,
    fault: async () => {
      await cluster.killPrimary();
      if (promoteDelayMs > 0) await sleep(promoteDelayMs);
      await cluster.promote(0);
    },
    extra: ['--threshold', 'rto<30s', '--threshold', 'lost=0'],
  });
  await cluster.stop();
  return { run, delayMs: promoteDelayMs };
}

test('immediate kill, then promotion: one outage, client and server agree, nothing lost', async (t) => {
  const { run } = await killThenPromote(0);
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /failover:/);
  assert.match(run.stdout, /verify-writes +ok/);
  assert.equal(f.outages.length, 1, JSON.stringify(f.outages));
  const o = f.outages[0]!;
  assert.ok(o.durationS > 0 && o.durationS < 5, `outage ${o.durationS} s`);
  assert.ok(o.startS > 1 && o.startS < 3.5, `outage starts at ${o.startS} s`);
  assert.equal(o.open, false);
  assert.ok((o.errors['connection'] ?? 0) > 0, JSON.stringify(o.errors));
  assert.equal(f.timeline.before, '00000001');
  assert.equal(f.timeline.after, '00000002');
  assert.ok(f.server?.largest !== null && f.server?.largest !== undefined);
  assert.equal(f.server.largest.timelineBefore, '00000001');
  assert.equal(f.server.largest.timelineAfter, '00000002');
  assert.ok(Math.abs(f.clientMinusServerS ?? 99) < 0.5, `client ${f.rtoS} s vs server ${f.server.largest.durationS} s`);
  assert.ok(f.reconnects.count >= 4, JSON.stringify(f.reconnects));
  const v = f.verification!;
  assert.equal(v.verdict, 'ok');
  assert.equal(v.lost, 0);
  assert.equal(v.unexpected, 0);
  assert.equal(v.counter?.ok, true);
  assert.equal(v.balance?.ok, true);
  assert.deepEqual(
    run.result.thresholds.map((t) => [t.expr, t.ok]),
    [
      ['rto<30s', true],
      ['lost=0', true],
    ],
  );
});

for (const delayMs of CI ? [1000] : [1000, 3000]) {
  test(`promotion ${delayMs / 1000} s after the kill: the outage follows the delay`, async (t) => {
    const { run } = await killThenPromote(delayMs);
    t.diagnostic(figures(run));
    const f = run.result.failover;
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(f.outages.length, 1, JSON.stringify(f.outages));
    const d = f.outages[0]!.durationS;
    // Clients retry with backoff up to 2 s, so the outage is the delay plus at most one backoff step.
    assert.ok(d >= delayMs / 1000 && d < delayMs / 1000 + 2.8, `outage ${d} s for a ${delayMs} ms delay`);
    assert.ok(Math.abs(f.clientMinusServerS ?? 99) < 0.5, `client ${f.rtoS} s vs server ${f.server?.largest?.durationS} s`);
    assert.equal(f.verification?.lost, 0);
  });
}
