/**
 * Server figures for servers pgsurge did not start: a primary + streaming replica started by the test
 * (given with --url and --replica, so not pgsurge's throwaway server) get their processes' CPU and
 * memory from /proc, each host its own timeline; --server-metrics takes the machine's figures from a
 * node_exporter, and one that does not answer is said once while the run goes on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startCluster } from '../../src/local/cluster.js';
import { freePort } from '../../src/local/server.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';
import { runCli } from '../helpers/cli.js';
import { FAST_SETTINGS } from '../helpers/failover.js';
import { startNodeExporter } from '../helpers/node-exporter.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';

const cluster = await startCluster({ replicas: 1, settings: FAST_SETTINGS });
after(() => cluster.stop());
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-server-figures-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const primaryUrl = cluster.urls.primary;
const replicaUrl = cluster.urls.replicas[0]!;
const hostOf = (url: string): string => new URL(url).host;
const init = await runCli(['init', '--url', primaryUrl, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
await cluster.waitForReplication();

let runs = 0;
async function run(extra: readonly string[]): Promise<{ result: ResultV1; stderr: string; stdout: string }> {
  const json = join(dir, `r${++runs}.json`);
  const r = await runCli(['run', '-b', 'select-only', '--url', primaryUrl, '-c', '2', '-T', '3', '-n', '--json', json, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return { result: resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8'))), stderr: r.stderr, stdout: r.stdout };
}

const samplesOf = (result: ResultV1, host: string) => result.server.map((s) => s.hosts.find((h) => h.host === host));

test('a local server pgsurge did not start: its processes and machine are sampled from /proc', async () => {
  const { result, stdout } = await run([]);
  const host = hostOf(primaryUrl);
  const samples = samplesOf(result, host);
  assert.ok(samples.length >= 2, JSON.stringify(result.server));
  // The first span may start before the backends did; every later one has figures.
  for (const h of samples.slice(1)) {
    assert.ok(h !== undefined && h.process !== null, JSON.stringify(h));
    assert.ok(h.process.cpuPct !== null && h.process.cpuPct >= 0, JSON.stringify(h.process));
    assert.ok((h.process.memoryBytes ?? 0) > 0 && h.process.processes >= 3, JSON.stringify(h.process));
    const m = h.machine;
    assert.ok(m !== null && m !== undefined && m.source === 'proc', JSON.stringify(m));
    assert.ok(m.cpuPct !== null && m.cpuPct >= 0 && m.cpuPct <= 100, JSON.stringify(m));
    assert.ok((m.memoryTotalBytes ?? 0) > 0 && (m.memoryAvailableBytes ?? -1) >= 0, JSON.stringify(m));
    // IOPS beside the bytes, where the machine has block devices at all.
    if (m.diskReadBytesPerS !== null) assert.ok(m.diskReadsPerS !== null && m.diskReadsPerS! >= 0 && m.diskWritesPerS! >= 0, JSON.stringify(m));
    // The postmaster's control group: its figures, or null ones with the reason (the root group here, say).
    const g = h.cgroup;
    assert.ok(g !== null && g !== undefined, JSON.stringify(h));
    assert.ok(g.path !== null ? g.memoryBytes !== null || g.reason !== undefined : (g.reason ?? '') !== '', JSON.stringify(g));
  }
  assert.match(stdout, /postgres CPU [\d.]+% of a core \(mean\), memory [\d.,]+ MB \(peak\); machine CPU [\d.]+% busy/);
});

test('--server-metrics: the machine figures come from the node_exporter', async () => {
  const exporter = await startNodeExporter();
  const memTotal = Number(/^node_memory_MemTotal_bytes (\S+)$/m.exec(await exporter.scrape())?.[1]);
  assert.ok(memTotal > 0);
  const { result, stderr } = await run(['--server-metrics', exporter.url]);
  assert.doesNotMatch(stderr, /warning/);
  const samples = samplesOf(result, hostOf(primaryUrl));
  for (const h of samples.slice(1)) {
    const m = h?.machine;
    assert.ok(m !== null && m !== undefined && m.source === exporter.url && m.error === undefined, JSON.stringify(m));
    assert.ok(m.cpuPct !== null && m.cpuPct >= 0 && m.cpuPct <= 100, JSON.stringify(m));
    assert.equal(m.memoryTotalBytes, memTotal);
    assert.ok(m.memoryAvailableBytes !== null && m.memoryAvailableBytes <= memTotal, JSON.stringify(m));
  }
});

test('--server-metrics that does not answer: said once, the run succeeds, the figures are marked missing', async () => {
  const url = `http://127.0.0.1:${await freePort()}/metrics`;
  const { result, stderr, stdout } = await run(['--server-metrics', url]);
  const warnings = stderr.split('\n').filter((l) => l.includes(url));
  assert.equal(warnings.length, 1, stderr);
  assert.match(warnings[0]!, /^pgsurge: warning: --server-metrics http:\/\/127\.0\.0\.1:\d+\/metrics: connection refused/);
  const samples = samplesOf(result, hostOf(primaryUrl));
  assert.ok(samples.length >= 2);
  for (const h of samples) {
    assert.ok(h?.ok === true, 'the server itself is still sampled');
    assert.ok(h.machine?.cpuPct === null && h.machine.memoryTotalBytes === null && /connection refused/.test(h.machine.error ?? ''), JSON.stringify(h.machine));
  }
  assert.match(stdout, /machine figures missing in \d+ intervals? \(connection refused/);
});

test('--replica: the replica has its own server timeline, with its processes', async () => {
  const { result, stdout } = await run(['-b', 'simple-update', '--replica', replicaUrl]);
  const primary = samplesOf(result, hostOf(primaryUrl));
  const replica = samplesOf(result, hostOf(replicaUrl));
  assert.equal(replica.length, result.intervals.length);
  for (const h of replica.slice(1)) {
    assert.ok(h !== undefined && h.ok && h.inRecovery === true, JSON.stringify(h));
    assert.ok(h.process !== null && (h.process.memoryBytes ?? 0) > 0, JSON.stringify(h.process));
  }
  assert.ok(primary.slice(1).every((h) => h?.ok === true && h.inRecovery === false));
  // The replica's server pid tree is its own, not the primary's.
  assert.notDeepEqual(
    replica.map((h) => h?.process?.memoryBytes),
    primary.map((h) => h?.process?.memoryBytes),
  );
  assert.match(stdout, new RegExp(`${hostOf(replicaUrl).replace(/\./g, '\\.')}: cache hit`));
});

test('--observe-server: behind a proxy pgsurge cannot see through, the named server is sampled in its place; one it cannot reach stops the run before the load', async () => {
  const proxy = await startFaultProxy({ host: '127.0.0.1', port: Number(new URL(primaryUrl).port) });
  after(() => proxy.close());
  const viaProxy = primaryUrl.replace(hostOf(primaryUrl), `127.0.0.1:${proxy.port}`);
  const withPassword = primaryUrl.replace('postgres@', 'postgres:obs-pw-5d1@');
  const json = join(dir, 'observed.json');
  const r = await runCli(['run', '-b', 'select-only', '--url', viaProxy, '--observe-server', withPassword, '-c', '2', '-T', '2', '-n', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  assert.deepEqual([...new Set(result.server.flatMap((s) => s.hosts.map((h) => h.host)))], [hostOf(primaryUrl)], 'the named server, not the proxy');
  assert.ok(result.server.slice(1).every((s) => s.hosts[0]!.ok && s.hosts[0]!.process !== null));
  assert.deepEqual(result.config['observeServers'], [withPassword.replace('obs-pw-5d1', '***')]);
  assert.ok(!readFileSync(json, 'utf8').includes('obs-pw-5d1') && !r.stdout.includes('obs-pw-5d1') && !r.stderr.includes('obs-pw-5d1'));

  const refused = await runCli([
    'run',
    '-b',
    'select-only',
    '--url',
    viaProxy,
    '--observe-server',
    'postgres://postgres@127.0.0.1:1/pgsurge',
    '-T',
    '2',
    '-n',
    '--json',
    join(dir, 'no.json'),
  ]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^pgsurge: --observe-server 127\.0\.0\.1:1: cannot sample it: .*ECONNREFUSED/m);
  assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
  const both = await runCli(['run', '--url', viaProxy, '--observe-server', primaryUrl, '--no-observe', '-T', '1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--observe-server and --no-observe cannot be used together/);
});
