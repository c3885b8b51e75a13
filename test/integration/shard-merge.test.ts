/**
 * A run in parts (`run --shard K/N`, each its own process) joined by `pgsurge merge`: the parts'
 * clients, ids and arrivals together are the run asked for, and the merged percentiles are the
 * exact percentiles of every transaction the parts logged (--log), within HDR's 3 significant
 * digits. Against a real server, with a built-in and a pgbench script file in one mix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { readResult } from '../helpers/result.js';
import type { ResultV1 } from '../../src/report/result.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-shards-'));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
const script = join(dir, 'balance.sql');
writeFileSync(script, '\\set aid random(1, 100000 * :scale)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n');

const N = 3;
const RATE = 300;
const SECONDS = 3;

interface Logged {
  readonly client: number;
  readonly latencyUs: number | null;
  readonly script: number;
}

function readLog(file: string): Logged[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ');
      assert.equal(f.length, 7, `pgbench -l fields plus the schedule lag: ${l}`);
      return { client: Number(f[0]), latencyUs: f[2] === 'failed' ? null : Number(f[2]), script: Number(f[3]) };
    });
}

/** HDR's value at a percentile over exact samples (µs): the sample at rank ⌈p·n⌉. */
function exactPercentileMs(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! / 1000;
}

/** Within HDR's precision: 3 significant digits (0.1 %), plus the result's µs rounding. */
function assertClose(actualMs: number | null, exactMs: number, what: string): void {
  assert.ok(actualMs !== null, `${what}: measured`);
  assert.ok(Math.abs(actualMs - exactMs) <= exactMs * 0.001 + 0.001, `${what}: merged ${actualMs} ms, exact ${exactMs} ms`);
}

const parts: { json: string; log: string }[] = [];
const merged = join(dir, 'merged.json');
let results: ResultV1[] = [];

async function runParts(): Promise<void> {
  // Far enough ahead that every part has connected, also on a busy CI machine.
  const startAt = new Date(Date.now() + 15_000).toISOString();
  const runs = await Promise.all(
    Array.from({ length: N }, (_, i) => {
      const k = i + 1;
      const p = { json: join(dir, `part${k}.json`), log: join(dir, `part${k}.log`) };
      parts.push(p);
      return runCli([
        'run',
        '-b',
        'select-only@1',
        '-f',
        `${script}@1`,
        '--url',
        server.url,
        '--shard',
        `${k}/${N}`,
        '-c',
        '7',
        '-j',
        '2',
        '-R',
        String(RATE),
        '--arrivals',
        'uniform',
        '-T',
        String(SECONDS),
        '--random-seed',
        '11',
        '-n',
        '--no-observe',
        '--start-at',
        startAt,
        '--json',
        p.json,
        '--log',
        p.log,
      ]);
    }),
  );
  runs.forEach((r, i) => assert.equal(r.code, 0, `part ${i + 1}: ${r.stderr}`));
  assert.match(runs[1]!.stderr, /running part 2 of 3 of /);
  assert.match(runs[1]!.stdout, /^part: +2 of 3 of run [0-9a-f]{16} \(pgsurge merge joins the parts\)$/m);
  assert.match(runs[1]!.stdout, /PASSED: .*part 2 of 3, 0 failed transactions; the run's thresholds are judged on the merged result/);
  results = parts.map((p) => readResult(p.json));
}

test('three parts at one start instant: their clients, ids and arrivals together are the run asked for', async () => {
  await runParts();
  const runIds = new Set(results.map((r) => r.shard?.runId));
  assert.equal(runIds.size, 1, 'one run id, derived from the options the parts share');
  results.forEach((r, i) => {
    assert.deepEqual([r.shard?.k, r.shard?.n, r.shard?.parts], [i + 1, N, [i + 1]]);
    assert.equal(r.startedAt, results[0]!.startedAt, 'the measured phases start at the same instant');
  });
  // 7 clients in 3 parts: 3, 2, 2; ids 0..6, every third from K-1 (pgbench's :client_id). An open
  // loop at this rate may leave a client idle, so the logged ids are a subset of the part's.
  const expected = [
    [0, 3, 6],
    [1, 4],
    [2, 5],
  ];
  parts.forEach((p, i) => {
    const logged = new Set(readLog(p.log).map((x) => x.client));
    assert.ok(logged.size > 0, `part ${i + 1} logged transactions`);
    for (const id of logged) assert.ok(expected[i]!.includes(id), `part ${i + 1} ran client ${id}`);
  });
  assert.deepEqual(
    results.map((r) => r.summary.connects),
    [3, 2, 2],
  );
  // Uniform arrivals interleave: together exactly the one schedule of 300/s for 3 s.
  const arrivals = results.reduce((n, r) => n + r.summary.arrivals, 0);
  assert.ok(Math.abs(arrivals - RATE * SECONDS) <= 1, `arrivals ${arrivals}`);
  for (const r of results) assert.ok(Math.abs(r.summary.arrivals - (RATE * SECONDS) / N) <= 1, `a part has its third: ${r.summary.arrivals}`);
});

test('the merged result: counts summed, every percentile the exact one of all logged transactions; order-independent', async () => {
  const m = await runCli(['merge', parts[2]!.json, parts[0]!.json, parts[1]!.json, '--json', merged, '-r']);
  assert.equal(m.code, 0, m.stderr);
  assert.match(m.stderr, /merged 3 of 3 parts of run /);
  assert.match(m.stdout, /^merged: +3 of 3 parts of run [0-9a-f]{16}$/m);
  const r = readResult(merged);
  assert.deepEqual(r.merged?.parts, [1, 2, 3]);
  assert.deepEqual(r.merged?.missing, []);
  assert.equal(r.config['shard'], undefined, 'the merged result is the whole run');
  const sum = (f: (x: ResultV1) => number): number => results.reduce((n, x) => n + f(x), 0);
  assert.equal(
    r.summary.transactions,
    sum((x) => x.summary.transactions),
  );
  assert.equal(
    r.summary.arrivals,
    sum((x) => x.summary.arrivals),
  );
  assert.equal(r.summary.failed, 0);
  assert.equal(r.intervals.length, SECONDS);
  r.intervals.forEach((iv, i) =>
    assert.equal(
      iv.transactions,
      sum((x) => x.intervals[i]?.transactions ?? 0),
      `interval ${i}`,
    ),
  );

  const logged = parts.flatMap((p) => readLog(p.log));
  const ok = logged.filter((x) => x.latencyUs !== null);
  assert.equal(ok.length, r.summary.transactions, 'the logs hold exactly the measured transactions');
  const names = Object.keys(r.transactionTypes);
  assert.equal(names.length, 2);
  names.forEach((name, script) => {
    const sorted = ok
      .filter((x) => x.script === script)
      .map((x) => x.latencyUs!)
      .sort((a, b) => a - b);
    const t = r.transactionTypes[name]!;
    assert.equal(t.transactions, sorted.length, name);
    for (const p of [50, 90, 95, 99] as const) assertClose(t.latencyMs[`p${p}`], exactPercentileMs(sorted, p), `${name} p${p}`);
    assert.equal(t.latencyMs.max, sorted[sorted.length - 1]! / 1000, `${name} max is exact`);
  });
  if (r.summary.unfinished === 0) {
    const all = ok.map((x) => x.latencyUs!).sort((a, b) => a - b);
    const run = r.summary.latencyMs;
    assertClose(run.p50, exactPercentileMs(all, 50), 'run p50');
    assertClose(run.p99, exactPercentileMs(all, 99), 'run p99');
    assertClose(run.p999, exactPercentileMs(all, 99.9), 'run p99.9');
  }
  // Any order, and a merged result merges again: parts 1+2 (partial), then with part 3.
  const partial = join(dir, 'partial.json');
  const partialHtml = join(dir, 'partial.html');
  const p12 = await runCli(['merge', parts[1]!.json, parts[0]!.json, '--partial', '--json', partial, '--html', partialHtml]);
  assert.equal(p12.code, 1, 'a merge that lacks a part is never complete');
  assert.match(p12.stdout, /FAILED: part 3\/3 missing from the merge \(partial results\)/);
  assert.match(p12.stdout, /^merged: +2 of 3 parts of run [0-9a-f]{16}; missing 3\/3: not the whole run$/m);
  assert.deepEqual(readResult(partial).merged?.missing, [3]);
  assert.match(readFileSync(partialHtml, 'utf8'), /merged 2 of 3 parts of run [0-9a-f]{16} — MISSING part 3: not the whole run/);
  const again = join(dir, 'again.json');
  const m2 = await runCli(['merge', parts[2]!.json, partial, '--json', again]);
  assert.equal(m2.code, 0, m2.stderr);
  const r2 = readResult(again);
  assert.deepEqual(r2.summary, r.summary);
  assert.deepEqual(r2.transactionTypes, r.transactionTypes);
  assert.deepEqual(r2.intervals, r.intervals);
  assert.deepEqual(r2.histograms, r.histograms);
});

test('thresholds are judged on the whole run: one a part alone would fail holds merged, one the whole misses exits 99', async () => {
  // Each part ran 100/s: a part judged alone would fail tps>=250; the whole holds it.
  const held = await runCli(['merge', ...parts.map((p) => p.json), '--threshold', 'tps>=250', '--threshold', 'success_rate>=99%']);
  assert.equal(held.code, 0, held.stdout + held.stderr);
  assert.match(held.stdout, /PASSED: all 2 thresholds held/);
  const missed = await runCli(['merge', ...parts.map((p) => p.json), '--threshold', `tps>=${RATE * 2}`]);
  assert.equal(missed.code, 99, missed.stdout + missed.stderr);
  assert.match(missed.stdout, /FAILED: tps>=600 \(actual /);
});

test('merge refuses what is not one run: a plain result, a part twice, a part missing, other options; one line each, exit 2', async () => {
  const plain = join(dir, 'plain.json');
  const r = await runCli(['run', '-b', 'select-only', '--url', server.url, '-c', '2', '-T', '1', '-n', '--no-observe', '--json', plain]);
  assert.equal(r.code, 0, r.stderr);
  const cases: [string[], RegExp][] = [
    [[parts[0]!.json, plain], /plain\.json: not a part of a sharded run \(no shard section: run it with --shard K\/N\)/],
    [[parts[0]!.json, parts[1]!.json, parts[0]!.json], /part 1\/3 is in both .*part1\.json and .*part1\.json: give each part once/],
    [[parts[0]!.json, parts[1]!.json], /parts? 3\/3 missing \(have 1\/3, 2\/3\): give its result, or --partial/],
    [[join(dir, 'nothing.json')], /nothing\.json/],
  ];
  const other = JSON.parse(readFileSync(parts[1]!.json, 'utf8')) as { config: Record<string, unknown> };
  other.config['clients'] = 9;
  const otherFile = join(dir, 'other.json');
  writeFileSync(otherFile, JSON.stringify(other));
  cases.push([[parts[0]!.json, otherFile, parts[2]!.json], /were run with different options \(clients: 7 in .*part1\.json, 9 in .*other\.json\)/]);
  for (const [files, message] of cases) {
    const m = await runCli(['merge', ...files]);
    assert.equal(m.code, 2, `${files.join(' ')}: ${m.stderr}`);
    assert.match(m.stderr, message);
    assert.equal(m.stderr.trim().split('\n').length, 1, `one line: ${m.stderr}`);
    assert.doesNotMatch(m.stderr, /\n\s+at /, 'no stack trace');
  }
});
