import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { startFaultProxy } from '../../test/helpers/fault-proxy.js';
import { startTestServer } from '../../test/helpers/server.js';
import type { LocalServer } from '../local/server.js';
import type { Param, StatementSpec } from '../workload/types.js';
import { parseConnInfo } from './conninfo.js';
import { openSession } from './session.js';
import type { PgErrorInfo, Protocol, QueryRows, Session } from './types.js';

function stmt(parts: string[], wantsRows = false, line = 1): StatementSpec {
  return { parts, text: parts.join('?').trim(), line, wantsRows };
}

interface Done {
  err: PgErrorInfo | null;
  rows: QueryRows | null;
}

/** Run one exec and wait for its onQueryDone. */
function run(s: Session, i: number, params: Param[], wantsRows = false): Promise<Done> {
  return new Promise((resolve, reject) => {
    s.setHandler({ onQueryDone: (err, rows) => resolve({ err, rows }), onClose: (e) => reject(new Error(`closed: ${e.code} ${e.message}`)) });
    s.exec(i, params, wantsRows);
  });
}

/** Set a handler that collects the first value of the next `n` results; rejects on an SQL error or a close. */
function firstValues(s: Session, n: number): Promise<(string | null)[]> {
  const got: (string | null)[] = [];
  return new Promise((resolve, reject) => {
    s.setHandler({
      onQueryDone: (err, rows) => {
        if (err !== null) return reject(new Error(err.message));
        got.push(rows?.rows[0]?.[0] ?? null);
        if (got.length === n) resolve(got);
      },
      onClose: (e) => reject(new Error(e.message)),
    });
  });
}

function waitClose(s: Session): Promise<PgErrorInfo> {
  return new Promise((resolve) => s.setHandler({ onQueryDone: () => undefined, onClose: resolve }));
}

// Top-level await: `after()` inside startTestServer then belongs to the file, not to a hook.
const server: LocalServer = await startTestServer();
{
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('CREATE TABLE uniq (id int PRIMARY KEY)');
  await c.end();
}

const ci = (): ReturnType<typeof parseConnInfo> => parseConnInfo(server.url, {});
const host = (): { host: string; port: number } => ({ host: '127.0.0.1', port: server.port });

const ECHO: StatementSpec[] = [
  stmt(['SELECT (', ')::text, (', ')::text, (', ')::text, (', ')::text, (', ')::text, (', ')::text'], true),
  stmt(['SELECT 1']),
  stmt(['INSERT INTO uniq VALUES (', ')']),
  stmt(["SELECT x FROM (VALUES (1, NULL::text), (2, 'b')) v(n, x) WHERE n > ", ' ORDER BY n'], true),
];
const BAD = [...ECHO, stmt(['SELEC 1'], false, 7)];

for (const protocol of ['prepared', 'extended', 'simple'] as Protocol[]) {
  describe(`protocol ${protocol}`, () => {
    test('opens, reports pid and version, runs every Param kind', async () => {
      const s = await openSession(ci(), host(), { protocol, statements: ECHO });
      try {
        assert.equal(s.protocol, protocol);
        assert.ok(s.backendPid > 0);
        assert.match(s.serverVersion, /^\d+(\.\d+)?/);
        // Simple protocol substitutes text as is (pgbench -M simple): quote the strings ourselves.
        const q = (v: string): string => (protocol === 'simple' ? `'${v.replace(/'/g, "''")}'` : v);
        const params: Param[] = [42, 9007199254740993n, -17, q("it's ünïcødé ✓"), q('3.25'), protocol === 'simple' ? null : null];
        const r = await run(s, 0, params, true);
        assert.equal(r.err, null);
        assert.deepEqual(r.rows?.rows, [['42', '9007199254740993', '-17', "it's ünïcødé ✓", '3.25', null]]);
        assert.equal(r.rows?.columns.length, 6);
      } finally {
        await s.close();
      }
    });

    test('many queued execs complete in order, one onQueryDone each', async () => {
      const s = await openSession(ci(), host(), { protocol, statements: ECHO });
      const n = 500;
      const results = firstValues(s, n);
      for (let i = 0; i < n; i++) s.exec(0, [i, 0, 0, protocol === 'simple' ? "'x'" : 'x', 0, 0], true);
      const got = (await results).map(Number);
      assert.deepEqual(
        got,
        Array.from({ length: n }, (_, i) => i),
      );
      await s.close();
    });

    test('SQL errors are outcomes: 23505, and the session stays usable', async () => {
      const s = await openSession(ci(), host(), { protocol: protocol, statements: ECHO });
      try {
        const id = protocol === 'prepared' ? 1 : protocol === 'extended' ? 2 : 3;
        assert.equal((await run(s, 2, [id])).err, null);
        const dup = await run(s, 2, [id]);
        assert.equal(dup.err?.code, '23505');
        assert.equal(dup.err?.severity, 'ERROR');
        assert.equal((await run(s, 1, [])).err, null);
      } finally {
        await s.close();
      }
    });

    test("sessions of one thread share statements: the bytes a stalled socket still holds survive another session's execs", async () => {
      const statements = [stmt(['SELECT md5(', '::text)'], true)];
      const proxy = await startFaultProxy({ host: '127.0.0.1', port: server.port });
      const stalled = await openSession(ci(), { host: proxy.host, port: proxy.port }, { protocol, statements });
      const other = await openSession(ci(), host(), { protocol, statements });
      // Every value has the same length, so the statement's buffer never grows: an exec would write
      // over bytes a socket still holds unless the writer moves to a fresh buffer.
      const value = (tag: string, i: number): string => `${tag}${i}:`.padEnd(256 * 1024, String.fromCharCode(97 + (i % 26)));
      const param = (v: string): string => (protocol === 'simple' ? `'${v}'` : v);
      const md5 = (v: string): string => createHash('md5').update(v).digest('hex');
      const n = 40; // 10 MiB: more than the socket buffers on both sides of the proxy hold
      try {
        proxy.blackhole();
        const results = firstValues(stalled, n);
        for (let i = 0; i < n; i++) stalled.exec(0, [param(value('a', i))], true);
        for (let i = 0; i < n; i++) {
          const r = await run(other, 0, [param(value('b', i))], true);
          assert.equal(r.rows?.rows[0]?.[0], md5(value('b', i)));
        }
        await proxy.heal();
        assert.deepEqual(
          await results,
          Array.from({ length: n }, (_, i) => md5(value('a', i))),
        );
      } finally {
        stalled.destroy();
        await other.close();
        await proxy.close();
      }
    });

    test('wantsRows returns NULLs and empty results', async () => {
      const s = await openSession(ci(), host(), { protocol, statements: ECHO });
      try {
        const all = await run(s, 3, [0], true);
        assert.deepEqual(all.rows, { columns: ['x'], rows: [[null], ['b']] });
        const none = await run(s, 3, [5], true);
        assert.deepEqual(none.rows, { columns: ['x'], rows: [] });
        const notWanted = await run(s, 3, [0], false);
        assert.equal(notWanted.rows, null);
      } finally {
        await s.close();
      }
    });
  });
}

describe('errors', () => {
  test('syntax error (42601 with position) at exec, session usable afterwards (extended)', async () => {
    const s = await openSession(ci(), host(), { protocol: 'extended', statements: BAD });
    try {
      const r = await run(s, 4, []);
      assert.equal(r.err?.code, '42601');
      assert.equal(r.err?.position, 1);
      assert.equal((await run(s, 1, [])).err, null);
    } finally {
      await s.close();
    }
  });

  test('a failing prepared statement at open rejects naming the statement and position', async () => {
    await assert.rejects(openSession(ci(), host(), { protocol: 'prepared', statements: BAD }), (e: Error & { info?: PgErrorInfo }) => {
      assert.equal(e.name, 'OpenError');
      assert.equal(e.info?.code, '42601');
      assert.match(e.message, /SELEC 1/);
      assert.match(e.message, /line 7/);
      assert.match(e.message, /syntax error/);
      assert.match(e.message, /position 1/);
      return true;
    });
  });

  test('pg_terminate_backend → onClose with a connection-class code', async () => {
    const s = await openSession(ci(), host(), { protocol: 'prepared', statements: [stmt(['SELECT 1'])] });
    const closed = waitClose(s);
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query('SELECT pg_terminate_backend($1)', [s.backendPid]);
    await c.end();
    const e = await closed;
    assert.equal(e.code, '57P01');
  });

  test('unknown database → OpenError 3D000', async () => {
    const bad = parseConnInfo(`postgres://postgres@127.0.0.1:${server.port}/nosuchdb`, {});
    await assert.rejects(openSession(bad, host(), { protocol: 'prepared', statements: [] }), (e: Error & { info?: PgErrorInfo }) => {
      assert.equal(e.info?.code, '3D000');
      assert.match(e.message, new RegExp(`127.0.0.1:${server.port}`));
      return true;
    });
  });

  test('refused port → OpenError ECONNREFUSED', async () => {
    await assert.rejects(openSession(ci(), { host: '127.0.0.1', port: 1 }, { protocol: 'prepared', statements: [] }), (e: Error & { info?: PgErrorInfo }) => {
      assert.equal(e.info?.code, 'ECONNREFUSED');
      assert.match(e.message, /127\.0\.0\.1:1/);
      return true;
    });
  });

  test('destroy() does not call onClose', async () => {
    const s = await openSession(ci(), host(), { protocol: 'prepared', statements: [stmt(['SELECT 1'])] });
    let closed = false;
    s.setHandler({ onQueryDone: () => undefined, onClose: () => (closed = true) });
    s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(closed, false);
  });
});

test('Unix-socket directory as host', async () => {
  const sockDir = join(dirname(server.dataDir), 'sock');
  const uci = parseConnInfo(`host=${sockDir} port=${server.port} user=postgres dbname=${server.database}`, {});
  assert.deepEqual(uci.hosts, [{ host: sockDir, port: server.port }]);
  const s = await openSession(uci, uci.hosts[0] ?? host(), { protocol: 'prepared', statements: ECHO });
  try {
    const r = await run(s, 3, [0], true);
    assert.deepEqual(r.rows?.rows, [[null], ['b']]);
  } finally {
    await s.close();
  }
});

test('a connection lost before setHandler is reported when the handler is set', async () => {
  const s = await openSession(ci(), host(), { protocol: 'prepared', statements: [stmt(['SELECT 1'])] });
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('SELECT pg_terminate_backend($1)', [s.backendPid]);
  await c.end();
  await new Promise((r) => setTimeout(r, 100));
  const e = await waitClose(s);
  assert.equal(e.code, '57P01');
});
