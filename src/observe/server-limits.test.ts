/**
 * Diagnosis on a small server: max_connections nearly used up, and a table much bigger than
 * shared_buffers (cache misses). Its own server, because these settings need a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../../test/helpers/server.js';
import { runInProcess } from '../../test/helpers/run-in-process.js';
import { createServerObserver } from './server-observer.js';

const server = await startTestServer({ settings: { max_connections: 20, superuser_reserved_connections: 1, shared_buffers: '128kB' } });

test('18 clients on max_connections 20, and pgbench_accounts (13 MB) over 128 kB of shared_buffers', async () => {
  const { result } = await runInProcess(server, { builtin: ['select-only'], client: '18', jobs: '2', time: '4' }, [createServerObserver()]);
  const findings = result.findings ?? [];
  const samples = result.server;
  const conns = findings.find((f) => f.rule === 'connections-near-max');
  assert.ok(conns !== undefined, JSON.stringify({ findings, conns: samples.map((s) => s.hosts[0]!.connections) }));
  // 18 load connections + the observer's own.
  assert.match(conns.message, /up to 19 client connections of max_connections 20 \(95 %\)/);
  const cache = findings.find((f) => f.rule === 'cache-hit-ratio-low');
  assert.ok(cache !== undefined, JSON.stringify(findings));
  assert.match(
    cache.message,
    /buffer cache hit ratio \d+\.\d\d %(?: from \d+ s on, once shared_buffers could be full,)? \(\d+ blocks read outside shared_buffers, \d+ hits\); shared_buffers is 0\.1 MB/,
  );
  assert.ok(samples.every((s) => s.hosts[0]!.cacheHitRatio === null || s.hosts[0]!.cacheHitRatio < 0.99));
});
