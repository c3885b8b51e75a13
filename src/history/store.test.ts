/**
 * The run history against real SQLite files in a temporary directory: what is recorded comes back
 * (through the result schema), filters, running runs, stable ids, files that are not histories,
 * and other processes using the same file at once, dying in the middle of a write, or holding it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sqlite from 'node-sqlite3-wasm';
import { PgsurgeError } from '../errors.js';
import { sampleResult } from '../report/sample.fixture.js';
import type { ResultV1 } from '../report/result.js';
import { allRows, withDatabase } from './database.js';
import { defaultHistoryPath, openHistory, withHistory, type HistoryStore } from './store.js';
import { seriesResult } from './child.fixture.js';
import { lockFileOf } from './file-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-history-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = (): string => join(dir, `h${++n}`, 'history.db');
const CHILD = fileURLToPath(new URL('./child.fixture.js', import.meta.url));
const run = promisify(execFile);

const base = sampleResult();
const tagged = (tags: Record<string, string>, i: number): ResultV1 => seriesResult(base, tags, i);

function errorOf(fn: () => unknown): PgsurgeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgsurgeError, `not a PgsurgeError: ${String(e)}`);
    return e;
  }
  assert.fail('no error');
}

test('a recorded result comes back whole, through the result schema, with its columns; delete removes it', () => {
  const file = freshFile();
  withHistory(file, (h) => {
    const id = h.record(tagged({ env: 'ci' }, 0), { source: 'cli', file: 'out/result.json' });
    assert.match(id, /^[0-9a-f]{12}$/);
    const got = h.get(id);
    assert.ok(got !== undefined && got.result !== null);
    assert.deepEqual(got.result, JSON.parse(JSON.stringify(tagged({ env: 'ci' }, 0))));
    assert.deepEqual(got.entry, {
      id,
      startedAt: '2025-01-02T03:04:05.000Z',
      status: 'finished',
      source: 'cli',
      workload: 'tpcb-like, select-only',
      target: '127.0.0.1:5432',
      tags: { env: 'ci' },
      tps: base.summary.tps,
      p99Ms: base.summary.latencyMs.p99,
      failed: base.summary.failed,
      passed: false,
      file: join(process.cwd(), 'out/result.json'),
    });
    assert.equal(h.get('nope'), undefined);
    assert.equal(h.delete(id), true);
    assert.equal(h.delete(id), false);
    assert.deepEqual(h.list(), []);
  });
  assert.ok(existsSync(file), 'the file and its directory were created');
});

test('list: newest first; each filter, and all of them together', () => {
  withHistory(freshFile(), (h) => {
    const a = h.record(tagged({ env: 'ci', team: 'db' }, 0), { source: 'cli' });
    const b = h.record(tagged({ env: 'ci' }, 10), { source: 'ui' });
    const other = { ...tagged({ env: 'prod' }, 20), target: { ...base.target, hosts: ['10.0.0.5:5433'], database: 'app' } };
    const c = h.record({ ...other, transactionTypes: { 'select-only': base.transactionTypes['select-only']! } }, { source: 'import' });
    const d = h.record({ ...tagged({}, 30), stop: { reason: 'interrupted', signal: 'SIGINT' } }, { source: 'cli' });
    const ids = (f: Parameters<HistoryStore['list']>[0]): string[] => h.list(f).map((e) => e.id);
    assert.deepEqual(ids({}), [d, c, b, a]);
    assert.deepEqual(ids({ limit: 2 }), [d, c]);
    assert.deepEqual(ids({ tags: { env: 'ci' } }), [b, a]);
    assert.deepEqual(ids({ tags: { env: 'ci', team: 'db' } }), [a]);
    assert.deepEqual(ids({ tags: { env: 'nope' } }), []);
    assert.deepEqual(ids({ workload: 'select-only' }), [d, c, b, a], 'one of the transaction types');
    assert.deepEqual(ids({ workload: 'tpcb-like' }), [d, b, a]);
    assert.deepEqual(ids({ workload: 'tpcb-like, select-only' }), [d, b, a], 'the whole workload');
    assert.deepEqual(ids({ workload: 'select' }), [], 'not a part of a name');
    assert.deepEqual(ids({ target: '10.0.0.5' }), [c]);
    assert.equal(h.list({ target: '10.0.0.5' })[0]!.target, '10.0.0.5:5433/app');
    const t0 = Date.parse(base.startedAt);
    assert.deepEqual(ids({ since: new Date(t0 + 10_000) }), [d, c, b], 'since: at or after');
    assert.deepEqual(ids({ until: new Date(t0 + 10_000) }), [a], 'until: before');
    assert.deepEqual(ids({ status: 'interrupted' }), [d], 'an interrupted result is recorded as such');
    assert.deepEqual(ids({ status: 'finished', tags: { env: 'ci' }, since: new Date(t0), until: new Date(t0 + 60_000), workload: 'tpcb-like', limit: 1 }), [b]);
    assert.throws(() => h.list({ limit: 0 }), /limit/);
    assert.throws(() => h.list({ since: new Date('x') }), /since is not a valid date/);
  });
});

test('the same result recorded twice is one entry: the run recorded it, then its file was imported', () => {
  const file = freshFile();
  withHistory(file, (h) => {
    const result = tagged({ env: 'ci' }, 0);
    const first = h.record(result, { source: 'cli' });
    // As a file holds it, read back, with its keys in another order (a file another tool rewrote).
    const reversed = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reversed)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reversed(x)]),
            )
          : v;
    const fromFile = reversed(JSON.parse(JSON.stringify(result, null, 2))) as ResultV1;
    assert.notEqual(JSON.stringify(fromFile), JSON.stringify(result));
    assert.equal(h.record(fromFile, { source: 'import', file: '/tmp/r.json' }), first);
    assert.equal(h.list().length, 1);
    assert.equal(h.list()[0]!.file, '/tmp/r.json', 'the file it came from is kept');
    assert.equal(h.list()[0]!.source, 'cli', 'the first record stands');
    assert.notEqual(h.record(tagged({ env: 'ci' }, 1), { source: 'cli' }), first, 'another result, another entry');
  });
  withHistory(file, (h) => assert.equal(h.list().length, 2, 'ids are stable across opens'));
});

test('begin, update and finish a run; runs left running by a process that ended become interrupted', async () => {
  const file = freshFile();
  const h = openHistory(file);
  try {
    const id = h.begin({ source: 'ui', startedAt: new Date('2026-01-01T00:00:00Z'), workload: 'tpcb-like', target: 'h:5432/db', tags: { by: 'ui' } });
    assert.deepEqual(h.get(id), {
      entry: {
        id,
        startedAt: '2026-01-01T00:00:00.000Z',
        status: 'running',
        source: 'ui',
        workload: 'tpcb-like',
        target: 'h:5432/db',
        tags: { by: 'ui' },
        tps: null,
        p99Ms: null,
        failed: 0,
        passed: null,
      },
      result: null,
    });
    h.update(id, tagged({ env: 'ci' }, 0), 'running');
    assert.equal(h.get(id)?.entry.status, 'running');
    assert.equal(h.get(id)?.entry.tps, base.summary.tps, 'the partial result is listed');
    assert.deepEqual(h.get(id)?.entry.tags, { by: 'ui', env: 'ci' }, "begin's tags and the result's");

    // A run begun by a process that has ended since; ours is still going.
    await run(process.execPath, [CHILD, 'begin', file]);
    assert.equal(h.list({ status: 'running' }).length, 2);
    assert.equal(h.markUnfinishedInterrupted(), 1);
    assert.deepEqual(
      h.list({ status: 'running' }).map((e) => e.id),
      [id],
      "this process's run is not taken for an abandoned one",
    );

    h.update(id, tagged({ env: 'ci' }, 0), 'finished');
    assert.equal(h.get(id)?.entry.status, 'finished');
    assert.throws(() => h.update(id, base, 'finished'), /has finished/);
    assert.equal(h.record(tagged({ env: 'ci' }, 0), { source: 'import' }), id, 'its result imported later is the same entry');
    assert.throws(
      () => h.update('nope', base, 'finished'),
      (e: PgsurgeError) => e.code === 'HISTORY_NO_RUN',
    );
    assert.throws(() => h.begin({ id, source: 'ui', startedAt: new Date(), workload: '', target: '', tags: {} }), /already has a run/);
    assert.throws(() => h.begin({ id: 'a/b', source: 'ui', startedAt: new Date(), workload: '', target: '', tags: {} }), /letters, digits/);
  } finally {
    h.close();
  }
  assert.throws(() => h.list(), /closed/);
});

test('a file that is not a history is refused in one line naming it; so is one from a newer pgsurge', () => {
  const notSqlite = join(dir, 'notes.txt');
  writeFileSync(notSqlite, 'hello, not a database\n');
  const e1 = errorOf(() => openHistory(notSqlite));
  assert.match(e1.message, /notes\.txt is not an SQLite database \(not a pgsurge history\)$/);
  assert.equal(e1.exitCode, 2);

  // The header of SQLite, then garbage.
  const damaged = join(dir, 'damaged.db');
  writeFileSync(damaged, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0xab)]));
  assert.match(errorOf(() => openHistory(damaged)).message, /damaged\.db (is damaged|is not an SQLite database)/);

  const foreign = join(dir, 'foreign.db');
  const db = new sqlite.Database(foreign);
  db.exec('CREATE TABLE notes (x TEXT)');
  db.close();
  assert.match(errorOf(() => openHistory(foreign)).message, /foreign\.db is an SQLite database but not a pgsurge history \(tables: notes\)/);

  const newer = freshFile();
  withHistory(newer, () => undefined); // a history…
  withDatabase(newer, 1000, (db) => db.exec('PRAGMA user_version = 99')); // … from the future
  const e3 = errorOf(() => openHistory(newer));
  assert.match(e3.message, /schema version 99, from a newer pgsurge/);

  const dirInstead = join(dir, 'a-directory');
  mkdirSync(dirInstead);
  assert.match(errorOf(() => openHistory(dirInstead)).message, /a-directory is not a regular file/);
  for (const e of [e1, e3]) assert.doesNotMatch(e.message, /\n|at .*\.js/);
});

test('defaultHistoryPath: $PGSURGE_HISTORY, else $XDG_DATA_HOME, else ~/.local/share', () => {
  assert.equal(defaultHistoryPath({ PGSURGE_HISTORY: '/x/h.db', XDG_DATA_HOME: '/d', HOME: '/home/u' }), '/x/h.db');
  assert.equal(defaultHistoryPath({ XDG_DATA_HOME: '/d', HOME: '/home/u' }), '/d/pgsurge/history.db');
  assert.equal(defaultHistoryPath({ XDG_DATA_HOME: 'relative', HOME: '/home/u' }), '/home/u/.local/share/pgsurge/history.db');
  assert.equal(defaultHistoryPath({ HOME: '/home/u' }), '/home/u/.local/share/pgsurge/history.db');
});

test('two processes recording into one file at once, while this one reads it: nothing is lost', async () => {
  const file = freshFile();
  withHistory(file, () => undefined);
  const N = 40;
  const children = ['a', 'b'].map((tag) => run(process.execPath, [CHILD, 'record', file, tag, String(N)]));
  let reads = 0;
  let done = false;
  void Promise.all(children).finally(() => (done = true));
  // Reading the whole time they write (the web UI does).
  while (!done) {
    withHistory(file, (h) => h.list({ tags: { child: 'a' } }));
    reads++;
    await new Promise((r) => setTimeout(r, 5));
  }
  const printed = (await Promise.all(children)).map((c) => JSON.parse(c.stdout) as string[]);
  withHistory(file, (h) => {
    for (const [i, tag] of ['a', 'b'].entries()) {
      const listed = h.list({ tags: { child: tag } }).map((e) => e.id);
      assert.equal(listed.length, N, `child ${tag}: every record is there`);
      assert.deepEqual(new Set(listed), new Set(printed[i]), `child ${tag}: the ids it was given`);
    }
    for (const id of printed.flat()) assert.ok(h.get(id)?.result !== null, `${id} reads back as a result`);
  });
  assert.ok(reads > 1, 'the reads overlapped the writes');
  withDatabase(file, 1000, (db) => assert.deepEqual(allRows(db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]));
});

test('a process killed in the middle of a write leaves the history as it was, and does not lock it', async () => {
  const file = freshFile();
  const id = withHistory(file, (h) => h.record(base, { source: 'cli' }));
  const crashed = spawnSync(process.execPath, [CHILD, 'crash', file]);
  assert.equal(crashed.signal, 'SIGKILL');
  assert.ok(existsSync(lockFileOf(file)), 'it died holding the lock');
  const t0 = Date.now();
  withHistory(file, (h) => {
    assert.deepEqual(
      h.list().map((e) => e.id),
      [id],
      'none of its half-written rows',
    );
    assert.equal(h.get(id)?.result?.summary.tps, base.summary.tps);
    h.record(tagged({}, 1), { source: 'cli' });
  });
  assert.ok(Date.now() - t0 < 2000, `the dead process's lock was taken over at once (${Date.now() - t0} ms)`);
  withDatabase(file, 1000, (db) => assert.deepEqual(allRows(db, 'PRAGMA integrity_check'), [{ integrity_check: 'ok' }]));
  await Promise.resolve();
});

test('a lock held by a live process is waited for, up to the timeout, which names the process', async () => {
  const file = freshFile();
  withHistory(file, () => undefined);
  const child = spawn(process.execPath, [CHILD, 'hold', file, '1500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const busy = errorOf(() => openHistory(file, { busyTimeoutMs: 200 }));
  assert.equal(busy.code, 'HISTORY_BUSY');
  assert.match(busy.message, new RegExp(`is in use by process ${child.pid!}: waited 0.2 s`));
  const t0 = Date.now();
  withHistory(file, (h) => h.record(base, { source: 'cli' }));
  assert.ok(Date.now() - t0 > 500, 'it waited for the holder');
  await new Promise((resolve) => child.on('close', resolve));
});
