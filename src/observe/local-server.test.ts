import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkLocal, isLoopbackHost } from './local-server.js';

test('only loopback addresses and Unix sockets can be local', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '/var/run/postgresql']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['10.0.0.5', 'db1', '128.0.0.1', 'localhost.example.com']) assert.ok(!isLoopbackHost(h), h);
});

test('a pid that is not a PostgreSQL backend here (another pid namespace) is not local', () => {
  // This test process is not a postgres backend, and its parent is not a postmaster.
  const c = checkLocal('127.0.0.1', process.pid, 5432, null);
  assert.equal(c.kind, 'remote');
  assert.equal(checkLocal('10.0.0.5', process.pid, 5432, null).kind, 'remote');
  assert.equal(checkLocal('127.0.0.1', 2 ** 22 + 7, 5432, null).kind, 'remote');
});
