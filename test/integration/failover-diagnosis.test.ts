/**
 * A failover run with the server observed: the outage is a finding of its own (the clients'
 * window, the old primary not answering, the standby promoted), and the promoted server's
 * checkpoints are not blamed for the latency of the outage.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../../src/local/cluster.js';
import { runCli } from '../helpers/cli.js';
import { FAST_SETTINGS, sleep } from '../helpers/failover.js';

const cluster = await startCluster({ replicas: 1, sync: true, settings: FAST_SETTINGS });
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-failover-diag-'));
after(async () => {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('kill the primary, promote the standby: a server-outage finding, no checkpoint-latency-spike', async () => {
  const json = join(dir, 'result.json');
  let armed = false;
  let fault: Promise<void> = Promise.resolve();
  const run = await runCli(
    ['run', 'ha-writes', '--url', `${cluster.urls.readWrite}&connect_timeout=2`, '--failover', '-c', '4', '-T', '8', '-P', '1', '--json', json],
    {
      onStderr: (chunk) => {
        if (armed || !chunk.includes('progress:')) return;
        armed = true;
        fault = (async () => {
          await sleep(2000);
          await cluster.killPrimary();
          await sleep(1000);
          await cluster.promote(0);
        })();
      },
    },
  );
  await fault;
  assert.ok(armed, `the fault was never injected:\n${run.stderr}`);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(readFileSync(json, 'utf8')) as { failover: { outages: unknown[] }; findings?: { rule: string; message: string }[] };
  assert.ok(result.failover.outages.length > 0, JSON.stringify(result.failover));
  const rules = (result.findings ?? []).map((f) => f.rule);
  assert.ok(!rules.includes('checkpoint-latency-spike'), JSON.stringify(result.findings));
  const outage = result.findings?.find((f) => f.rule === 'server-outage');
  assert.ok(outage !== undefined, JSON.stringify(result.findings));
  assert.match(outage.message, /writes failed from [\d.]+ s to [\d.]+ s .*see the failover section/);
  assert.match(outage.message, /left recovery \(promoted\)/);
});
