/**
 * The run history from the command line, against a throwaway server: `run --history F --tag
 * env=ci` records the run, `history list` finds it by its tag, `history show` prints the summary
 * `report` prints for its file, and importing its --out directory finds the same entry; `--out`
 * alone records in the default history (an interrupted run as interrupted); a history that cannot
 * be used is a usage error when asked for, and a warning that changes nothing when it is --out's.
 * Every history lives in a temporary directory (HOME and PGSURGE_HISTORY point there).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import type { LocalServer } from '../../src/local/server.js';
import type { HistoryEntry } from '../../src/history/store.js';

const server: LocalServer = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-history-e2e-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const defaultHistory = join(dir, 'default', 'history.db');
const env = cleanEnv({ HOME: join(dir, 'home'), XDG_DATA_HOME: join(dir, 'xdg'), PGSURGE_HISTORY: defaultHistory });
const load = ['--url', server.url, '-b', 'select-only', '-c', '2', '-P', '1'];

before(async () => {
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q'], { env });
  assert.equal(init.code, 0, init.stderr);
});

const listed = async (args: readonly string[]): Promise<HistoryEntry[]> => {
  const r = await runCli(['history', 'list', '--json', ...args], { env });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as HistoryEntry[];
};

test('run --history F --tag env=ci: listed by its tag, shown as report shows its file, and its --out directory imports as the same entry', async () => {
  const history = join(dir, 'runs.db');
  const out = join(dir, 'out');
  const r = await runCli(['run', ...load, '-T', '2', '--history', history, '--tag', 'env=ci', '--out', out], { env });
  assert.equal(r.code, 0, r.stderr);
  const id = /recorded in the history \S+runs\.db as ([0-9a-f]{12})/.exec(r.stderr)?.[1];
  assert.ok(id !== undefined, r.stderr);

  const [entry, ...more] = await listed(['--tag', 'env=ci', '--db', history]);
  assert.deepEqual(more, []);
  assert.equal(entry?.id, id);
  assert.deepEqual(entry?.tags, { env: 'ci' });
  assert.equal(entry?.status, 'finished');
  assert.equal(entry?.source, 'cli');
  assert.equal(entry?.workload, 'select-only');
  assert.equal(entry?.file, join(out, 'result.json'));
  assert.ok(entry !== undefined && entry.tps !== null && entry.tps > 0 && entry.passed === true, JSON.stringify(entry));
  assert.deepEqual(await listed(['--tag', 'env=prod', '--db', history]), []);
  assert.ok(!existsSync(defaultHistory), '--history names the history: the default one is left alone');

  const show = await runCli(['history', 'show', id, '--db', history], { env });
  const report = await runCli(['report', join(out, 'result.json')], { env });
  assert.equal(show.code, 0, show.stderr);
  assert.equal(show.stdout, report.stdout, 'the summary report prints for the result file');
  assert.match(show.stderr, /run [0-9a-f]{12}: finished, recorded by cli, tags env=ci/);

  const again = await runCli(['history', 'import', out, '--db', history], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^imported 0 results into \S+; 1 was there already/);
  const elsewhere = join(dir, 'imported.db');
  const imported = await runCli(['history', 'import', dir, '--db', elsewhere], { env });
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /^imported 1 result into /);
  assert.deepEqual(
    (await listed(['--db', elsewhere])).map((e) => [e.id, e.source]),
    [[id, 'import']],
    'the same result, the same id',
  );

  const missing = await runCli(['history', 'show', 'nope', '--db', history], { env });
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
});

test('--out records in the default history, an interrupted run as interrupted; --no-history does not record', async () => {
  let sent = false;
  const r = await runCli(['run', ...load, '-T', '60', '--out', join(dir, 'out2')], {
    env,
    onStderr: (chunk, child) => {
      if (!sent && /progress: 1\.0 s/.test(chunk)) {
        sent = true;
        child.kill('SIGINT');
      }
    },
  });
  assert.ok(sent, r.stderr);
  assert.equal(r.code, 1, 'an interrupted run, as without the history');
  assert.match(r.stderr, /recorded in the history \S+default\/history\.db as/);
  const [entry, ...more] = await listed([]);
  assert.deepEqual(more, []);
  assert.equal(entry?.status, 'interrupted');
  assert.equal(entry?.file, join(dir, 'out2', 'result.json'));

  const quiet = await runCli(['run', ...load, '-T', '1', '--out', join(dir, 'out3'), '--no-history'], { env });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /recorded in the history|warning/);
  assert.equal((await listed([])).length, 1);
});

test("a history that cannot be used: --history's is exit 2 before the load; --out's default one is a warning and the run goes on", async () => {
  const notSqlite = join(dir, 'notes.txt');
  writeFileSync(notSqlite, 'not a database\n');
  for (const [path, why] of [
    [notSqlite, /is not an SQLite database/],
    ['/proc/pgsurge/h.db', /files cannot be created in \/proc|\/proc\/pgsurge/],
  ] as const) {
    // No --url: had the check not stopped it, the run would start a throwaway server.
    const r = await runCli(['run', '-T', '1', '--history', path], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`^pgsurge: --history ${path.replace(/[.]/g, '\\.')}: `));
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const r = await runCli(['run', ...load, '-T', '1', '--out', join(dir, 'out4')], { env: { ...env, PGSURGE_HISTORY: notSqlite } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: the default history \S+notes\.txt: is not an SQLite database .*this run will not be recorded/);
  assert.ok(existsSync(join(dir, 'out4', 'result.json')));
});
