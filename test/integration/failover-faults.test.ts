/**
 * Other faults during a `ha-writes --verify-writes` run: fast shutdown (57P01), a client that lands
 * on a standby (25006 → re-routed), and network faults through the test proxy (reset, blackhole,
 * refuse). Each must be classified right, never hang past the timeouts, and lose nothing.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type LocalCluster } from '../../src/local/cluster.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { FAST_SETTINGS, figures, runWithFault, sleep } from '../helpers/failover.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function cluster(replicas: number): Promise<LocalCluster> {
  const c = await startCluster({ replicas, settings: FAST_SETTINGS });
  cleanups.push(() => c.stop());
  return c;
}

test('fast shutdown of the primary, then promotion: 57P01 counts as connection, in-flight writes are unknown, not failed', async (t) => {
  const c = await cluster(1);
  const run = await runWithFault(`${c.urls.multiHost}?target_session_attrs=read-write&connect_timeout=2`, {
    durationS: 6,
    faultAfterMs: 2000,
    fault: async () => {
      await c.stopPrimary('fast');
      await c.promote(0);
    },
  });
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.equal(f.outages.length, 1);
  assert.ok((f.outages[0]!.errors['connection'] ?? 0) > 0, JSON.stringify(f.outages[0]!.errors));
  for (const [type, w] of Object.entries(f.writes)) assert.equal(w.failed, 0, `${type}: ${JSON.stringify(w)}`);
  assert.ok(
    Object.values(f.writes).some((w) => w.unknown > 0),
    JSON.stringify(f.writes),
  );
  assert.equal(f.verification?.lost, 0);
  assert.equal(f.verification?.unexpected, 0);
  await c.stop();
});

test('a primary that turns read-only: 25006, the client re-homes (asks the hosts again), and writes resume', async (t) => {
  const c = await cluster(0);
  const admin = async (sql: string): Promise<void> => {
    const pg = (await import('pg')).default;
    const cl = new pg.Client({ connectionString: c.urls.primary });
    await cl.connect();
    try {
      await cl.query(sql);
    } finally {
      await cl.end();
    }
  };
  const url = `${c.urls.primary}?target_session_attrs=read-write&connect_timeout=2`;
  const run = await runWithFault(url, {
    durationS: 5,
    faultAfterMs: 1500,
    fault: async () => {
      // Like a demoted primary: every new transaction is read-only until it is reset.
      await admin('ALTER SYSTEM SET default_transaction_read_only = on');
      await admin('SELECT pg_reload_conf()');
      await sleep(1000);
      await admin('ALTER SYSTEM RESET default_transaction_read_only');
      await admin('SELECT pg_reload_conf()');
    },
  });
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.ok((run.result.summary.errors['read_only'] ?? 0) > 0, JSON.stringify(run.result.summary.errors));
  assert.equal(f.outages.length, 1, JSON.stringify(f.outages));
  assert.ok((f.outages[0]!.errors['read_only'] ?? 0) > 0, JSON.stringify(f.outages[0]!.errors));
  assert.ok(f.outages[0]!.durationS >= 0.9 && f.outages[0]!.durationS < 4, String(f.outages[0]!.durationS));
  assert.ok(f.reconnects.count >= 4, JSON.stringify(f.reconnects));
  for (const w of Object.values(f.writes)) assert.equal(w.unknown, 0);
  assert.equal(f.verification?.lost, 0);
  assert.equal(f.verification?.unexpected, 0);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  await c.stop();
});

test('proxy reset, blackhole and refuse: right classes, bounded by the timeouts, nothing lost', async (t) => {
  const c = await cluster(0);
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: c.primary.port });
  cleanups.push(() => proxy.close());
  const url = `postgres://postgres@127.0.0.1:${proxy.port}/pgsurge?connect_timeout=2`;
  const started = Date.now();
  const run = await runWithFault(url, {
    durationS: 12,
    faultAfterMs: 1500,
    extra: ['--query-timeout', '1s', '--failover'],
    fault: async () => {
      proxy.reset(); // ECONNRESET → connection; writes in flight unknown
      await sleep(1500);
      proxy.blackhole(); // no answer: the client-side timeout (1 s) fires
      await sleep(2500);
      await proxy.heal();
      proxy.reset();
      await proxy.refuse(); // reconnects refused until heal
      await sleep(1500);
      await proxy.heal();
    },
  });
  t.diagnostic(figures(run));
  const f = run.result.failover;
  assert.ok(Date.now() - started < 12_000 + 20_000, 'the run did not hang');
  assert.ok(f.outages.length >= 2, JSON.stringify(f.outages));
  const classes = new Set(f.outages.flatMap((o) => Object.keys(o.errors)));
  assert.ok(classes.has('connection'), [...classes].join());
  assert.ok(classes.has('timeout'), [...classes].join());
  assert.ok(f.outages.every((o) => !o.open));
  assert.equal(f.verification?.lost, 0);
  assert.equal(f.verification?.unexpected, 0);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  await c.stop();
});
