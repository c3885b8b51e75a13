/**
 * Measurement against a real server: open-loop rate accuracy, latency from the schedule while a
 * table is locked, and retries of serialization failures that replay the transaction.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isCI, startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { readResult } from '../helpers/result.js';
import type { LocalServer } from '../../src/local/server.js';

// Top-level await: the server belongs to the file and is stopped after all of its tests.
const server: LocalServer = await startTestServer();
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pgsurge-measure-'));
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
});

for (const arrivals of ['uniform', 'poisson'] as const) {
  test(`open loop: -R 2000 holds the rate with ${arrivals} arrivals, nothing dropped`, async () => {
    const json = join(dir, `rate-${arrivals}.json`);
    const seconds = isCI ? 5 : 10;
    const r = await runCli([
      'run',
      '--url',
      server.url,
      '-b',
      'select-only',
      '-R',
      '2000',
      '-T',
      String(seconds),
      '-c',
      '8',
      '--arrivals',
      arrivals,
      '--json',
      json,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = readResult(json).summary;
    if (arrivals === 'uniform') {
      // Evenly spaced: the achieved rate is the scheduler's precision alone.
      assert.ok(Math.abs(s.tps - 2000) / 2000 < 0.01, `tps ${s.tps}`);
    } else {
      // A Poisson count over T s has a standard deviation of sqrt(2000 T), 1 % at 5 s: ±2 % would
      // fail one run in twenty by chance. Within 4 standard deviations, and every arrival served
      // (the counting rule below, with nothing dropped, skipped or failed).
      const expected = 2000 * seconds;
      assert.ok(Math.abs(s.arrivals - expected) < 4 * Math.sqrt(expected), `arrivals ${s.arrivals}, expected ${expected}`);
      // Unfinished at the stop: the 8 clients' transactions in flight and the arrivals still queued
      // for a free client (a busy machine queues a few); never a share of the run.
      assert.ok(s.unfinished <= 8 + s.arrivals * 0.01, `unfinished ${s.unfinished} of ${s.arrivals} arrivals`);
    }
    assert.equal(s.dropped, 0);
    assert.equal(s.skipped, 0);
    assert.equal(s.failed, 0);
    assert.equal(s.arrivals, s.transactions + s.failed + s.skipped + s.dropped + s.unfinished);
  });
}

test('open loop at 500/s with the table locked for 2 s: p99 latency is near 2 s, not near the service time', async () => {
  const json = join(dir, 'lock.json');
  const locker = new pg.Client({ connectionString: server.url });
  await locker.connect();
  // Lock the table at the first progress line (1 s into the measured phase), hold it 2 s.
  let held: Promise<void> | undefined;
  const hold = async (): Promise<void> => {
    await locker.query('begin');
    await locker.query('lock table pgbench_accounts in access exclusive mode');
    await new Promise((r) => setTimeout(r, 2000));
    await locker.query('commit');
  };
  const run = runCli(
    ['run', '--url', server.url, '-b', 'select-only', '-R', '500', '-T', '6', '-c', '16', '-P', '1', '--json', json, '--arrivals', 'uniform'],
    {
      onStderr: (chunk) => {
        if (held === undefined && chunk.includes('progress:')) held = hold();
      },
    },
  );
  const r = await run;
  await held;
  await locker.end();
  assert.ok(held !== undefined, 'the run printed progress');
  assert.equal(r.code, 0, r.stderr);
  const s = readResult(json).summary;
  assert.ok(s.latencyMs.p99! > 1500 && s.latencyMs.p99! < 3000, `p99 ${s.latencyMs.p99} ms`);
  assert.ok(s.latencyMs.p50! < 50, `p50 ${s.latencyMs.p50} ms: most transactions were not blocked`);
  assert.ok(s.serviceMs.p99! < s.latencyMs.p99!, 'service time alone would hide the queueing behind the lock');
  assert.equal(s.failed, 0);
});

test('a table lock held past the end: the transactions left waiting are unfinished, in the latency at their wait, and fail p99 and success_rate', async () => {
  const json = join(dir, 'lock-past-end.json');
  const locker = new pg.Client({ connectionString: server.url });
  await locker.connect();
  let locked: Promise<unknown> | undefined;
  // The first progress line: the measured phase has run for 1 s. Lock then, and hold it past the end.
  const run = runCli(
    [
      'run',
      '--url',
      server.url,
      '-b',
      'select-only',
      '-R',
      '200',
      '-T',
      '4',
      '-c',
      '4',
      '-P',
      '1',
      '--grace',
      '1s',
      '--arrivals',
      'uniform',
      '--json',
      json,
    ].concat(['--threshold', 'p99<20ms', '--threshold', 'success_rate>=99.9%', '--threshold', 'errors<1%']),
    {
      onStderr: (chunk) => {
        if (locked === undefined && chunk.includes('progress:')) {
          locked = locker.query('begin').then(() => locker.query('lock table pgbench_accounts in access exclusive mode'));
        }
      },
    },
  );
  const r = await run;
  await locked;
  await locker.query('commit');
  await locker.end();
  assert.ok(locked !== undefined, 'the run printed progress');
  assert.equal(r.code, 99, r.stderr);
  const result = readResult(json);
  const s = result.summary;
  assert.equal(s.arrivals, s.transactions + s.failed + s.skipped + s.dropped + s.unfinished);
  assert.ok(s.transactions > 0, 'the first second ran');
  assert.ok(s.unfinished > 100, `unfinished ${s.unfinished}: everything after the lock`);
  assert.equal(s.latencyIncludesUnfinished, s.unfinished);
  // The oldest was in flight from the lock to the end, then through the 1 s grace period.
  assert.ok(s.unfinishedMaxWaitMs! >= 1000, `oldest waited ${s.unfinishedMaxWaitMs} ms`);
  assert.ok(s.latencyMs.max! >= s.unfinishedMaxWaitMs!);
  assert.ok(s.successRate! < 0.999 && s.successRate === Math.round((s.transactions / s.arrivals) * 1e6) / 1e6);
  assert.deepEqual(
    result.thresholds.map((t) => [t.expr, t.ok]),
    [
      ['p99<20ms', false],
      ['success_rate>=99.9%', false],
      ['errors<1%', true],
    ],
  );
  assert.deepEqual([result.verdict?.passed, result.verdict?.failed], [false, ['p99<20ms', 'success_rate>=99.9%']]);
  assert.match(r.stdout, new RegExp(`latency includes ${s.unfinished.toLocaleString('en-US')} unfinished transactions counted at their wait so far`));
  assert.match(r.stdout, /\nFAILED: p99<20ms \(actual [\d.]+ms\); success_rate>=99\.9% \(actual [\d.]+%\); rate missed: asked 200\/s, [^\n]*\n$/);
});

test('serialization failures are retried up to --max-tries, replaying the transaction; every committed try counts once', async () => {
  const script = join(dir, 'conflict.sql');
  writeFileSync(
    script,
    [
      'BEGIN ISOLATION LEVEL REPEATABLE READ;',
      'SELECT abalance FROM pgbench_accounts WHERE aid = 1;',
      '\\sleep 2 ms',
      'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1;',
      'END;',
      '',
    ].join('\n'),
  );
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  const balance = async (): Promise<number> => Number((await c.query<{ b: number }>('select abalance as b from pgbench_accounts where aid = 1')).rows[0]!.b);
  try {
    // Without retries, conflicts are counted as serialization failures.
    const noRetry = join(dir, 'conflict-1.json');
    const before1 = await balance();
    let r = await runCli(['run', '--url', server.url, '-f', script, '-c', '4', '-T', '2', '-n', '--json', noRetry]);
    assert.equal(r.code, 0, r.stderr);
    let s = readResult(noRetry).summary;
    assert.ok(s.errors.serialization > 0, 'conflicts happened');
    assert.equal(s.retried, 0);
    assert.equal((await balance()) - before1, s.transactions, 'one increment per committed transaction');

    // With retries, they are replayed until they commit.
    const withRetry = join(dir, 'conflict-100.json');
    const before2 = await balance();
    r = await runCli(['run', '--url', server.url, '-f', script, '-c', '4', '-T', '2', '-n', '--max-tries', '1000', '--json', withRetry]);
    assert.equal(r.code, 0, r.stderr);
    s = readResult(withRetry).summary;
    assert.ok(s.retried > 0 && s.retries >= s.retried, `retried ${s.retried}, retries ${s.retries}`);
    // As in pgbench, nothing is retried once the duration is over: at most one failure per client, at the end.
    assert.ok(s.errors.serialization <= 4, `serialization failures ${s.errors.serialization}`);
    assert.ok(s.retried > 10 * s.errors.serialization);
    assert.equal((await balance()) - before2, s.transactions, 'one increment per committed transaction');
  } finally {
    await c.end();
  }
});

test('rate stages ramp linearly, and --warmup is left out of the results', async () => {
  const json = join(dir, 'stages.json');
  // 100/s → 500/s over 2 s (600 arrivals), then 500/s for 2 s (1000 arrivals).
  const r = await runCli(['run', '--url', server.url, '-b', 'select-only', '-R', '100', '--stages', '2s:500,2s:500', '--arrivals', 'uniform', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(json);
  assert.ok(Math.abs(result.summary.arrivals - 1600) <= 2, `arrivals ${result.summary.arrivals}`);
  assert.equal(result.intervals.length, 4);
  const [i0, i1, i2, i3] = result.intervals.map((i) => i.transactions);
  // A transaction counts in the interval it ends in: one due just before a boundary may end after
  // it. At most the run's longest latency (from the schedule) × 500/s of them cross each boundary.
  const slack = 3 + Math.ceil(((result.summary.latencyMs.max ?? 0) / 1000) * 500);
  assert.ok(Math.abs(i0! - 200) <= slack && Math.abs(i1! - 400) <= slack, `ramp: ${i0}, ${i1} (slack ${slack})`);
  assert.ok(Math.abs(i2! - 500) <= slack && Math.abs(i3! - 500) <= slack, `plateau: ${i2}, ${i3} (slack ${slack})`);

  const warm = join(dir, 'warmup.json');
  const w = await runCli(['run', '--url', server.url, '-b', 'select-only', '-R', '200', '--arrivals', 'uniform', '--warmup', '2s', '-T', '2', '--json', warm]);
  assert.equal(w.code, 0, w.stderr);
  const wr = readResult(warm);
  assert.ok(Math.abs(wr.durationS - 2) < 0.1);
  assert.ok(Math.abs(wr.summary.arrivals - 400) <= 2, `only the measured 2 s count: ${wr.summary.arrivals}`);
  assert.equal(wr.intervals.length, 2);
});

test('closed-loop stages ramp the number of active clients', async () => {
  const json = join(dir, 'vu-stages.json');
  const f = join(dir, 'sleepy.sql');
  // Each transaction takes ~10 ms, so throughput follows the number of active clients.
  writeFileSync(f, 'SELECT pg_sleep(0.01);\n');
  const r = await runCli(['run', '--url', server.url, '-f', f, '--stages', '1s:1,2s:1,1s:8,2s:8', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(json);
  assert.equal(result.intervals.length, 6);
  const tps = result.intervals.map((i) => i.tps);
  assert.ok(tps[2]! < 150, `one client: ${tps[2]}`);
  assert.ok(tps[5]! > 4 * tps[2]!, `eight clients do much more than one: ${tps.join(', ')}`);
});

test('think time: -c 4 -T 2s --think-time 100ms runs about clients × duration / think transactions; -t too', async () => {
  const json = join(dir, 'think.json');
  const r = await runCli(['run', '--url', server.url, '-b', 'select-only', '-c', '4', '-T', '2s', '--think-time', '100ms', '--no-observe', '--json', json]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /4 clients thinking 100 ms/);
  const s = readResult(json).summary;
  // At most 4 × 2 s / 100 ms = 80 (each transaction takes some time too), and far more than a third of it.
  assert.ok(s.transactions < 80 * 1.1 && s.transactions > 80 / 3, `transactions ${s.transactions}`);
  assert.equal(s.arrivals, s.transactions + s.failed + s.skipped + s.dropped + s.unfinished);
  const jt = join(dir, 'think-t.json');
  const t = await runCli([
    'run',
    '--url',
    server.url,
    '-b',
    'select-only',
    '-c',
    '3',
    '-t',
    '4',
    '--think-time',
    '50ms',
    '--think-time-dist',
    'exponential',
    '--no-observe',
    '--json',
    jt,
  ]);
  assert.equal(t.code, 0, t.stderr);
  assert.equal(readResult(jt).summary.transactions, 12);
  const withRate = await runCli(['run', '--url', server.url, '-R', '100', '--think-time', '100ms']);
  assert.equal(withRate.code, 2);
  assert.match(withRate.stderr, /--think-time.*-R\/--rate/);
});
