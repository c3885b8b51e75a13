/**
 * Opening sessions against servers with particular settings: SCRAM, too many clients, a server that
 * stops, a server that never answers.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestServer } from '../../test/helpers/server.js';
import { FailureIndex } from '../metrics/types.js';
import { classifyError } from './classify.js';
import { parseConnInfo } from './conninfo.js';
import { openSession, type OpenError } from './session.js';
import type { PgErrorInfo, Session } from './types.js';

const SELECT1 = [{ parts: ['SELECT 1'], text: 'SELECT 1', line: 1, wantsRows: false }];
const PASSWORD = 'Tr0ub4dor&3';

describe('SCRAM authentication', async () => {
  const server = await startTestServer({ hbaLines: ['host all app 127.0.0.1/32 scram-sha-256'] });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`SET password_encryption = 'scram-sha-256'; CREATE ROLE app LOGIN PASSWORD '${PASSWORD}'`);
  await admin.end();
  const host = { host: '127.0.0.1', port: server.port };

  test('the right password opens a session (SCRAM)', async () => {
    const ci = parseConnInfo(`postgres://app:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/${server.database}`, {});
    const s = await openSession(ci, host, { protocol: 'prepared', statements: SELECT1 });
    const err = await new Promise<PgErrorInfo | null>((resolve) => {
      s.setHandler({ onQueryDone: resolve, onClose: resolve });
      s.exec(0, [], false);
    });
    assert.equal(err, null);
    await s.close();
  });

  test('an open session keeps nothing of its start-up: a few KiB of heap each, not the authenticating client', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ci = parseConnInfo(`postgres://app:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/${server.database}`, {});
    const open = (): Promise<Session> => openSession(ci, host, { protocol: 'prepared', statements: SELECT1 });
    // The first sessions also compile and warm the code they run: not counted.
    const sessions = await Promise.all(Array.from({ length: 20 }, open));
    gc();
    const before = process.memoryUsage().heapUsed;
    const n = 60;
    for (let i = 0; i < n; i += 20) sessions.push(...(await Promise.all(Array.from({ length: 20 }, open))));
    gc();
    const perSession = (process.memoryUsage().heapUsed - before) / n;
    await Promise.all(sessions.map((s) => s.close()));
    // 11.8 KiB here while the start-up's promise kept pg's Client and its parser; 3.2-3.5 KiB per
    // session over 500-1000 sessions without them.
    assert.ok(perSession < 6 * 1024, `${(perSession / 1024).toFixed(1)} KiB of heap per open session`);
  });

  test('a wrong password → OpenError 28P01, the password in no message', async () => {
    const ci = parseConnInfo(`postgres://app:wrong-${PASSWORD}@127.0.0.1:${server.port}/${server.database}`, {});
    await assert.rejects(openSession(ci, host, { protocol: 'prepared', statements: SELECT1 }), (e: OpenError) => {
      assert.equal(e.name, 'OpenError');
      assert.equal(e.info.code, '28P01');
      assert.match(e.message, /password authentication failed/);
      assert.ok(!e.message.includes(PASSWORD) && !JSON.stringify(e.info).includes(PASSWORD));
      assert.ok(!String(e.stack).includes(PASSWORD));
      return true;
    });
  });

  test('no password given → OpenError 28P01', async () => {
    const ci = parseConnInfo(`postgres://app@127.0.0.1:${server.port}/${server.database}`, {});
    await assert.rejects(openSession(ci, host, { protocol: 'prepared', statements: SELECT1 }), (e: OpenError) => e.info.code === '28P01');
  });
});

describe('capacity and shutdown', async () => {
  const server = await startTestServer({ settings: { max_connections: 4, superuser_reserved_connections: 0, reserved_connections: 0 } });
  const ci = parseConnInfo(server.url, {});
  const host = { host: '127.0.0.1', port: server.port };

  test('too many clients → OpenError 53300', async () => {
    const open: Session[] = [];
    try {
      let error: OpenError | undefined;
      for (let i = 0; i < 10 && error === undefined; i++) {
        try {
          open.push(await openSession(ci, host, { protocol: 'prepared', statements: SELECT1 }));
        } catch (e) {
          error = e as OpenError;
        }
      }
      assert.equal(error?.info.code, '53300');
      assert.match(error?.message ?? '', /too many clients/);
    } finally {
      await Promise.all(open.map((s) => s.close()));
    }
  });

  test('server stopped (fast shutdown) → onClose once, connection class (57P01)', async () => {
    const s = await openSession(ci, host, { protocol: 'prepared', statements: SELECT1 });
    let calls = 0;
    const closed = new Promise<PgErrorInfo>((resolve) =>
      s.setHandler({
        onQueryDone: () => undefined,
        onClose: (e) => {
          calls++;
          resolve(e);
        },
      }),
    );
    await server.stop();
    const e = await closed;
    assert.equal(e.code, '57P01', e.message);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, 1);
  });
});

describe('connect timeout', async () => {
  // A listener that accepts and never answers: the startup must give up after connect_timeout.
  const sockets: Socket[] = [];
  const silent = createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const addr = silent.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;

  test('→ OpenError PGSURGE_TIMEOUT naming host:port', async () => {
    const ci = parseConnInfo(`postgres://u:secretpw@127.0.0.1:${port}/d?connect_timeout=2&sslmode=disable`, {});
    const t0 = Date.now();
    await assert.rejects(openSession(ci, { host: '127.0.0.1', port }, { protocol: 'prepared', statements: SELECT1 }), (e: OpenError) => {
      assert.equal(e.info.code, 'PGSURGE_TIMEOUT');
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}: timeout`));
      assert.ok(!e.message.includes('secretpw'));
      return true;
    });
    assert.ok(Date.now() - t0 >= 1900);
  });

  test('unknown host → OpenError ENOTFOUND', async () => {
    const ci = parseConnInfo('postgres://u@no-such-host.invalid/d', {});
    await assert.rejects(openSession(ci, { host: 'no-such-host.invalid', port: 5432 }, { protocol: 'prepared', statements: SELECT1 }), (e: OpenError) => {
      assert.match(e.info.code, /^(ENOTFOUND|EAI_AGAIN)$/);
      return true;
    });
  });
});

describe('immediate shutdown', async () => {
  const server = await startTestServer();
  test('pg_ctl stop -m immediate (no error sent) → onClose once, connection class', async () => {
    const ci = parseConnInfo(server.url, {});
    const s = await openSession(ci, { host: '127.0.0.1', port: server.port }, { protocol: 'prepared', statements: SELECT1 });
    const closed = new Promise<PgErrorInfo>((resolve) => s.setHandler({ onQueryDone: () => undefined, onClose: resolve }));
    await server.kill();
    const e = await closed;
    assert.equal(classifyError(e.code, e.message), FailureIndex.Connection, `${e.code} ${e.message}`);
  });
});
