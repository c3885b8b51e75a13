/**
 * `pgsurge monitor` against real servers, spawned like a user would: it samples while pgbench (the
 * Debian binary) drives the load, it ends gracefully on Ctrl-C and writes what it sampled, and a
 * server that goes down mid-way becomes a gap in the timeline. Every wait is on what the monitor
 * prints (its progress lines), never on this machine's speed; timeouts only catch hangs.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { NODE_EXPORTER, startNodeExporter } from '../helpers/node-exporter.js';
import { readResult } from '../helpers/result.js';
import { pgbenchPath, startTestServer, withClient } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-monitor-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const server = await startTestServer();

/** Started processes, killed at the end whatever happened. */
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

test('monitor samples the server on the grid while pgbench drives it; summary, HTML, /metrics and report', async (t) => {
  if (!existsSync(pgbenchPath())) {
    t.skip('pgbench not installed');
    return;
  }
  const init = spawnSync(pgbenchPath(), ['-i', '-s', '1', '-q', server.url], { encoding: 'utf8' });
  assert.equal(init.status, 0, init.stderr);
  const exporter = existsSync(NODE_EXPORTER) ? await startNodeExporter() : undefined;
  const json = join(dir, 'out.json');
  const html = join(dir, 'out.html');
  let pgbench: ChildProcess | undefined;
  let pgbenchDone: Promise<number | null> | undefined;
  let scraped: Promise<string> | undefined;
  const r = await runCli(
    [
      'monitor',
      server.url,
      '-T',
      '6s',
      '-P',
      '1',
      '--json',
      json,
      '--html',
      html,
      '--prometheus',
      '127.0.0.1:0',
      ...(exporter === undefined ? [] : ['--server-metrics', exporter.url]),
    ],
    {
      onStderr: (chunk) => {
        // The load starts once the monitor samples; /metrics is read while it runs.
        const listening = /metrics at (http:\/\/\S+\/metrics)/.exec(chunk);
        if (pgbench === undefined && listening !== null) {
          pgbench = spawn(pgbenchPath(), ['-T', '8', '-c', '4', server.url], { stdio: 'ignore' });
          children.push(pgbench);
          const child = pgbench;
          pgbenchDone = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
          const url = listening[1]!;
          scraped = new Promise((resolve) => setTimeout(resolve, 2500)).then(async () => await (await fetch(url)).text());
        }
      },
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(pgbench, undefined, `the monitor never said it was sampling:\n${r.stderr}`);
  assert.match(r.stderr, /monitor: 2\.0 s, 127\.0\.0\.1:\d+ \d+\.\d commits\/s/);
  assert.match(r.stdout, /load:\s+none \(pgsurge monitor/);
  assert.match(r.stdout, /server:\n\s+127\.0\.0\.1:\d+: cache hit/);
  assert.doesNotMatch(r.stdout, /not completed|latency ms/);

  const result = readResult(json);
  assert.equal(result.kind, 'monitor');
  assert.deepEqual(result.intervals, [], 'no client intervals: pgsurge ran no load');
  assert.deepEqual(result.transactionTypes, {});
  assert.equal(result.durationS, 6);
  assert.deepEqual(
    result.server.map((s) => s.tS),
    [0, 1, 2, 3, 4, 5],
    'one server sample per interval of the grid',
  );
  assert.deepEqual(result.stop, { reason: 'duration' });
  for (const s of result.server.slice(1, 5)) {
    const h = s.hosts[0]!;
    assert.equal(h.ok, true, JSON.stringify(h));
    assert.ok((h.commitsPerS ?? 0) > 0, `commits/s at ${s.tS} s: ${String(h.commitsPerS)}`);
  }
  if (exporter !== undefined) {
    const machine = result.server[2]!.hosts[0]!.machine;
    assert.equal(machine?.source, exporter.url, '--server-metrics feeds the machine figures');
    assert.ok((machine?.memoryTotalBytes ?? 0) > 0);
  }
  assert.equal((result.findings ?? []).filter((f) => f.rule === 'client-cpu-bound').length, 0, 'a rule about client figures does not fire without load');
  assert.ok(!JSON.stringify(result.config).includes('workloads'), 'the config echoes the monitor options only');

  const page = readFileSync(html, 'utf8');
  assert.match(page, /<h1>pgsurge monitor<\/h1>/);
  assert.match(page, /<h2>Server<\/h2>/);
  assert.doesNotMatch(page, /Transaction types/);

  const metrics = await scraped!;
  assert.match(metrics, /pgsurge_server_commits_per_second\{host="127\.0\.0\.1:\d+"\} \d/);
  assert.equal(await pgbenchDone!, 0, 'pgbench ran to its end beside the monitor');

  const report = await runCli(['report', json]);
  assert.equal(report.code, 0, report.stderr);
  assert.equal(report.stdout, r.stdout, 'report prints the saved result as the monitor did');
});

test('Ctrl-C (or a closed terminal) ends the monitor gracefully: the result is written and marked interrupted (no pgbench tables needed)', async () => {
  await withClient(server.url, (c) => c.query('create database quiet'));
  const url = server.url.replace(/\/[^/]*$/, '/quiet');
  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    const json = join(dir, `interrupted-${signal}.json`);
    let sent = false;
    const r = await runCli(['monitor', '--url', url, '-P', '1', '--json', json], {
      onStderr: (chunk, child) => {
        if (!sent && /monitor: 2\.0 s/.test(chunk)) {
          sent = true;
          child.kill(signal);
        }
      },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`interrupted by ${signal}: stopping`));
    assert.match(r.stdout, new RegExp(`interrupted by ${signal} \\(partial results\\)`));
    const result = readResult(json);
    assert.equal(result.kind, 'monitor');
    assert.deepEqual(result.stop, { reason: 'interrupted', signal, message: `interrupted by ${signal}` });
    assert.ok(result.server.length >= 2, `samples until the signal: ${result.server.length}`);
    assert.ok(result.server.slice(0, 2).every((s) => s.hosts[0]!.ok));
  }
});

test('a server that goes down mid-way is a gap in the timeline; the monitor ends at -T', async () => {
  const doomed = await startTestServer();
  const json = join(dir, 'down.json');
  let killed: Promise<void> | undefined;
  const r = await runCli(['monitor', doomed.url, '-T', '5', '-P', '1', '--json', json], {
    onStderr: (chunk) => {
      if (killed === undefined && /monitor: 2\.0 s/.test(chunk)) killed = doomed.kill();
    },
  });
  await killed;
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(json);
  assert.equal(result.durationS, 5);
  assert.deepEqual(result.stop, { reason: 'duration' });
  assert.deepEqual(
    result.server.map((s) => s.tS),
    [0, 1, 2, 3, 4],
  );
  assert.ok(result.server[0]!.hosts[0]!.ok);
  const last = result.server[4]!.hosts[0]!;
  assert.equal(last.ok, false, 'the last interval has no figures');
  const rules = (result.findings ?? []).map((f) => f.rule);
  assert.ok(rules.includes('server-sampling-gap') && rules.includes('server-outage'), rules.join(', '));
  assert.match(r.stderr, /no sample \(/);
});

test('a server that is down at the start: one line, exit 1, nothing written', async () => {
  const json = join(dir, 'never.json');
  const r = await runCli(['monitor', 'postgres://u:hunter2secret@127.0.0.1:1/x', '-T', '2', '--json', json]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^pgsurge: could not connect to u@127\.0\.0\.1:1\/x: .*ECONNREFUSED/m);
  assert.doesNotMatch(r.stderr + r.stdout, /hunter2secret/);
  assert.equal(existsSync(json), false);
});
