/** --shard, --run-id, --start-at: their parsing, and the options a part of a run refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PgsurgeError } from '../errors.js';
import { resolveRunConfig } from './run-config.js';
import { parseCoordinatorUrl, parseRunId, parseShard, parseStartAt } from './shard.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PgsurgeError)) throw e;
    return e.details.length > 0 ? [...e.details] : [e.message];
  }
  return [];
}

test('--shard K/N: 1 ≤ K ≤ N, spaces allowed; anything else names the option and the value', () => {
  assert.deepEqual(parseShard('2/3', '--shard'), { k: 2, n: 3 });
  assert.deepEqual(parseShard(' 1 / 1 ', '--shard'), { k: 1, n: 1 });
  for (const bad of ['0/3', '4/3', '3', '1/0', 'a/b', '-1/2', '1.5/3', '']) {
    assert.throws(
      () => parseShard(bad, '--shard'),
      new RegExp(`--shard: expected K/N, part K of N with 1 ≤ K ≤ N \\(e.g. 2/3\\), got "${bad.replace('.', '\\.')}"`),
    );
  }
});

test('--start-at: ISO 8601 with its zone or @EPOCH; ahead, within a day', () => {
  const now = Date.parse('2026-12-06T20:00:00Z');
  assert.equal(parseStartAt('2026-12-06T20:00:30Z', '--start-at', now), now + 30_000);
  assert.equal(parseStartAt('2026-12-06T21:00:30+01:00', '--start-at', now), now + 30_000);
  assert.equal(parseStartAt(`@${now / 1000 + 5}`, '--start-at', now), now + 5000);
  assert.throws(() => parseStartAt('2026-12-06T20:00:30', '--start-at', now), /with its zone/);
  assert.throws(() => parseStartAt('tomorrow', '--start-at', now), /expected an ISO 8601 time/);
  assert.throws(() => parseStartAt('2026-12-06T19:59:00Z', '--start-at', now), /has passed \(now 2026-12-06T20:00:00.000Z\)/);
  assert.throws(() => parseStartAt('2026-12-08T20:00:00Z', '--start-at', now), /more than a day ahead/);
  assert.throws(() => parseStartAt('2026-13-06T20:00:00Z', '--start-at', now), /not a valid time/);
});

test('--run-id: safe in file names', () => {
  assert.equal(parseRunId('nightly-2026.12.06_a', '--run-id'), 'nightly-2026.12.06_a');
  assert.throws(() => parseRunId('a b', '--run-id'), /--run-id: expected 1–64 letters/);
  assert.throws(() => parseRunId('../x/y', '--run-id'), /--run-id/);
});

test('a part of a run refuses what needs the whole run in one process, and too few clients to split', () => {
  assert.deepEqual(resolveRunConfig({ shard: '2/3', client: '3' }).shard, { k: 2, n: 3 });
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ shard: '1/4', client: '3' })),
    ['--shard 1/4: 3 clients cannot be split into 4 parts; give at least 4'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ shard: '1/2', client: '4', findLimit: true })),
    ['--shard and --find-limit cannot be used together (one process must see the whole run)'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ shard: '1/2', client: '4', repeat: '2' })),
    ['--shard and --repeat cannot be used together (one process must see the whole run)'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ shard: '1/2', client: '4', failover: true })),
    ['--shard and --failover/--verify-writes cannot be used together (one process must see the whole run)'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ runId: 'x' })),
    ['--run-id needs --shard'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ log: 'a.log', repeat: '2' })),
    ['--log and --repeat cannot be used together (one log per run)'],
  );
});

test('--fleet refuses what one part cannot do for the whole run, and its own options need it', () => {
  const fleet = { fleet: 'vm1,vm2', client: '4' };
  assert.deepEqual(resolveRunConfig(fleet).fleet, [
    { label: 'vm1', destination: 'vm1' },
    { label: 'vm2', destination: 'vm2' },
  ]);
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ ...fleet, shard: '1/2' })),
    ['--fleet and --shard cannot be used together'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ ...fleet, teardown: true })),
    ['--fleet and --teardown cannot be used together'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ ...fleet, log: 'x.log' })),
    ['--fleet and --log cannot be used together'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ fleet: 'vm1,vm2', shardsPerHost: '2', client: '3' })),
    ['--fleet: 3 clients cannot be split into 4 parts; give at least 4'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ sshOption: ['ProxyJump=b'] })),
    ['--ssh-option needs --fleet'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ remoteCommand: 'pgsurge' })),
    ['--remote-command needs --fleet'],
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ coordinated: true })),
    ['--coordinated needs --shard'],
  );
});

test('--coordinator URL: http(s)://HOST:PORT and nothing else, never a password', () => {
  assert.equal(parseCoordinatorUrl('http://coord.load.svc:7070', '--coordinator'), 'http://coord.load.svc:7070');
  assert.equal(parseCoordinatorUrl('https://[::1]:7070/', '--coordinator'), 'https://[::1]:7070');
  assert.throws(() => parseCoordinatorUrl('coord:7070', '--coordinator'), /--coordinator: expected an http:\/\/ or https:\/\/ URL/);
  assert.throws(
    () => parseCoordinatorUrl('http://u:secret@coord:7070', '--coordinator'),
    (e: Error) => !e.message.includes('secret') && /no user or password/.test(e.message),
  );
  assert.throws(() => parseCoordinatorUrl('http://coord:7070/v1', '--coordinator'), /nothing after it/);
  assert.throws(() => parseCoordinatorUrl('not a url', '--coordinator'), /expected http:\/\/HOST:PORT/);
});

test('a coordinator over HTTP (--parts) and its parts (--coordinator): what each refuses, and what only the first part does', () => {
  const cfg = (v: Record<string, unknown>) => resolveRunConfig({ workloads: [], ...v } as never);
  const part2 = cfg({ client: '4', shard: '2/2', coordinator: 'http://c:7070' });
  assert.equal(part2.coordinated, true);
  assert.equal(part2.observe, false, 'only part 1 samples the server');
  assert.equal(part2.noVacuum, true, 'only part 1 vacuums');
  const part1 = cfg({ client: '4', shard: '1/2', coordinator: 'http://c:7070' });
  assert.equal(part1.observe, true);
  assert.equal(part1.noVacuum, false);
  assert.deepEqual(
    problemsOf(() => cfg({ coordinator: 'http://c:7070' })),
    ['--coordinator needs --shard (the part this process runs)'],
  );
  const coordinator = cfg({ client: '4', parts: '2' });
  assert.equal(coordinator.partsListen, '0.0.0.0:7070');
  assert.deepEqual(
    problemsOf(() => cfg({ client: '4', parts: '2', shard: '1/2', log: 'x.log', fleet: 'a,b' })).sort(),
    [
      '--fleet and --log cannot be used together',
      '--fleet and --shard cannot be used together',
      '--parts and --fleet cannot be used together',
      '--parts and --log cannot be used together',
      '--parts and --shard cannot be used together',
    ].sort(),
  );
  assert.deepEqual(
    problemsOf(() => cfg({ client: '1', parts: '2' })),
    ['--parts: 1 client cannot be split into 2 parts; give at least 2'],
  );
  assert.deepEqual(
    problemsOf(() => cfg({ linger: '1m' })),
    ['--linger needs --parts'],
  );
  assert.deepEqual(
    problemsOf(() => cfg({ partsListen: ':7070' })),
    ['--parts-listen needs --parts'],
  );
  assert.match(problemsOf(() => cfg({ client: '4', parts: '2', partsListen: 'nowhere' }))[0] ?? '', /--parts-listen: expected \[HOST\]:PORT/);
});
