/**
 * The two diagnosis rules that need a primary and a standby, provoked on a real cluster:
 * a standby doing most of the work while the primary idles, and replication lag
 * that grows while the standby cannot receive WAL.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../src/local/cluster.js';
import { runCli } from '../helpers/cli.js';
import { FAST_SETTINGS } from '../helpers/failover.js';
import { streamThroughProxy } from '../helpers/cluster.js';

const cluster = await startCluster({ replicas: 1, settings: FAST_SETTINGS });
after(() => cluster.stop());
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-diag-cluster-'));
const init = await runCli(['init', '--url', cluster.urls.primary, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
await cluster.waitForReplication();
const url = `${cluster.urls.multiHost}?target_session_attrs=read-write`;

function findings(file: string): { rule: string; message: string }[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { findings?: { rule: string; message: string }[] }).findings ?? [];
}

test('replica-busier-than-primary: reads routed to the standby, which carries the load', async () => {
  // Nothing but the routed load: no extra connections, the same memory on both servers.
  const json = join(dir, 'busier.json');
  const r = await runCli(['run', '-b', 'select-only', '--url', url, '--route-reads', '-c', '4', '-T', '4', '-n', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const f = findings(json).find((x) => x.rule === 'replica-busier-than-primary');
  assert.ok(f, JSON.stringify(findings(json)));
  assert.match(f.message, /of the transactions .*commits\/s vs .*active backends/);
});

test('replication-lag-growing: writes go on while the standby receives nothing', async () => {
  const proxy = await streamThroughProxy(cluster);
  try {
    const json = join(dir, 'lag.json');
    // The stream stops 1 s into the measured phase (the first progress line).
    let cut = false;
    const r = await runCli(['run', '-b', 'simple-update', '--url', url, '-c', '4', '-T', '6', '-P', '1', '-n', '--json', json], {
      onStderr: (chunk) => {
        if (cut || !chunk.includes('progress:')) return;
        cut = true;
        proxy.blackhole();
      },
    });
    assert.ok(cut, `the stream was never cut:\n${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    const f = findings(json).find((x) => x.rule === 'replication-lag-growing');
    assert.ok(f, JSON.stringify(findings(json)));
    assert.match(f.message, /lag grew/);
  } finally {
    proxy.heal();
    await proxy.close();
  }
});
