/**
 * Failover behind PgBouncer: the clients connect to the pooler only, the primary is killed and the
 * replica promoted; `promote` re-targets PgBouncer, as a managed pooler follows its primary. The
 * outage is what a client behind the pooler sees, the rows on the server give the server's view,
 * and no acknowledged write may be lost.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startCluster, type LocalCluster } from '../../src/local/cluster.js';
import pg from 'pg';
import { CI, FAST_SETTINGS, figures, runWithFault, sleep } from '../helpers/failover.js';

const clusters: LocalCluster[] = [];
after(async () => {
  for (const c of clusters) await c.stop().catch(() => undefined);
});

/** Writes through `url` for `durationS`; after 2 s the primary is killed and the replica promoted at once. */
async function killAndPromoteThrough(cluster: LocalCluster, url: string, durationS: number): ReturnType<typeof runWithFault> {
  return await runWithFault(url, {
    durationS,
    faultAfterMs: 2000,
    fault: async () => {
      await cluster.killPrimary();
      await cluster.promote(0);
    },
    // PgBouncer 1.18 in transaction pooling keeps no named prepared statements.
    extra: ['-M', 'extended', '--threshold', 'rto<30s', '--threshold', 'lost=0'],
    observe: true,
  });
}

test('kill and promote behind PgBouncer: writes resume through the same pooler, one outage measured, nothing lost', async (t) => {
  if (!existsSync(process.env['PGBOUNCER'] ?? '/usr/sbin/pgbouncer')) return t.skip('pgbouncer is not installed (npm run test:deps)');
  const cluster = await startCluster({ replicas: 1, sync: true, pgbouncer: true, settings: FAST_SETTINGS });
  clusters.push(cluster);
  // 6 s after the kill: promotion and PgBouncer's reload took 5.7 s on a CI machine at load 20.
  const run = await killAndPromoteThrough(cluster, cluster.urls.pgbouncer!, 8);
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  // A client behind PgBouncer sees the switch as an error when its transaction was on the killed
  // server, or only as a wait when PgBouncer held it until the promoted server answered (no
  // transaction in flight at the kill; seen on a busy machine): then it is a stall, every write
  // hanging and none acknowledged. Either way one outage, and the server agrees on its length.
  assert.equal(f.outages.length, 1, JSON.stringify(f.outages));
  const o = f.outages[0]!;
  // How long the switch takes is the machine's (1.1-1.3 s on a quiet one); pgsurge's part is that the
  // outage ended within the run and matches the server's own gap (below).
  assert.ok(o.durationS > 0, `outage ${o.durationS} s`);
  assert.equal(o.open, false);
  assert.ok(Object.keys(o.errors).length > 0 || (o as { stall?: boolean }).stall === true, JSON.stringify(o));
  assert.ok(Math.abs(f.clientMinusServerS ?? 99) < 0.5, `client ${f.rtoS} s vs server ${f.server?.largest?.durationS} s`);
  assert.equal(f.timeline.before, '00000001');
  assert.equal(f.timeline.after, '00000002');
  // The server's view beside the clients': the largest gap between rows spans the switch.
  assert.equal(f.server?.largest?.timelineAfter, '00000002');
  const v = f.verification!;
  assert.equal(v.verdict, 'ok');
  assert.equal(v.lost, 0);
  assert.equal(v.unexpected, 0);
  assert.ok(run.result.summary.transactions > 0);
  // The server panels follow PgBouncer: the killed primary until it went, then the server PgBouncer
  // was re-pointed at, each sampled directly under its own name.
  const samples = run.result['server'] as { tS: number; hosts: { host: string; ok: boolean }[] }[];
  const answered = [...new Set(samples.flatMap((x) => x.hosts.filter((h) => h.ok).map((h) => h.host)))];
  assert.equal(answered.length, 2, `sampled: ${JSON.stringify(samples.map((x) => [x.tS, x.hosts.map((h) => `${h.host} ${h.ok}`)]))}`);
  assert.ok(samples[samples.length - 1]!.hosts.every((h) => h.ok && h.host === answered[1]));
  // The pooler's view of the switch beside the clients' and the server's.
  const p = f.pooler!;
  t.diagnostic(`pooler: ${JSON.stringify(p)}`);
  assert.equal(p.kind, 'pgbouncer');
  assert.ok(p.serverConnectionsMin !== null && p.clientsWaitingMax !== null);
  // An outage spanning an interval's end was seen by the pooler too: clients waiting, or no server.
  if (Math.floor(o.endS) > Math.floor(o.startS)) assert.ok(p.clientsWaitingMax.value >= 1 || p.serverConnectionsMin.value === 0, JSON.stringify(p));
  assert.match(run.stdout, /pooler +PgBouncer [\d.]+ at 127\.0\.0\.1:\d+: up to \d+ client\(s\) waiting/);
});

test('PgBouncer paused for 1.5 s: every write waits and none fails, one stall measured as the outage, nothing lost', async (t) => {
  if (!existsSync(process.env['PGBOUNCER'] ?? '/usr/sbin/pgbouncer')) return t.skip('pgbouncer is not installed (npm run test:deps)');
  const cluster = await startCluster({ replicas: 0, pgbouncer: true, settings: FAST_SETTINGS });
  clusters.push(cluster);
  const admin = new URL(cluster.urls.pgbouncer!);
  admin.pathname = '/pgbouncer';
  const run = await runWithFault(cluster.urls.pgbouncer!, {
    durationS: CI ? 6 : 8,
    faultAfterMs: 2000,
    fault: async () => {
      // PAUSE waits for the transactions under way, then holds every client's next one.
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      try {
        await c.query('PAUSE pgsurge');
        await sleep(1500);
        await c.query('RESUME pgsurge');
      } finally {
        await c.end();
      }
    },
    extra: ['-M', 'extended', '--threshold', 'rto<30s', '--threshold', 'lost=0'],
  });
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.equal(f.outages.length, 1, JSON.stringify(f.outages));
  const o = f.outages[0]! as (typeof f.outages)[number] & { stall?: boolean };
  assert.equal(o.stall, true, JSON.stringify(o));
  assert.deepEqual(o.errors, {});
  assert.ok(o.durationS >= 1.2 && o.durationS < 3, `stall ${o.durationS} s for a 1.5 s pause`);
  assert.ok(o.clients >= 1 && o.clients <= 4, String(o.clients));
  assert.ok(
    Object.values(run.result.summary.errors).every((n) => n === 0),
    JSON.stringify(run.result.summary.errors),
  );
  assert.ok(Math.abs(f.clientMinusServerS ?? 99) < 0.5, `client ${f.rtoS} s vs server ${f.server?.largest?.durationS} s`);
  assert.match(run.stdout, /a stall: writes hung, none acknowledged, none failed/);
  assert.equal(f.verification?.lost, 0);
});

test('kill and promote behind Pgpool-II: it detaches the dead primary, finds the promoted one itself, nothing lost', async (t) => {
  if (!existsSync(process.env['PGPOOL'] ?? '/usr/sbin/pgpool'))
    return t.skip("Pgpool-II is not installed: install Debian's pgpool2 package (npm run test:deps)");
  const cluster = await startCluster({ replicas: 1, sync: true, pgpool: true, settings: FAST_SETTINGS });
  clusters.push(cluster);
  const run = await killAndPromoteThrough(cluster, cluster.urls.pgpool!, CI ? 6 : 8);
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.ok(f.outages.length >= 1, JSON.stringify(f.outages));
  // Pgpool-II's view: the dead primary's node changed state.
  const p = f.pooler!;
  t.diagnostic(`pooler: ${JSON.stringify(p)}`);
  assert.equal(p.kind, 'pgpool');
  assert.ok(
    p.nodeChanges.some((c) => /primary/.test(c.before) && !c.after.startsWith('up primary')),
    JSON.stringify(p.nodeChanges),
  );
  assert.ok(
    f.outages.every((o) => !o.open && o.durationS > 0),
    JSON.stringify(f.outages),
  );
  assert.equal(f.timeline.after, '00000002');
  const v = f.verification!;
  assert.equal(v.verdict, 'ok');
  assert.equal(v.lost, 0);
  assert.equal(v.unexpected, 0);
});

test('kill and promote behind Pgpool-II in front of a PgBouncer on each node: it finds the promoted node through its PgBouncer, nothing lost', async (t) => {
  if (!existsSync(process.env['PGPOOL'] ?? '/usr/sbin/pgpool') || !existsSync(process.env['PGBOUNCER'] ?? '/usr/sbin/pgbouncer'))
    return t.skip('Pgpool-II or PgBouncer is not installed (npm run test:deps)');
  const cluster = await startCluster({ replicas: 1, sync: true, pgpoolOverPgbouncer: true, settings: FAST_SETTINGS });
  clusters.push(cluster);
  // The stack as built: each PgBouncer sends to its own node, and Pgpool-II's backends are those PgBouncers.
  assert.equal(cluster.urls.nodeBouncers?.length, 2);
  const run = await killAndPromoteThrough(cluster, cluster.urls.pgpoolPgbouncer!, CI ? 8 : 12);
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  // Found as Pgpool-II on the session itself: no console login through it to a PgBouncer's "pgbouncer" database.
  assert.doesNotMatch(run.stderr, /admin console did not let/, run.stderr);
  assert.equal((run.result['target'] as { pooler?: { kind: string } }).pooler?.kind, 'pgpool');
  assert.ok(f.outages.length >= 1 && f.outages.every((o) => !o.open), JSON.stringify(f.outages));
  const p = f.pooler!;
  t.diagnostic(`pooler: ${JSON.stringify(p)}`);
  assert.ok(
    p.nodeChanges.some((c) => /primary/.test(c.before) && !c.after.startsWith('up primary')),
    JSON.stringify(p.nodeChanges),
  );
  assert.equal(f.timeline.after, '00000002');
  // Transactions were acknowledged after the outage, through the same endpoint.
  const last = f.outages[f.outages.length - 1]!;
  const intervals = run.result['intervals'] as { tS: number; transactions: number }[];
  assert.ok(
    intervals.some((i) => i.tS >= last.endS && i.transactions > 0),
    JSON.stringify(intervals.map((i) => i.transactions)),
  );
  const v = f.verification!;
  assert.equal(v.verdict, 'ok');
  assert.equal(v.lost, 0);
  assert.equal(v.unexpected, 0);
});
