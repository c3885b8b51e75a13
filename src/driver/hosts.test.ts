import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../../test/helpers/server.js';
import { parseConnInfo } from './conninfo.js';
import { openTargetSession, roleMatches, selectHost } from './hosts.js';
import type { OpenError } from './session.js';

const server = await startTestServer();
const SELECT1 = [{ parts: ['SELECT 1'], text: 'SELECT 1', line: 1, wantsRows: false }];
// Port 1 on loopback refuses: a dead first host.
const url = (attrs: string): string =>
  `postgres://postgres@127.0.0.1:1,127.0.0.1:${server.port}/${server.database}?target_session_attrs=${attrs}&sslmode=disable`;

test('roleMatches', () => {
  const primary = { inRecovery: false, readOnly: false };
  const standby = { inRecovery: true, readOnly: true };
  assert.equal(roleMatches('read-write', primary), true);
  assert.equal(roleMatches('read-write', standby), false);
  assert.equal(roleMatches('read-only', standby), true);
  assert.equal(roleMatches('primary', standby), false);
  assert.equal(roleMatches('standby', standby), true);
  assert.equal(roleMatches('any', standby), true);
});

for (const attrs of ['any', 'read-write', 'primary', 'prefer-standby']) {
  test(`target_session_attrs=${attrs}: skips the dead host, takes the primary`, async () => {
    const s = await openTargetSession(parseConnInfo(url(attrs), {}), { protocol: 'prepared', statements: SELECT1 });
    assert.equal(s.host.port, server.port);
    await s.close();
  });
}

for (const attrs of ['standby', 'read-only']) {
  test(`target_session_attrs=${attrs} with only a primary → OpenError naming each host`, async () => {
    await assert.rejects(openTargetSession(parseConnInfo(url(attrs), {}), { protocol: 'prepared', statements: SELECT1 }), (e: OpenError) => {
      assert.match(e.message, new RegExp(`no host is ${attrs}`));
      assert.match(e.message, /127\.0\.0\.1:1: connection refused/);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${server.port}: primary`));
      return true;
    });
  });
}

test('selectHost', async () => {
  assert.deepEqual(await selectHost(parseConnInfo(url('primary'), {})), { host: '127.0.0.1', port: server.port });
});
