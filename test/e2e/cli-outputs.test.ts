/**
 * A run never loses what it measured: output paths checked before the start, every output written
 * when one fails at the end, SIGHUP/SIGTERM/SIGINT end a run with its files, a second signal stops
 * at once and still writes them, --out keeps inputs apart from outputs, and a worker thread that
 * ends unexpectedly leaves a result that says so.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { readResult, countingRuleHolds } from '../helpers/result.js';
import type { LocalServer } from '../../src/local/server.js';

const server: LocalServer = await startTestServer();
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pgsurge-cli-outputs-'));
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
});

test('bad output paths are refused before anything starts: exit 2, the option, the path and why', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const cases: { args: string[]; stderr: RegExp }[] = [
    { args: ['--json', '/nonexistent/x.json'], stderr: /--json \/nonexistent\/x\.json: directory \/nonexistent does not exist/ },
    { args: ['--json', '/proc/x.json'], stderr: /--json \/proc\/x\.json: files cannot be created in \/proc/ },
    { args: ['--csv', dir], stderr: /--csv .*: is a directory/ },
    { args: ['--html', join(file, 'r.html')], stderr: /--html .*a-file\/r\.html: .*a-file is a file, not a directory/ },
    { args: ['--out', file], stderr: /--out .*a-file: is an existing file, not a directory/ },
    { args: ['--json', join(dir, 'same'), '--csv', join(dir, 'same')], stderr: /--csv .*same: the same file as --json/ },
  ];
  for (const c of cases) {
    // No --url: had the check not stopped it, the run would start a throwaway server.
    const r = await runCli(['run', '-T', '1', ...c.args]);
    assert.equal(r.code, 2, `${c.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, c.stderr);
    assert.doesNotMatch(r.stderr, /throwaway|Error\n\s+at /, 'nothing started, no stack trace');
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

test('an output that cannot be written at the end: the others are written, the failed one is named, exit 1', async () => {
  const d = join(dir, 'late');
  const gone = join(d, 'gone');
  mkdirSync(gone, { recursive: true });
  let removed = false;
  const r = await runCli(
    [
      'run',
      '--url',
      server.url,
      '-b',
      'select-only',
      '-c',
      '2',
      '-T',
      '3',
      '-P',
      '1',
      '--json',
      join(gone, 'r.json'),
      '--csv',
      join(d, 'r.csv'),
      '--html',
      join(d, 'r.html'),
      '--out',
      join(d, 'out'),
    ],
    {
      onStderr: (chunk) => {
        if (!removed && /progress: 1\.0 s/.test(chunk)) {
          removed = true;
          rmSync(gone, { recursive: true, force: true });
        }
      },
    },
  );
  assert.ok(removed, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /--json \S*gone\/r\.json: not written: directory \S*gone does not exist/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.match(r.stdout, /tps/, 'the summary is printed');
  for (const f of ['r.csv', 'r.html', 'out/result.json', 'out/report.html', 'out/intervals.csv']) assert.ok(existsSync(join(d, f)), f);
  assert.ok(readResult(join(d, 'out', 'result.json')).summary.transactions > 0);
});

test('SIGHUP (a closed terminal) ends the run gracefully: a complete result marked interrupted by SIGHUP, exit 1', async () => {
  const json = join(dir, 'hup.json');
  let sent = false;
  const r = await runCli(['run', '--url', server.url, '-b', 'select-only', '-c', '2', '-T', '60', '-P', '1', '--json', json], {
    onStderr: (chunk, child) => {
      if (!sent && /progress: 2\.0 s/.test(chunk)) {
        sent = true;
        child.kill('SIGHUP');
      }
    },
  });
  assert.ok(sent, 'saw progress lines');
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.signal, null, 'it exited by itself, not killed by the signal');
  const result = readResult(json);
  assert.deepEqual(result.stop, { reason: 'interrupted', signal: 'SIGHUP', message: 'interrupted by SIGHUP' });
  assert.ok(result.summary.transactions > 0);
  assert.ok(result.durationS > 1.5 && result.durationS < 30, `durationS ${result.durationS}`);
  assert.ok(countingRuleHolds(result));
  assert.match(r.stdout.split('\n')[0]!, /interrupted by SIGHUP \(partial results\)/, 'the summary says so on its first line');
});

test('a second signal stops at once and still writes what was measured', async () => {
  // Transactions of 3 s: the graceful stop would wait for them; the second signal does not.
  const script = join(dir, 'slow.sql');
  writeFileSync(script, 'select pg_sleep(3);\n');
  const json = join(dir, 'twice.json');
  const csv = join(dir, 'twice.csv');
  let first = false;
  let second = false;
  const r = await runCli(['run', '--url', server.url, '-f', script, '-c', '2', '-T', '60', '-P', '1', '--grace', '30s', '--json', json, '--csv', csv], {
    onStderr: (chunk, child) => {
      if (!first && /progress: 1\.0 s/.test(chunk)) {
        first = true;
        child.kill('SIGTERM');
      } else if (first && !second && /send it again to stop at once/.test(chunk)) {
        second = true;
        child.kill('SIGTERM');
      }
    },
  });
  assert.ok(first && second, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /stopping at once/);
  const result = readResult(json);
  assert.equal(result.stop?.reason, 'interrupted');
  assert.equal(result.stop?.signal, 'SIGTERM');
  assert.equal(result.stop?.immediate, true);
  assert.ok(existsSync(csv));
});

test('--out keeps the inputs in DIR/inputs/: a scenario file named result.json does not overwrite the result', async () => {
  const scenario = join(dir, 'result.json');
  const text = `${JSON.stringify({ duration: '1s', scenarios: { one: { workload: 'select-only', clients: 2 } } })}\n`;
  writeFileSync(scenario, text);
  const out = join(dir, 'scenario-out');
  const r = await runCli(['run', scenario, '--url', server.url, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const result = readResult(join(out, 'result.json'));
  assert.ok(result.summary.transactions > 0);
  assert.equal(readFileSync(join(out, 'inputs', 'result.json'), 'utf8'), text, 'the input is kept, apart');
  assert.ok(existsSync(join(out, 'report.html')) && existsSync(join(out, 'intervals.csv')));
});

test('a workload module that calls process.exit in one worker: the other keeps its figures, the result says so, exit 1', async () => {
  const mod = join(dir, 'exits.ts');
  writeFileSync(
    mod,
    [
      "import { defineWorkload } from 'pgsurge';",
      'let n = 0;',
      'export default defineWorkload({',
      '  transactions: {',
      '    w: {',
      '      writes: true,',
      "      steps: [{ sql: 'select $1::int', params: (_r, v) => { if (v.clientId === 1 && ++n > 20) process.exit(0); return [1]; } }],",
      '    },',
      '  },',
      '});',
      '',
    ].join('\n'),
  );
  const json = join(dir, 'exits.json');
  const r = await runCli(['run', mod, '--url', server.url, '-c', '2', '-j', '2', '-T', '2', '--json', json]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /worker thread 2 of 2 ended during the run without reporting its end \(exit code 0\)/);
  const result = readResult(json);
  assert.equal(result.stop?.lostWorkers, 1);
  assert.match(result.stop?.message ?? '', /1 worker thread ended unexpectedly/);
  assert.ok(result.summary.transactions > 20, 'the other worker ran on');
  assert.match(r.stdout.split('\n')[0]!, /worker thread ended unexpectedly/);
});
