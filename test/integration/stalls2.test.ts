/**
 * More of pgsurge's own queries facing a server, pooler or path that stops answering: host
 * selection (target_session_attrs, connect_timeout per host), a PgBouncer whose server is gone, the
 * write verifier after the load, and a second Ctrl-C while the server sampler is stalled. The CLI is
 * spawned like a user would; stalls come from the fault proxy (blackhole) or, where the stall must
 * come after the login, from a proxy here that stops forwarding queries of new connections.
 *
 * Bounds are generous: they catch a hang, not a slow machine.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, withClient } from '../helpers/server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { cleanEnv, runCli, type CliRun } from '../helpers/cli.js';
import { startPgBouncer, type LocalPgBouncer } from '../../src/local/pgbouncer.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';

/** A run that takes longer than this hangs, whatever the machine. */
const HANG_MS = 120_000;

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-stalls2-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const stoppers: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stoppers) await stop().catch(() => undefined);
});

async function proxy(): Promise<FaultProxy> {
  const p = await startFaultProxy({ host: server.host, port: server.port });
  stoppers.push(() => p.close());
  return p;
}

const direct = `${server.host}:${server.port}`;
const hostOf = (p: { host: string; port: number }): string => `${p.host}:${p.port}`;
const url = (hosts: string, params = ''): string => `postgres://${server.user}@${hosts}/${server.database}?connect_timeout=3${params}`;
const show = (r: CliRun): string => `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readResultOf(file: string, r: CliRun): ResultV1 {
  assert.ok(existsSync(file), `no result file\n${show(r)}`);
  return resultV1Schema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

{
  const r = await runCli(['init', '--url', server.url, '-s', '1', '-q'], { env: cleanEnv() });
  assert.equal(r.code, 0, r.stderr);
}

/** A PgBouncer in front of the server through a fault proxy, warmed (it knows the server's parameters, so it logs clients in without one). */
async function stalledPgBouncer(): Promise<{ bouncer: LocalPgBouncer; path: FaultProxy }> {
  const path = await proxy();
  const bouncer = await startPgBouncer({ targetHost: path.host, targetPort: path.port, poolMode: 'session' });
  stoppers.push(() => bouncer.stop());
  await withClient(bouncer.url(server.database), (c) => c.query('select 1'));
  // The server is gone as PgBouncer sees it: its server connections get no answer.
  path.blackhole();
  return { bouncer, path };
}

test('a stalled first host, a good second one: the run uses the second, exit 0', async () => {
  const p = await proxy();
  p.blackhole();
  const json = join(dir, 'second-host.json');
  const r = await runCli(['run', '--url', url(`${hostOf(p)},${direct}`, '&target_session_attrs=read-write'), '-T', '1', '-c', '1', '-n', '--json', json], {
    env: cleanEnv(),
    timeoutMs: HANG_MS,
  });
  assert.equal(r.code, 0, show(r));
  const result = readResultOf(json, r);
  assert.ok(result.summary.transactions > 0);
  assert.deepEqual(Object.keys(result.hosts ?? {}), [direct], JSON.stringify(result.hosts));
});

test('a PgBouncer whose server is gone, first in the list: host selection, the workers included, gives up on it at connect_timeout and the run uses the next host', async () => {
  const { bouncer } = await stalledPgBouncer();
  const json = join(dir, 'pgbouncer-first.json');
  const r = await runCli(
    ['run', '--url', url(`${hostOf(bouncer)},${direct}`, '&target_session_attrs=read-write'), '-T', '1', '-c', '1', '-n', '--no-observe', '--json', json],
    { env: cleanEnv(), timeoutMs: HANG_MS },
  );
  assert.equal(r.code, 0, show(r));
  const result = readResultOf(json, r);
  assert.ok(result.summary.transactions > 0);
  assert.deepEqual(Object.keys(result.hosts ?? {}), [direct], JSON.stringify(result.hosts));
});

test('every host stalled: one line naming each host and what did not answer, exit 1', async () => {
  const p = await proxy();
  p.blackhole();
  const { bouncer } = await stalledPgBouncer();
  const r = await runCli(['run', '--url', url(`${hostOf(p)},${hostOf(bouncer)}`, '&target_session_attrs=read-write'), '-T', '1', '-n'], {
    env: cleanEnv(),
    timeoutMs: HANG_MS,
  });
  assert.equal(r.code, 1, show(r));
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, show(r));
  assert.match(
    lines[0]!,
    new RegExp(
      `^pgsurge: could not connect to .*: no host is read-write: ${re(hostOf(p))}: timeout expired after 3 s while connecting; ` +
        `${re(hostOf(bouncer))}: no answer to "SELECT pg_is_in_recovery\\(\\)" within connect_timeout \\(3 s\\): it took the connection, then stopped answering`,
    ),
  );
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
});

test("a PgBouncer whose server is gone, alone: the pre-run checks give up with one line naming the pooler's address, exit 1", async () => {
  const { bouncer } = await stalledPgBouncer();
  const r = await runCli(['run', '--url', url(hostOf(bouncer)), '-T', '1'], { env: cleanEnv(), timeoutMs: HANG_MS });
  assert.equal(r.code, 1, show(r));
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, show(r));
  // Silence deadline (30 s), then a second connection: PgBouncer takes it, its query gets no answer either.
  assert.match(
    lines[0]!,
    new RegExp(`^pgsurge: ${re(hostOf(bouncer))}: no answer to ".+" within 30 s, and a second connection got no answer either: `),
    show(r),
  );
});
