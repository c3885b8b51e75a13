/** Pooler settings for `local up`: NAME=VALUE, one line each, never what pgsurge sets itself. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePoolerSetting, poolerSettingRecord } from './pooler-settings.js';

test('pooler settings: NAME=VALUE; names pgsurge owns, line breaks and repeats refused, naming the option', () => {
  assert.deepEqual(parsePoolerSetting('pgbouncer', 'max_client_conn = 6000', '--pgbouncer-setting'), ['max_client_conn', '6000']);
  assert.deepEqual(poolerSettingRecord('pgpool', ['num_init_children=100', 'max_pool=2'], '--pgpool-setting'), { num_init_children: '100', max_pool: '2' });
  assert.throws(() => parsePoolerSetting('pgbouncer', 'listen_addr=0.0.0.0', '--pgbouncer-setting'), /--pgbouncer-setting: listen_addr is pgsurge's to set/);
  assert.throws(() => parsePoolerSetting('pgbouncer', 'auth_type=trust', '--pgbouncer-setting'), /auth_type is pgsurge's to set/);
  assert.throws(() => parsePoolerSetting('pgpool', 'backend_hostname0=10.0.0.1', '--pgpool-setting'), /backend_hostname0 is pgsurge's to set/);
  assert.throws(() => parsePoolerSetting('pgpool', 'listen_addresses=*', '--pgpool-setting'), /listen_addresses is pgsurge's to set/);
  assert.throws(() => parsePoolerSetting('pgbouncer', 'pool_mode=session\nlisten_addr=0.0.0.0', '--pgbouncer-setting'), /may not contain a line break/);
  assert.throws(() => parsePoolerSetting('pgbouncer', 'max_client_conn', '--pgbouncer-setting'), /expected NAME=VALUE/);
  assert.throws(() => parsePoolerSetting('pgbouncer', 'max_client_conn=', '--pgbouncer-setting'), /the value is empty/);
  assert.throws(() => poolerSettingRecord('pgbouncer', ['pool_mode=session', 'pool_mode=transaction'], '--pgbouncer-setting'), /pool_mode is given twice/);
});
