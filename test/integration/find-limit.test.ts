/**
 * `pgsurge run --find-limit` against a server whose capacity is capped and known: a script of
 * `SELECT pg_sleep(0.1)` with 20 clients cannot do more than 200 transactions per second, whatever
 * the machine, and CPU is not what caps it. The sleep is long beside what a transaction costs
 * besides it (a millisecond or two on a busy machine; with pg_sleep(0.01) that cost moved the real
 * capacity to 300/s and the search rightly stopped there), so the open-loop search must find its
 * edge within 10 % of 200/s and say that neither CPU bound it (all the clients were busy: latency).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema } from '../../src/report/result.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-find-limit-'));
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server.stop();
});

const SLEEP = 'SELECT pg_sleep(0.1);\n';

/**
 * The 200/s server searched from `-R startRate` by 20 clients; steps of 2 s on a 500 ms grid (three
 * judged intervals each); -T bounds the whole search. The result is written to `json`.
 */
function findLimit(name: string, startRate: number, json: string, extra: readonly string[]): ReturnType<typeof runCli> {
  const script = join(dir, `${name}.sql`);
  writeFileSync(script, SLEEP);
  return runCli(
    [
      'run',
      '-f',
      script,
      '-c',
      '20',
      '-R',
      String(startRate),
      '--arrivals',
      'uniform',
      '--find-limit',
      '--find-limit-step',
      '2s',
      '--interval',
      '500ms',
      '-T',
      '24',
      '--url',
      server.url,
      '--json',
      json,
      ...extra,
    ],
    { timeoutMs: 90_000 },
  );
}

test('open-loop --find-limit finds the edge of a 200/s server and names the bound', async () => {
  const json = join(dir, 'result.json');
  const run = await findLimit('sleep', 100, json, ['--html', join(dir, 'report.html')]);
  assert.equal(run.code, 0, run.stderr);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  const limit = result.limit;
  assert.ok(limit !== undefined, 'the result has a limit section');
  assert.equal(limit.outcome, 'found', limit.line);
  assert.equal(limit.kind, 'rate');
  const held = limit.held!;
  const broke = limit.broke!;
  // 20 clients × 100 ms: no more than 200/s, so a step asking clearly more must break.
  // The edge within 10 % of 200/s; what held cannot have done more than 200/s (within a grid step's rounding).
  assert.ok(broke.target >= 180 && broke.target <= 220, limit.line);
  assert.ok(held.achievedTps <= 204, limit.line);
  assert.ok(broke.target > held.target && broke.target - held.target <= held.target * 0.05, limit.line);
  assert.equal(limit.bound?.kind, 'latency', limit.line);
  // Each step is an interval range of the one result; the search ended the run early.
  for (const s of limit.steps) assert.ok(s.lastInterval < result.intervals.length && s.firstInterval <= s.lastInterval);
  assert.equal(result.stop?.reason, 'ended');
  assert.ok(result.durationS < 24, `the search ended the run (${result.durationS} s)`);
  // What the user reads: the table and the one line, in the summary and again from the result.
  assert.match(run.stdout, /find-limit \(\d+ steps of 2 s/);
  assert.match(run.stdout, /limit: [\d,]+ tps held at -R [\d,]+; broke at -R [\d,]+ \(.+\); bound: latency: all 20 clients busy/);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  assert.ok(html.includes('<h2 id="limit">Limit</h2>'), 'the HTML report has the limit section');
  const report = await runCli(['report', json]);
  assert.equal(report.code, 0, report.stderr);
  assert.ok(report.stdout.includes(limit.line), report.stdout);
});

test("the run's thresholds are the step criterion: the search stops where they break, and they are judged on the step that held", async () => {
  const json = join(dir, 'threshold.json');
  // The server takes 200/s; a throughput ceiling of 100/s breaks well before that, on any machine.
  const run = await findLimit('sleep2', 60, json, ['--threshold', 'tps<=100']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  const limit = result.limit!;
  assert.equal(limit.outcome, 'found', limit.line);
  assert.match(limit.broke!.broke ?? '', /^tps<=100 \(actual [\d.]+\)$/, limit.line);
  assert.ok(limit.held!.target >= 60 && limit.held!.target <= 100 && limit.broke!.target <= 120, limit.line);
  assert.ok(
    limit.steps.every((s) => s.held || /^tps<=100/.test(s.broke ?? '')),
    'no step broke on the default rules',
  );
  // Judged on the held step, not on the whole run (whose steps went past 250/s).
  assert.equal(result.thresholds[0]?.ok, true, JSON.stringify(result.thresholds));
  assert.match(run.stdout, /\nPASSED: the threshold held/);
});

test('a server threshold breaks a step while the search runs: a CPU ceiling any load passes ends it at the first step', async () => {
  const json = join(dir, 'server-threshold.json');
  // The server's machine is busier than 0.01 % under any load: the first step breaks on it.
  const run = await findLimit('sleep3', 60, json, ['--threshold', 'max(server.cpu)<0.01%']);
  const result = resultV1Schema.parse(JSON.parse(readFileSync(json, 'utf8')));
  const limit = result.limit!;
  assert.equal(limit.outcome, 'first-broke', limit.line);
  assert.equal(limit.steps.length, 1, limit.line);
  assert.match(limit.broke!.broke ?? '', /^max\(server\.cpu\)<0\.01% \(actual [\d.]+% on 127\.0\.0\.1:\d+ at [\d.]+s\)$/, limit.line);
  assert.match(run.stderr, /find-limit: -R 60: \d+ tps, p99 [\d.]+ ms: broke \(max\(server\.cpu\)<0\.01%/);
  // No step held: the threshold is judged on the whole run, and fails (exit 99 before the search's 1).
  assert.equal(run.code, 99, run.stdout + run.stderr);
});
