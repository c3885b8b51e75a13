/**
 * Bad input gets one clear line naming the culprit and the right exit code: 2 for usage/config,
 * 1 for run failures; never a stack trace, never a password.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestServer } from '../helpers/server.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { freePort, type LocalServer } from '../../src/local/server.js';

const SECRET = 'Sup3r-s3cret-pw';
// Top-level await: the server belongs to the file and is stopped after all of its tests.
const server: LocalServer = await startTestServer({
  settings: { max_connections: 20 },
  hbaLines: ['host all pwuser 127.0.0.1/32 scram-sha-256'],
});
let dir: string;

function assertCleanError(out: { stderr: string; stdout: string }, pattern: RegExp): void {
  const all = out.stderr + out.stdout;
  assert.match(all, pattern);
  assert.doesNotMatch(all, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
  assert.ok(!all.includes(SECRET), 'the password never appears');
}

before(async () => {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query(`create role pwuser login password '${SECRET}'`);
  await c.end();
  dir = mkdtempSync(join(tmpdir(), 'pgsurge-cli-errors-'));
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
  const g = new pg.Client({ connectionString: server.url });
  await g.connect();
  await g.query('grant select on all tables in schema public to pwuser');
  await g.end();
});

describe('usage and config errors exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['a malformed URL (bad port), with a password in it', ['run', '--url', `postgres://u:${SECRET}@127.0.0.1:notaport/db`], /port/i],
    ['an unknown workload', ['run', 'no-such-workload'], /unknown workload "no-such-workload"/],
    ['a bad duration', ['run', '-T', '10x'], /-T.*invalid duration "10x"/],
    ['a bad rate', ['run', '-R', 'fast'], /-R.*invalid rate "fast"/],
    ['a bad client count', ['run', '-c', '0'], /-c.*integer ≥ 1/],
    ['an unknown option', ['run', '--no-such-option'], /unknown option/],
    ['-T and -t together', ['run', '-T', '5', '-t', '5'], /-T and -t/],
    ['a bad threshold', ['run', '--threshold', 'p95<<3ms'], /p95<<3ms/],
    ['a missing script file', ['run', '-f', '/nonexistent/x.sql'], /cannot read script \/nonexistent\/x.sql/],
  ];
  for (const [what, args, pattern] of cases) {
    test(what, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, `exit code for ${what}: ${r.stderr}`);
      assertCleanError(r, pattern);
      const [first, ...hints] = r.stderr.trim().split('\n');
      assert.match(first!, pattern, 'the first line names the culprit');
      assert.ok(
        hints.every((h) => h.startsWith('  - ')),
        `anything after it is an indented hint: ${r.stderr}`,
      );
    });
  }

  test('several problems are all reported at once', async () => {
    const r = await runCli(['run', '-T', 'soon', '-R', 'fast', '-c', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /3 problems/);
    assert.match(r.stderr, /-T/);
    assert.match(r.stderr, /-R/);
    assert.match(r.stderr, /-c/);
  });

  test('a script with a syntax error names the file and line', async () => {
    const f = join(dir, 'bad-syntax.sql');
    writeFileSync(f, 'SELECT 1;\n\\set x 1 +\n');
    const r = await runCli(['run', '--url', server.url, '-f', f, '-T', '1']);
    assert.equal(r.code, 2, r.stderr);
    assertCleanError(r, /bad-syntax\.sql.*2/);
  });

  test('a statement that fails to prepare names the statement', async () => {
    const f = join(dir, 'no-table.sql');
    writeFileSync(f, 'SELECT * FROM no_such_table WHERE id = 1;\n');
    const r = await runCli(['run', '--url', server.url, '-f', f, '-T', '1']);
    assert.equal(r.code, 2, r.stderr);
    assertCleanError(r, /no_such_table/);
  });

  test("more clients than the server's max_connections", async () => {
    const r = await runCli(['run', '--url', server.url, '-c', '50', '-T', '1', '-b', 'select-only']);
    assert.equal(r.code, 2, r.stderr);
    assertCleanError(r, /max_connections is 20/);
  });
});

describe('run failures exit 1', () => {
  test('a refused port', async () => {
    const port = await freePort();
    const r = await runCli(['run', '--url', `postgres://postgres@127.0.0.1:${port}/x`, '-T', '1']);
    assert.equal(r.code, 1, r.stderr);
    assertCleanError(r, /refused/i);
  });

  test('an unknown database', async () => {
    const r = await runCli(['run', '--url', `postgres://postgres@127.0.0.1:${server.port}/no_such_db`, '-T', '1']);
    assert.equal(r.code, 1, r.stderr);
    assertCleanError(r, /no_such_db.*does not exist|does not exist.*no_such_db/);
  });

  test('a wrong password, in the URL or in PGPASSWORD, is never shown', async () => {
    const inUrl = await runCli(['run', '--url', `postgres://pwuser:${SECRET}x@127.0.0.1:${server.port}/pgsurge`, '-T', '1']);
    assert.equal(inUrl.code, 1, inUrl.stderr);
    assertCleanError(inUrl, /password authentication failed/);
    assert.ok(!inUrl.stderr.includes(`${SECRET}x`));
    const inEnv = await runCli(['run', '-T', '1'], {
      env: cleanEnv({ PGHOST: '127.0.0.1', PGPORT: String(server.port), PGUSER: 'pwuser', PGDATABASE: 'pgsurge', PGPASSWORD: `${SECRET}y` }),
    });
    assert.equal(inEnv.code, 1, inEnv.stderr);
    assertCleanError(inEnv, /password authentication failed/);
    assert.ok(!inEnv.stderr.includes(`${SECRET}y`));
  });

  test('the right password over SCRAM works', async () => {
    const r = await runCli(['run', '--url', `postgres://pwuser:${SECRET}@127.0.0.1:${server.port}/pgsurge`, '-T', '1', '-b', 'select-only', '-n']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /transactions: +[1-9][\d,]* ok/);
    assert.ok(!(r.stderr + r.stdout).includes(SECRET));
  });

  test('a run in which no transaction succeeds shows the first error of each class', async () => {
    const f = join(dir, 'div0.sql');
    writeFileSync(f, 'SELECT 1/0;\n');
    const r = await runCli(['run', '--url', server.url, '-f', f, '-T', '1']);
    assert.equal(r.code, 1, r.stderr);
    assertCleanError(r, /no transaction succeeded[\s\S]*other: division by zero/);
  });
});
