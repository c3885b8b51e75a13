/**
 * `--server-setting NAME=VALUE`: the throwaway server runs with it (the server says so, not only
 * the config), the result keeps it; a value the server refuses is its own one line; and it is
 * refused where it cannot apply (a server of the user's) or would open the server up.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-server-setting-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the throwaway server runs with the settings given, and the result keeps them', async () => {
  const json = join(dir, 'r.json');
  const r = await runCli([
    'run',
    '-T',
    '1',
    '-c',
    '2',
    '-s',
    '1',
    '--server-setting',
    'max_connections=57',
    '--server-setting',
    'work_mem=8MB',
    '--json',
    json,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /the throwaway server runs with max_connections=57, work_mem=8MB/);
  const result = JSON.parse(readFileSync(json, 'utf8')) as {
    config: { serverSettings: Record<string, string> };
    serverFacts: { end: { hosts: { maxConnections: number }[] } };
  };
  assert.deepEqual(result.config.serverSettings, { max_connections: '57', work_mem: '8MB' });
  assert.equal(result.serverFacts.end.hosts[0]!.maxConnections, 57, 'the server itself says so');
});

test('a value the server refuses is said in its words; a setting that cannot apply is refused before anything starts', async () => {
  const refused = await runCli(['run', '-T', '1', '-s', '1', '--server-setting', 'max_connections=lots']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /invalid value for parameter "max_connections": "lots"/);
  const cases: [string[], NodeJS.ProcessEnv | undefined, RegExp][] = [
    [['--url', 'postgres://u@127.0.0.1:1/db', '--server-setting', 'work_mem=8MB'], undefined, /--url names a server of yours/],
    [['--server-setting', 'work_mem=8MB'], cleanEnv({ PGHOST: '127.0.0.1', PGPORT: '1' }), /the PG\* environment names a server of yours/],
    [['--server-setting', 'listen_addresses=0.0.0.0'], undefined, /listen_addresses is pgsurge's to set/],
    [['--server-setting', 'work_mem'], undefined, /expected NAME=VALUE/],
    [['--server-setting', 'work_mem=1MB', '--server-setting', 'work_mem=2MB'], undefined, /work_mem is given twice/],
  ];
  for (const [args, env, message] of cases) {
    const r = await runCli(['run', '-T', '1', ...args], env === undefined ? {} : { env });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
