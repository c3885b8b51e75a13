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

interface LiveFailover {
  readonly outages: { startS: number; endS: number; open: boolean }[];
  readonly soFar?: boolean;
  readonly verification?: unknown;
}

/**
 * With `live`, the run serves its live page and, from the fault on until the run ends, the result
 * so far is read every 200 ms: the failover sections seen while it was still running.
 */
async function killThenPromote(
  promoteDelayMs: number,
  live = false,
): Promise<{ run: Awaited<ReturnType<typeof runWithFault>>; delayMs: number; seenLive: LiveFailover[]; liveView: string | undefined }> {
  const cluster = await startCluster({ replicas: 1, sync: true, settings: FAST_SETTINGS });
  clusters.push(cluster);
  const url = `${cluster.urls.multiHost}?target_session_attrs=read-write&connect_timeout=2`;
  let page: { base: string; id: string } | undefined;
  let stderr = '';
  const seenLive: LiveFailover[] = [];
  let liveView: string | undefined;
  let watching: Promise<void> = Promise.resolve();
  const watch = async (): Promise<void> => {
    for (;;) {
      if (page === undefined) return;
      const r = await fetch(`${page.base}/api/runs/${page.id}/result.json`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
      if (r === undefined || r.status !== 200 || r.headers.get('x-pgsurge-partial') !== 'true') return;
      const failover = ((await r.json()) as { failover?: LiveFailover }).failover;
      if (failover !== undefined) seenLive.push(failover);
      if (failover !== undefined && liveView === undefined) {
        const view = await fetch(`${page.base}/api/runs/${page.id}/view`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        if (view?.status === 200) liveView = ((await view.json()) as { bodyHtml: string }).bodyHtml;
      }
      await sleep(200);
    }
  };
  const run = await runWithFault(url, {
    durationS: CI && !live ? 6 : 8,
    faultAfterMs: 2000,
    fault: async () => {
      await cluster.killPrimary();
      watching = watch();
      if (promoteDelayMs > 0) await sleep(promoteDelayMs);
      await cluster.promote(0);
    },
    extra: ['--threshold', 'rto<30s', '--threshold', 'lost=0', ...(live ? ['--ui', '127.0.0.1:0'] : [])],
    onStderr: (chunk) => {
      stderr += chunk;
      const m = /live page at (http:\/\/[^/\s]+)\/\S*#\/runs\/(\S+)/.exec(stderr);
      if (m !== null) page ??= { base: m[1]!, id: m[2]! };
    },
  });
  await watching;
  await cluster.stop();
  if (live) assert.ok(page !== undefined, `no live page address in:\n${run.stderr}`);
  return { run, delayMs: promoteDelayMs, seenLive, liveView };
}

test('immediate kill, then promotion: one outage, seen on the live page as it happened; client and server agree, nothing lost', async (t) => {
  const { run, seenLive, liveView } = await killThenPromote(0, true);
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /failover:/);
  assert.match(run.stdout, /verify-writes +ok/);
  assert.equal(f.outages.length, 1, JSON.stringify(f.outages));
  const o = f.outages[0]!;
  // Its length is the machine's promotion time; that it ended and matches the server's gap is pgsurge's.
  assert.ok(o.durationS > 0, `outage ${o.durationS} s`);
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
  // While the run went on, the page's result so far had the outage, ended, where the result has it.
  t.diagnostic(`live: ${seenLive.length} results so far with a failover section, the first ${JSON.stringify(seenLive[0]?.outages)}`);
  const ended = seenLive.find((f) => f.outages.length === 1 && !f.outages[0]!.open);
  assert.ok(ended !== undefined, `no ended outage seen live: ${JSON.stringify(seenLive)}`);
  assert.equal(ended.soFar, true);
  assert.equal(ended.verification, undefined, 'the verdict comes at the end');
  assert.equal(ended.outages[0]!.startS, o.startS);
  assert.ok(seenLive.every((f) => f.outages.length <= 1));
  // The page itself: the report's failover section, in the words of a run still going.
  assert.match(liveView ?? '', /<h2 id="failover">Failover<\/h2>/);
  assert.match(liveView ?? '', /longest outage so far/);
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
