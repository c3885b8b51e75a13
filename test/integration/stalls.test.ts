/**
 * pgsurge's own queries never hang a run: a server sampler whose connection stalls (through the
 * test proxy, blackholed) marks its intervals missing and does not delay the end of the run, nor a
 * SIGINT; a pre-run VACUUM blocked by another session's lock names that session and gives up;
 * `init` over a path that stalls fails with one line. The CLI is spawned like a user would.
 *
 * The observer samples every host of the URL, the load goes to the first that answers: with the
 * direct address first and the proxy second, only the observer's second connection goes through the
 * proxy, so stalling the proxy stalls the sampler and nothing else.
 *
 * Bounds are generous: they catch a hang, not a slow machine.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer, withClient } from '../helpers/server.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';
import { cleanEnv, runCli, type CliRun } from '../helpers/cli.js';
import { resultV1Schema, type ResultV1 } from '../../src/report/result.js';

/** A run that takes longer than this hangs, whatever the machine. */
const HANG_MS = 90_000;

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-stalls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const proxies: FaultProxy[] = [];
after(async () => {
  for (const p of proxies) await p.close();
});

async function proxy(): Promise<FaultProxy> {
  const p = await startFaultProxy({ host: server.host, port: server.port });
  proxies.push(p);
  return p;
}

const direct = `${server.host}:${server.port}`;
const viaProxy = (p: FaultProxy): string => `${p.host}:${p.port}`;
const url = (hosts: string): string => `postgres://${server.user}@${hosts}/${server.database}?connect_timeout=3`;

{
  const r = await runCli(['init', '--url', server.url, '-s', '1', '-q'], { env: cleanEnv() });
  assert.equal(r.code, 0, r.stderr);
}
// The lock tests hold locks on pgbench_branches that would block the other tests' VACUUM and load:
// they get their own copy of the initialised database, so that the two groups can run side by side.
const LOCKS_DB = 'locks';
await withClient(server.url, (c) => c.query(`create database ${LOCKS_DB} template "${server.database}"`));
const locksUrl = `postgres://${server.user}@${direct}/${LOCKS_DB}`;

const show = (r: CliRun): string => `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const readResult = (file: string): ResultV1 => resultV1Schema.parse(JSON.parse(readFileSync(file, 'utf8')));

type Child = { kill(sig: NodeJS.Signals): boolean };

/**
 * Run the CLI; `onRunning` is called once when the observer is connected and the load starts (its
 * "… against …" line), `onMeasured` once at the first progress line (something was measured).
 */
async function runStalling(
  args: readonly string[],
  onRunning: () => void,
  onMeasured: (child: Child) => void = () => undefined,
): Promise<{ r: CliRun; ms: number }> {
  let started = false;
  let measured = false;
  const t0 = Date.now();
  const r = await runCli([...args, '-P', '1'], {
    env: cleanEnv(),
    timeoutMs: HANG_MS,
    onStderr: (chunk, child) => {
      if (!started && / against /.test(chunk)) {
        started = true;
        onRunning();
      }
      if (started && !measured && /^progress: /m.test(chunk)) {
        measured = true;
        onMeasured(child);
      }
    },
  });
  return { r, ms: Date.now() - t0 };
}

function readResultOf(file: string, r: CliRun): ResultV1 {
  assert.ok(existsSync(file), `no result file\n${show(r)}`);
  return readResult(file);
}

/** Hold `lock` on pgbench_branches in an open transaction while `fn` runs; returns the holder's pid too. */
async function withLock<T>(lock: string, fn: (pid: number) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: locksUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const pid = Number((await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid);
    await c.query('begin');
    await c.query(`lock pgbench_branches in ${lock} mode`);
    return await fn(pid);
  } finally {
    await c.query('rollback').catch(() => undefined);
    await c.end().catch(() => undefined);
  }
}

// Two groups that share nothing but the server: each runs its own tests one after another, the two
// side by side. The lock tests spend their time waiting out the 10 s lock timeout.
describe('stalls and locks', { concurrency: true }, () => {
  describe('a sampler or a path that stalls', { concurrency: false }, () => {
    test('a sampler that stalls: the run ends on time, exit 0, the gap is marked in the timeline and said in the summary', async () => {
      const p = await proxy();
      const json = join(dir, 'stalled-sampler.json');
      const { r, ms } = await runStalling(['run', '--url', url(`${direct},${viaProxy(p)}`), '-T', '3', '-c', '2', '--json', json], () => p.blackhole());
      assert.equal(r.code, 0, show(r));
      // -T 3, then at most one sampling deadline (5 s) for the observer: far below the hang bound.
      assert.ok(ms < 30_000, `the run took ${ms} ms\n${show(r)}`);
      const result = readResultOf(json, r);
      assert.ok(result.summary.transactions > 0);
      const stalledHost = viaProxy(p);
      const samples = result.server.map((s) => s.hosts.find((h) => h.host === stalledHost));
      assert.equal(samples.length, result.intervals.length);
      assert.ok(
        samples.every((h) => h !== undefined && !h.ok && /no answer/.test(h.error ?? '')),
        JSON.stringify(samples.map((h) => h?.error)),
      );
      // The load's own host was sampled all along.
      assert.ok(result.server.every((s) => s.hosts.find((h) => h.host === direct)?.ok === true));
      const gap = result.findings?.find((f) => f.rule === 'server-sampling-gap');
      assert.ok(gap !== undefined && gap.message.includes(stalledHost), JSON.stringify(result.findings));
      assert.match(r.stdout, new RegExp(`server sampling of ${stalledHost} stalled at 0 s`));
    });

    test('SIGINT while the sampler is stalled: the load stops, the result is written, exit 1', async () => {
      const p = await proxy();
      const json = join(dir, 'sigint.json');
      const { r, ms } = await runStalling(
        ['run', '--url', url(`${direct},${viaProxy(p)}`), '-T', '120', '-c', '2', '--json', json],
        () => p.blackhole(),
        (child) => child.kill('SIGINT'),
      );
      assert.equal(r.code, 1, show(r));
      assert.ok(ms < 60_000, `the run took ${ms} ms\n${show(r)}`);
      const result = readResultOf(json, r);
      assert.equal(result.stop?.reason, 'interrupted');
      assert.equal(result.stop?.signal, 'SIGINT');
      assert.ok(result.summary.transactions > 0);
    });

    test('a second SIGINT while the sampler is stalled stops at once and still writes the result', async () => {
      const p = await proxy();
      const json = join(dir, 'sigint-twice.json');
      const { r, ms } = await runStalling(
        ['run', '--url', url(`${direct},${viaProxy(p)}`), '-T', '120', '-c', '2', '--json', json],
        () => p.blackhole(),
        (child) => {
          child.kill('SIGINT');
          setTimeout(() => child.kill('SIGINT'), 200);
        },
      );
      assert.equal(r.code, 1, show(r));
      assert.ok(ms < 60_000, `the run took ${ms} ms\n${show(r)}`);
      assert.match(r.stderr, /SIGINT again: stopping at once/);
      const result = readResultOf(json, r);
      // The load may have ended before the second signal (then it cut short the wait for the observer).
      assert.equal(result.stop?.reason, 'interrupted');
      assert.ok(result.summary.transactions > 0);
    });

    test('init over a path that stalls mid-way: one line naming the host and the statement, exit 1, no hang', async () => {
      const p = await proxy();
      const viaUrl = url(viaProxy(p));
      let stalled = false;
      const t0 = Date.now();
      const r = await runCli(['init', '--url', viaUrl, '-s', '2'], {
        env: cleanEnv({ PGSURGE_OWN_QUERY_DEADLINE_S: '4' }),
        timeoutMs: HANG_MS,
        onStderr: (chunk) => {
          // The first progress line: the connection is open and init's statements are under way.
          if (stalled || !/drop tables|create tables|client-side generate|pgbench_/.test(chunk) || /initialising/.test(chunk)) return;
          stalled = true;
          p.blackhole();
        },
      });
      const ms = Date.now() - t0;
      assert.ok(stalled, show(r));
      assert.equal(r.code, 1, show(r));
      // Silence deadline (4 s here), then a second connection that cannot connect either (connect_timeout=3).
      assert.ok(ms < HANG_MS, `init took ${ms} ms`);
      const lines = r.stderr.trim().split('\n');
      assert.match(
        lines[lines.length - 1]!,
        new RegExp(
          `^pgsurge: ${viaProxy(p).replace(/\./g, '\\.')}: no answer to ".+" within 4 s, and a second connection failed too \\(timeout expired after 3 s while connecting\\): the server or the network path to it stopped answering; check them, then retry$`,
        ),
        show(r),
      );
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    });
  });

  describe('locks held by another session (a copy of the database)', { concurrency: false }, () => {
    test('a pre-run VACUUM blocked by another session: one line names the table, the pid and -n; exit 2 after the lock timeout', async () => {
      // SHARE UPDATE EXCLUSIVE lets the scale be read and blocks only the VACUUM.
      await withLock('share update exclusive', async (pid) => {
        const r = await runCli(['run', '--url', locksUrl, '-T', '1'], { env: cleanEnv(), timeoutMs: HANG_MS });
        assert.equal(r.code, 2, show(r));
        assert.match(
          r.stderr,
          new RegExp(
            `^pgsurge: pre-run vacuum pgbench_branches waits for a lock on pgbench_branches held by pid ${pid} \\(idle in transaction: "lock pgbench_branches in share update exclusive mode"\\); giving up after 10 s \\(skip the pre-run vacuum with -n/--no-vacuum\\)$`,
            'm',
          ),
          show(r),
        );
        assert.match(
          r.stderr,
          new RegExp(
            `^pgsurge: pre-run vacuum pgbench_branches: pgbench_branches is locked by pid ${pid} .*not granted within 10 s: end that session \\(or skip the pre-run vacuum with -n/--no-vacuum\\)$`,
            'm',
          ),
        );
        assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
        // The way out works while the lock is still held.
        const skipped = await runCli(['run', '--url', locksUrl, '-T', '1', '-n'], { env: cleanEnv(), timeoutMs: HANG_MS });
        assert.equal(skipped.code, 0, show(skipped));
      });
    });

    test('the connection is reset while the pre-run vacuum waits: one line naming where and what, exit 1, never an internal error', async () => {
      await withLock('share update exclusive', async () => {
        const p = await proxy();
        let reset = false;
        const r = await runCli(['run', '--url', `postgres://${server.user}@${viaProxy(p)}/${LOCKS_DB}`, '-T', '1'], {
          env: cleanEnv(),
          timeoutMs: HANG_MS,
          onStderr: (chunk) => {
            if (reset || !/waits for a lock/.test(chunk)) return;
            reset = true;
            p.reset();
          },
        });
        assert.ok(reset, show(r));
        assert.equal(r.code, 1, show(r));
        const lines = r.stderr.trim().split('\n');
        assert.match(
          lines[lines.length - 1]!,
          new RegExp(`^pgsurge: preparing the run on ${viaProxy(p).replace(/\./g, '\\.')} failed before any load: .*(ECONNRESET|terminated)`),
          show(r),
        );
        assert.doesNotMatch(r.stderr, /internal error|^\s+at /m, show(r));
      });
    });

    test('an ACCESS EXCLUSIVE lock blocks reading the scale: the line names the blocking pid; exit 2', async () => {
      await withLock('access exclusive', async (pid) => {
        const r = await runCli(['run', '--url', locksUrl, '-T', '1', '-n'], { env: cleanEnv(), timeoutMs: HANG_MS });
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, new RegExp(`^pgsurge: reading the scale waits for a lock on pgbench_branches held by pid ${pid} `, 'm'), show(r));
        assert.match(r.stderr, new RegExp(`^pgsurge: reading the scale: pgbench_branches is locked by pid ${pid} .*: end that session$`, 'm'), show(r));
      });
    });
  });
});
