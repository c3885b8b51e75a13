/** What a coordinator hands each part: its arguments (quoted for the remote shell), never a password. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partArgs, shellQuote } from './fleet-run.js';
import { fleetInputs, remoteSpec } from './fleet-inputs.js';
import { withoutPassword } from '../driver/conninfo.js';
import { parseFleet } from '../config/fleet.js';

test("a part's arguments: the user's options, the coordinator's left out, its place in the run added", () => {
  const args = partArgs(
    {
      workloads: ['select-only'],
      client: '30',
      rate: '3000',
      threshold: ['p99<50ms', 'tps>=2900'],
      fleet: 'vm1,vm2',
      sshOption: ['ProxyJump=b'],
      remoteCommand: 'npx pgsurge',
      json: 'out.json',
      observe: false,
      vacuum: false,
    } as never,
    2,
    3,
    'fleet-x',
    42,
  );
  assert.deepEqual(
    args,
    [
      'select-only',
      '-c',
      '30',
      '-R',
      '3000',
      '-n',
      '--threshold',
      'p99<50ms',
      '--threshold',
      'tps>=2900',
      '--no-observe',
      '--random-seed',
      '42',
      '--shard',
      '2/3',
      '--run-id',
      'fleet-x',
      '--coordinated',
    ].map((a) => (a === '-c' ? '--client' : a === '-R' ? '--rate' : a === '-n' ? '--no-vacuum' : a)),
  );
});

test('only part 1 samples the server and vacuums', () => {
  const p1 = partArgs({ workloads: ['tpcb-like'] } as never, 1, 2, 'r', 7);
  const p2 = partArgs({ workloads: ['tpcb-like'] } as never, 2, 2, 'r', 7);
  assert.ok(!p1.includes('--no-observe') && !p1.includes('--no-vacuum'));
  assert.ok(p2.includes('--no-observe') && p2.includes('--no-vacuum'));
});

test('shell quoting survives a POSIX shell unchanged', () => {
  const words = ['plain', 'p99<50ms', "it's", 'a b', '$HOME', '`x`', 'x;y', ''];
  const r = spawnSync('sh', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
  assert.deepEqual(r.stdout.split('\n').slice(0, -1), words);
});

test('a target without its password, in each form libpq takes', () => {
  assert.deepEqual(withoutPassword('postgres://app:s%40cret@db:5432/app?sslmode=require'), {
    target: 'postgres://app@db:5432/app?sslmode=require',
    password: 's@cret',
  });
  assert.deepEqual(withoutPassword('postgresql://app@db/app?password=pw&application_name=x'), {
    target: 'postgresql://app@db/app?application_name=x',
    password: 'pw',
  });
  assert.deepEqual(withoutPassword("host=db user=app password='a b' dbname=app"), { target: 'host=db user=app dbname=app', password: 'a b' });
  assert.deepEqual(withoutPassword('postgres://app@db/app'), { target: 'postgres://app@db/app', password: undefined });
});

test('--fleet hosts: [user@]host[:port], IPv6 in brackets, no duplicates', () => {
  assert.deepEqual(parseFleet('ops@vm1,vm2:2222,[::1]:22', '--fleet'), [
    { label: 'ops@vm1', destination: 'ops@vm1' },
    { label: 'vm2:2222', destination: 'vm2', port: 2222 },
    { label: '[::1]:22', destination: '::1', port: 22 },
  ]);
  assert.throws(() => parseFleet('vm1,vm1', '--fleet'), /vm1 is given twice \(use --shards-per-host/);
  assert.throws(() => parseFleet('vm1:99999', '--fleet'), /port 99999 of "vm1:99999" is out of range/);
  assert.throws(() => parseFleet('@/nonexistent/hosts', '--fleet'), /cannot read \/nonexistent\/hosts: ENOENT/);
});

test("the run's files reach a machine through its shell as they are, at one path everywhere", () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-inputs-'));
  const sql = join(dir, 'odd name.sql');
  const body = "\\set aid random(1, 10)\nSELECT 'it''s' || :aid; -- $HOME `x`\n";
  writeFileSync(sql, body);
  const runId = `test-${process.pid}`;
  const inputs = fleetInputs([{ kind: 'file', name: sql, weight: 1 }], runId);
  assert.equal(inputs.paths.get(sql), `/tmp/pgsurge-${runId}/odd name.sql`);
  assert.equal(remoteSpec(`${sql}@3`, inputs.paths), `/tmp/pgsurge-${runId}/odd name.sql@3`);
  const r = spawnSync('sh', ['-c', `${inputs.script} && cat ${shellQuote(inputs.paths.get(sql)!)}; rm -rf /tmp/pgsurge-${runId}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, body);
  assert.throws(
    () =>
      fleetInputs(
        [
          { kind: 'file', name: sql, weight: 1 },
          { kind: 'file', name: join(tmpdir(), 'odd name.sql'), weight: 1 },
        ],
        runId,
      ),
    /have the same name/,
  );
});
