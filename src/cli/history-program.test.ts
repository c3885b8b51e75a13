import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main.js';
import { textSink } from '../../test/helpers/text-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-history-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { PGSURGE_HISTORY: join(dir, 'default.db'), HOME: dir };

const sink = textSink;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr, env });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const sqliteLoaded = (): boolean => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('node-sqlite3-wasm'));

// First in the file: the tests after it load SQLite.
test('pgsurge --version and --help do not load SQLite', async () => {
  assert.equal((await cli('--version')).code, 0);
  assert.equal((await cli('history', '--help')).code, 0);
  assert.equal(sqliteLoaded(), false);
});

test('history with no history yet: nothing listed, nothing created; a missing id is exit 1', async () => {
  const r = await cli('history');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^pgsurge: no runs in the history \S+default\.db\n$/);
  assert.deepEqual(JSON.parse((await cli('history', 'list', '--json')).stdout), []);
  for (const args of [
    ['show', 'abc'],
    ['delete', 'abc', 'def'],
  ]) {
    const missing = await cli('history', ...args);
    assert.equal(missing.code, 1, args.join(' '));
    assert.match(missing.stderr, /^pgsurge: no run abc(, def)? in the history \S+default\.db\n$/);
  }
});

test('history: bad options are exit 2 in one line naming the option', async () => {
  const cases: [string[], RegExp][] = [
    [['list', '--limit', '0'], /--limit: expected a whole number/],
    [['list', '--since', '12/01/2026'], /--since: expected an ISO 8601 date/],
    [['--until', '2026-13-45'], /--until: expected an ISO 8601 date/],
    [['--status', 'done'], /--status: expected running, finished, interrupted/],
    [['--tag', 'env'], /--tag: expected KEY=VALUE/],
    [['import', join(dir, 'nowhere')], /history import: \S+nowhere: no such file or directory/],
    [['list', '--db', dir], /is not a regular file/],
  ];
  for (const [args, message] of cases) {
    const r = await cli('history', ...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
