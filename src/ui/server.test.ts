import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost } from './server.js';
import { uiToken } from './token.js';

test('loopback hosts: 127.0.0.0/8, ::1, localhost; nothing else', () => {
  for (const h of ['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost', 'LOCALHOST']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '10.0.0.1', '::', 'example.com', '127.0.0.1.evil.example', 'localhost.evil.example', ''])
    assert.equal(isLoopbackHost(h), false, h);
});

test('the token: the one set, else a random one off loopback, else none', () => {
  assert.equal(uiToken({}, true), undefined);
  assert.equal(uiToken({ PGSURGE_UI_TOKEN: 't' }, true), 't');
  assert.equal(uiToken({ PGSURGE_UI_TOKEN: 't' }, false, 'given'), 'given');
  const a = uiToken({}, false);
  const b = uiToken({}, false);
  assert.ok(a !== undefined && a.length >= 24 && a !== b);
});
