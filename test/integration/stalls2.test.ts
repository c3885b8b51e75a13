/**
 * More of pgsurge's own queries facing a server, pooler or path that stops answering: host
 * selection (target_session_attrs, connect_timeout per host), a PgBouncer whose server is gone, the
 * write verifier after the load, and a second Ctrl-C while the server sampler is stalled. The CLI is
 * spawned like a user would; stalls come from the fault proxy (blackhole) or, where the stall must
 * come after the login, from a proxy here that stops forwarding queries of new connections.
 *
 * Bounds are generous: they catch a hang, not a slow machine.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, withClient } from '../helpers/server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { cleanEnv, runCli, type CliRun } from '../helpers/cli.js';
import { startPgBouncer, type LocalPgBouncer } from '../../src/local/pgbouncer.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';

/** A run that takes longer than this hangs, whatever the machine. */
const HANG_MS = 120_000;

// Proxies and poolers are stopped before the server (after hooks run in the order they were
// added): with them still open, the server's fast shutdown did not finish and stop() killed it
// after its 15 s fallback (16.5 s measured, 2.6 s in this order).
const stoppers: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stoppers) await stop().catch(() => undefined);
});
const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-stalls2-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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

/**
 * A proxy whose connections opened after stallNew() log in and then get no answer to any query:
 * what the client sends after the server's first ReadyForQuery is held back (a server or pooler
 * that took the connection and stopped answering). Connections opened before go on working.
 */
async function startQueryStallProxy(): Promise<{ host: string; port: number; stallNew(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let stalling = false;
  const READY = Buffer.from([0x5a, 0, 0, 0, 5]);
  const srv = createServer((client) => {
    const upstream = connect({ host: server.host, port: server.port });
    const stallsAfterLogin = stalling;
    let loggedIn = false;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (b: Buffer) => {
      if (b.includes(READY)) loggedIn = true;
      client.write(b);
    });
    client.on('data', (b: Buffer) => {
      if (stallsAfterLogin && loggedIn) return;
      upstream.write(b);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const a = srv.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  stoppers.push(close);
  return { host: '127.0.0.1', port, stallNew: () => (stalling = true), close };
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

// These five share nothing but the server (each has its own proxy, pooler and files, and none
// touches another's tables or holds a lock) and spend their time waiting out connect_timeout and
// the silence deadline, not computing: they run side by side. The sampler test below depends on
// the timing of its signals, so it runs after them, alone.
describe('hosts, poolers and paths that stop answering', { concurrency: true }, () => {
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
    const r = await runCli(['run', '--url', url(hostOf(bouncer)), '-T', '1'], { env: cleanEnv({ PGSURGE_OWN_QUERY_DEADLINE_S: '4' }), timeoutMs: HANG_MS });
    assert.equal(r.code, 1, show(r));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, show(r));
    // Silence deadline (4 s here), then a second connection: PgBouncer takes it, its query gets no answer either.
    assert.match(
      lines[0]!,
      new RegExp(`^pgsurge: ${re(hostOf(bouncer))}: no answer to ".+" within 4 s, and a second connection got no answer either: `),
      show(r),
    );
  });

  test('the write verifier facing a primary that stopped answering: the result is written, verification NOT VERIFIED with the reason, exit 1', async () => {
    const p = await startQueryStallProxy();
    const json = join(dir, 'verifier.json');
    let stalled = false;
    const r = await runCli(['run', 'ha-writes', '--verify-writes', '--url', url(hostOf(p)), '-T', '2', '-c', '2', '-P', '1', '--no-observe', '--json', json], {
      env: cleanEnv({ PGSURGE_OWN_QUERY_DEADLINE_S: '4' }),
      timeoutMs: HANG_MS,
      onStderr: (chunk) => {
        // The load's sessions are open: only the verifier's connection, opened after the load, stalls.
        if (!stalled && /^progress: /m.test(chunk)) {
          stalled = true;
          p.stallNew();
        }
      },
    });
    assert.ok(stalled, show(r));
    assert.equal(r.code, 1, show(r));
    const result = readResultOf(json, r);
    assert.ok(result.summary.transactions > 0);
    const v = result.failover?.verification;
    assert.ok(v !== undefined && !('lost' in v), JSON.stringify(v));
    assert.equal(v.verdict, 'NOT VERIFIED');
    assert.match(v.error, new RegExp(`^the final state could not be read from ${re(hostOf(p))}: no answer to ".+" within 4 s`), v.error);
    assert.match(r.stdout, /verify-writes\s+NOT VERIFIED: the final state could not be read from /);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  });
});

test('a second SIGINT while the sampler is stalled: stops at once, and the result keeps the server samples taken before the stall', async () => {
  const p = await proxy();
  const json = join(dir, 'sigint-twice-samples.json');
  let progress = 0;
  let secondAt = 0;
  const t0 = Date.now();
  // 3 s intervals: a graceful stop would give the stalled snapshot one interval (3 s), longer than
  // the second signal's grace (1 s); only a hand-over keeps the samples then.
  const r = await runCli(['run', '--url', url(`${direct},${hostOf(p)}`), '-T', '120', '-c', '2', '-n', '--interval', '3s', '-P', '3', '--json', json], {
    env: cleanEnv(),
    timeoutMs: HANG_MS,
    onStderr: (chunk, child) => {
      const before = progress;
      progress += (chunk.match(/^progress: /gm) ?? []).length;
      // Two intervals sampled on both hosts, then the sampler's path stalls; a second later (a
      // snapshot is stuck by then) two signals.
      if (before < 2 && progress >= 2) p.blackhole();
      if (before < 3 && progress >= 3) {
        setTimeout(() => {
          child.kill('SIGINT');
          setTimeout(() => {
            secondAt = Date.now();
            child.kill('SIGINT');
          }, 200);
        }, 1000);
      }
    },
  });
  const exitMs = Date.now() - (secondAt > 0 ? secondAt : t0);
  assert.ok(secondAt > 0, show(r));
  assert.equal(r.code, 1, show(r));
  assert.ok(exitMs < 60_000, `exit ${exitMs} ms after the second signal\n${show(r)}`);
  assert.match(r.stderr, /SIGINT again: stopping at once/, show(r));
  assert.doesNotMatch(r.stderr, /no server figures/, show(r));
  const result = readResultOf(json, r);
  assert.equal(result.stop?.reason, 'interrupted');
  assert.ok(result.summary.transactions > 0);
  assert.ok(result.intervals.length >= 3, show(r));
  assert.equal(result.server.length, result.intervals.length);
  // Before the stall: both hosts sampled.
  const first = result.server[0]!;
  for (const h of [direct, hostOf(p)]) assert.equal(first.hosts.find((x) => x.host === h)?.ok, true, JSON.stringify(first.hosts));
  // What the stall and the stop left unsampled is marked, not dropped.
  const last = result.server[result.server.length - 1]!;
  assert.equal(last.hosts.find((x) => x.host === hostOf(p))?.ok, false, JSON.stringify(last.hosts));
});
