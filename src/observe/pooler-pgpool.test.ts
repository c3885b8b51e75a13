import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failedSample } from './host-sample.js';
import { pgpoolReads } from './diagnosis-pooler.js';
import { pgpoolBackends, pgpoolBetween, type PgpoolReading } from './pooler-pgpool.js';
import type { ServerSample } from './types.js';

/** SHOW POOL_NODES as Pgpool-II 4.3 answers it (every value text). */
const reading = (atUs: number, primarySelects: number, standbySelects: number): PgpoolReading => ({
  atUs,
  nodes: [
    {
      node_id: '0',
      hostname: '127.0.0.1',
      port: '5432',
      status: 'up',
      pg_status: 'up',
      lb_weight: '0.5',
      role: 'primary',
      pg_role: 'primary',
      select_cnt: String(primarySelects),
      load_balance_node: 'false',
      replication_delay: '0',
    },
    {
      node_id: '1',
      hostname: '127.0.0.1',
      port: '5433',
      status: 'up',
      pg_status: 'up',
      lb_weight: '0.5',
      role: 'standby',
      pg_role: 'standby',
      select_cnt: String(standbySelects),
      load_balance_node: 'true',
      replication_delay: '128',
    },
    {
      node_id: '2',
      hostname: '/var/run/postgresql',
      port: '5434',
      status: 'down',
      pg_status: 'down',
      lb_weight: '0',
      role: 'standby',
      pg_role: 'unknown',
      select_cnt: '0',
      load_balance_node: 'false',
      replication_delay: '0',
    },
  ],
});

test('SELECTs per second per node between two readings; the first reading has none', () => {
  const first = pgpoolBetween('Pgpool-II 4.3.5', '127.0.0.1:9999', undefined, reading(0, 10, 5));
  assert.deepEqual(
    first.nodes.map((n) => n.selectsPerS),
    [null, null, null],
  );
  const u = pgpoolBetween('Pgpool-II 4.3.5', '127.0.0.1:9999', reading(0, 10, 5), reading(2_000_000, 30, 405));
  assert.deepEqual(u.nodes[0], { id: 0, host: '127.0.0.1:5432', status: 'up', role: 'primary', selectsPerS: 10, loadBalanceNode: false, replicationDelay: 0 });
  assert.equal(u.nodes[1]?.selectsPerS, 200);
  assert.equal(u.nodes[1]?.loadBalanceNode, true);
  // A restart of Pgpool-II resets the counters: no figure for that span.
  assert.equal(pgpoolBetween('v', 'a', reading(0, 30, 405), reading(1_000_000, 2, 3)).nodes[0]?.selectsPerS, null);
  // Backends reached over a Unix socket cannot be sampled directly.
  assert.deepEqual(pgpoolBackends(reading(0, 0, 0)), [
    { host: '127.0.0.1', port: 5432 },
    { host: '127.0.0.1', port: 5433 },
  ]);
});

test('pgpool-no-replica-reads: every SELECT to the primary with a standby up; quiet once a standby gets reads', () => {
  const samples = (standby: number): ServerSample[] =>
    [1, 2].map((k) => ({
      tS: k - 1,
      durationS: 1,
      hosts: [
        {
          ...failedSample('127.0.0.1:5432', ''),
          ok: true,
          pooler: pgpoolBetween('Pgpool-II 4.3.5', '127.0.0.1:9999', reading(0, 0, 0), reading(1_000_000, 50, standby)),
        },
      ],
      client: { cpuPct: null, memoryBytes: null, processes: 1 },
    }));
  const f = pgpoolReads({ intervals: [], server: samples(0) });
  assert.equal(f.length, 1);
  assert.match(
    f[0]!.message,
    /^Pgpool-II 4\.3\.5 at 127\.0\.0\.1:9999 sent 0 reads to the 1 replica up \(127\.0\.0\.1:5433\): all 100 SELECTs went to the primary 127\.0\.0\.1:5432; check load_balance_mode/,
  );
  assert.deepEqual(pgpoolReads({ intervals: [], server: samples(7) }), []);
});
