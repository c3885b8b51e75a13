import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logStage } from './common.js';

test('a setup stage line that quotes a URL or a conninfo string shows no password', (t) => {
  const written: string[] = [];
  t.mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  logStage('vector-search', 'path postgres://u:hunter2-s3cret@h/db: 10 entries loaded');
  logStage('purchases', "source host=h password='hunter2-s3cret' dbname=x");
  t.mock.restoreAll();
  assert.equal(written.length, 2);
  for (const line of written) {
    assert.ok(!line.includes('hunter2-s3cret'), line);
    assert.match(line, /^pgsurge: [a-z-]+: .*\n$/);
  }
});
