/**
 * Connecting many clients to a server slow to accept them: pgsurge opens them a few at a time per
 * worker thread, so `connect_timeout` bounds each attempt, not a queue of hundreds (pgbench, which
 * connects one client after another, runs here too); the summary says how long connecting took.
 * The server is behind a proxy that answers one new connection every 20 ms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';
import { runCli } from '../helpers/cli.js';
import { readResult } from '../helpers/result.js';

const server = await startTestServer({ settings: { max_connections: 300 } });
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-connect-'));
writeFileSync(join(dir, 'one.sql'), 'SELECT 1;\n');

test('200 clients at a server that accepts one every 20 ms, connect_timeout=2: all connect, the run measures, the summary says how long connecting took', async () => {
  const proxy = await startFaultProxy({ host: server.host, port: server.port });
  try {
    proxy.acceptEvery(20);
    const url = `postgres://postgres@127.0.0.1:${proxy.port}/postgres?connect_timeout=2`;
    const json = join(dir, 'r.json');
    // 200 × 20 ms = 4 s of accepting: opened all at once, the later ones would wait past 2 s.
    const r = await runCli(['run', '-f', join(dir, 'one.sql'), '--url', url, '-c', '200', '-j', '2', '-T', '2', '-n', '--no-observe', '--json', json]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^connect ms: +200 connections, .*; all open in [\d.]+ s \([\d.]+\/s\)/m);
    const res = readResult(json);
    assert.equal(res.summary.connects, 200);
    assert.ok((res.summary.connectingS ?? 0) >= 3, `connecting took ${res.summary.connectingS} s: the proxy paced it`);
    assert.ok(res.summary.transactions > 0);
  } finally {
    await proxy.close();
  }
});

test('--connect-rate 40: 20 clients over 2 workers open no faster than 40 a second, all of them, then the run measures', async () => {
  const json = join(dir, 'paced.json');
  const r = await runCli([
    'run',
    '-f',
    join(dir, 'one.sql'),
    '--url',
    server.url,
    '-c',
    '20',
    '-j',
    '2',
    '--connect-rate',
    '40',
    '-T',
    '1',
    '-n',
    '--no-observe',
    '--json',
    json,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const res = readResult(json);
  assert.equal(res.summary.connects, 20);
  // Each worker's 10th connection starts 9 × 50 ms after its first: 0.45 s at the least.
  assert.ok((res.summary.connectingS ?? 0) >= 0.45, `connecting took ${res.summary.connectingS} s`);
  assert.equal(res.config['connectRate'], 40);
  assert.ok(res.summary.transactions > 0);
  const bad = await runCli(['run', '--url', server.url, '--connect-rate', 'fast']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--connect-rate: invalid rate "fast"/);
});
