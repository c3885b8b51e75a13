import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envSecondsMs } from './env-seconds.js';

const spec = { name: 'PGSURGE_X_S', defaultS: 30, what: 'how long x may take' };

test('a duration from the environment: default when unset or empty, ms rounded up, refused outside (0, 1 day]', () => {
  assert.equal(envSecondsMs(spec, {}), 30_000);
  assert.equal(envSecondsMs(spec, { PGSURGE_X_S: '' }), 30_000);
  assert.equal(envSecondsMs(spec, { PGSURGE_X_S: '2.5' }), 2_500);
  assert.equal(envSecondsMs(spec, { PGSURGE_X_S: '0.0001' }), 1);
  assert.equal(envSecondsMs(spec, { PGSURGE_X_S: '86400' }), 86_400_000);
  for (const bad of ['0', '-1', '30s', 'soon', '1e3', '86401', '3000000']) {
    assert.throws(
      () => envSecondsMs(spec, { PGSURGE_X_S: bad }),
      (e: Error) => e.message === `PGSURGE_X_S=${bad}: expected a number of seconds above 0 and at most 86400 (how long x may take; default 30)`,
      bad,
    );
  }
});
