import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgsurgeError } from '../errors.js';
import { redactRunConfig, resolveRunConfig, resolveRunRequest } from './run-config.js';

/** The problems of a usage error: its message when alone, else its details. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PgsurgeError, String(e));
    assert.equal(e.exitCode, 2);
    return e.details.length > 0 && /problems with the options/.test(e.message) ? [...e.details] : [e.message];
  }
  assert.fail('expected a usage error');
}

test('defaults: tpcb-like, 1 client, 1 thread, 10 s, prepared, observe on, nothing else', () => {
  const cfg = resolveRunConfig({});
  assert.deepEqual(cfg.workloads, [{ kind: 'builtin', name: 'tpcb-like', weight: 1 }]);
  assert.equal(cfg.clients, 1);
  assert.equal(cfg.threads, 1);
  assert.equal(cfg.durationMs, 10_000);
  assert.equal(cfg.transactionsPerClient, undefined);
  assert.equal(cfg.protocol, 'prepared');
  assert.equal(cfg.arrivals, 'poisson');
  assert.equal(cfg.maxQueue, 10_000);
  assert.equal(cfg.intervalMs, 1000);
  assert.equal(cfg.warmupMs, 0);
  assert.equal(cfg.queryTimeoutMs, 30_000);
  assert.equal(cfg.graceMs, 5000);
  assert.equal(cfg.maxTries, 1);
  assert.equal(cfg.noVacuum, false);
  assert.equal(cfg.observe, true);
  assert.equal(cfg.routeReads, false);
  assert.equal(cfg.failover, false);
  assert.deepEqual(cfg.targets, []);
  assert.deepEqual(cfg.replicas, []);
  assert.deepEqual(cfg.thresholds, []);
  assert.deepEqual(cfg.defines, {});
  assert.equal(cfg.out, undefined);
  assert.ok(Number.isInteger(cfg.randomSeed) && cfg.randomSeed >= 0);
  assert.ok(Object.isFrozen(cfg));
});

test('given values win over defaults, and follow-on defaults follow them', () => {
  const cfg = resolveRunConfig({
    client: '8',
    jobs: '2',
    maxQueue: '50',
    arrivals: 'uniform',
    protocol: 'simple',
    randomSeed: '42',
    vacuum: false,
    observe: false,
    reportPerCommand: true,
  });
  assert.equal(cfg.clients, 8);
  assert.equal(cfg.threads, 2);
  assert.equal(cfg.maxQueue, 50);
  assert.equal(cfg.arrivals, 'uniform');
  assert.equal(cfg.protocol, 'simple');
  assert.equal(cfg.randomSeed, 42);
  assert.equal(cfg.noVacuum, true);
  assert.equal(cfg.observe, false);
  assert.equal(cfg.perStatement, true);
  // -R: 16 clients; -P sets the interval grid unless --interval does.
  assert.equal(resolveRunConfig({ rate: '8k' }).clients, 16);
  assert.equal(resolveRunConfig({ rate: '8k' }).rateHz, 8000);
  assert.equal(resolveRunConfig({ progress: '5' }).intervalMs, 5000);
  assert.equal(resolveRunConfig({ progress: '5', interval: '2s' }).intervalMs, 2000);
  // -t: no default duration; stages: their sum.
  assert.equal(resolveRunConfig({ transactions: '10' }).durationMs, undefined);
  assert.equal(resolveRunConfig({ stages: '30s:10,1m:20' }).durationMs, 90_000);
  assert.equal(resolveRunConfig({ stages: '30s:10,1m:20' }).clients, 20);
  // -L: a bare number is milliseconds (pgbench).
  assert.equal(resolveRunConfig({ rate: '100', latencyLimit: '5' }).latencyLimitMs, 5);
  assert.equal(resolveRunConfig({ verifyWrites: true }).failover, true);
  assert.deepEqual(resolveRunConfig({ define: ['a=1', 'b=x=y', 'a=2'] }).defines, { a: '2', b: 'x=y' });
  assert.equal(resolveRunConfig({ out: true }).out, true);
  assert.equal(resolveRunConfig({ out: 'dir' }).out, 'dir');
});

test('workloads: positional, -b (prefixes), -f, weights', () => {
  const cfg = resolveRunConfig({ workloads: ['select-only@3', 'x.sql'], builtin: ['simple@2'], file: ['y.sql@0'] });
  assert.deepEqual(cfg.workloads, [
    { kind: 'builtin', name: 'select-only', weight: 3 },
    { kind: 'file', name: 'x.sql', weight: 1 },
    { kind: 'builtin', name: 'simple-update', weight: 2 },
    { kind: 'file', name: 'y.sql', weight: 0 },
  ]);
});

test('thresholds are parsed once, into the config, keeping their text', () => {
  const cfg = resolveRunConfig({ threshold: ['p95<30ms', 'errors<1%'] });
  assert.deepEqual(
    cfg.thresholds.map((t) => [t.expr, t.kind === 'summary' ? t.metric : t.figure, t.op, t.value, t.percent]),
    [
      ['p95<30ms', 'p95', '<', 30, false],
      ['errors<1%', 'errors', '<', 1, true],
    ],
  );
});

test('every problem is reported at once, in option names as typed', () => {
  const problems = problemsOf(() =>
    resolveRunConfig({
      time: 'soon',
      rate: 'fast',
      client: 'x',
      arrivals: 'square',
      protocol: 'raw',
      randomSeed: '-1',
      threshold: ['p95<<3'],
      define: ['novalue'],
      prometheus: 'abc',
      builtin: ['nope'],
    }),
  );
  for (const p of [
    /^-T\/--time: /,
    /^-R\/--rate: /,
    /^-c\/--client: /,
    /^--arrivals: expected uniform or poisson, got "square"/,
    /^-M\/--protocol: expected simple, extended or prepared/,
    /^--random-seed: /,
    /bad threshold "p95<<3"/,
    /^-D: expected NAME=VALUE/,
    /^--prometheus: expected \[HOST\]:PORT/,
    /^-b: unknown built-in script "nope"/,
  ]) {
    assert.ok(
      problems.some((x) => p.test(x)),
      `${String(p)} in ${JSON.stringify(problems)}`,
    );
  }
  for (const p of problems) assert.doesNotMatch(p, /rateHz|durationMs|clients|randomSeed/, 'no field names');
});

test('a single bad threshold is shown with its grammar hints', () => {
  try {
    resolveRunConfig({ threshold: ['p95<<3ms'] });
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(e instanceof PgsurgeError);
    assert.match(e.message, /^bad threshold "p95<<3ms"/);
    assert.ok(e.details.some((d) => /METRIC OP VALUE/.test(d)));
  }
});

test('conflicting options are problems like the others', () => {
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ time: '5', transactions: '5' })),
    ['-T and -t cannot be used together (pgbench refuses them too)'],
  );
  const problems = problemsOf(() =>
    resolveRunConfig({ target: ['a=postgres://h/a', 'a=postgres://h/b', 'bad'], url: 'postgres://x', replica: ['postgres://r'], routeReads: true }),
  );
  for (const p of [
    /--target: expected NAME=URL/,
    /--target: "a" is given twice/,
    /--target and --url cannot be used together/,
    /--replica and --target/,
    /--route-reads and --target/,
    /--replica and --route-reads/,
  ]) {
    assert.ok(
      problems.some((x) => p.test(x)),
      `${String(p)} in ${JSON.stringify(problems)}`,
    );
  }
  assert.match(problemsOf(() => resolveRunConfig({ latencyLimit: '5' }))[0]!, /-L\/--latency-limit needs an open-loop run/);
  assert.match(problemsOf(() => resolveRunConfig({ transactions: '5', warmup: '1s' }))[0]!, /--warmup needs a duration/);
});

test('a scenario file replaces the workloads and the load; its problems name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-run-config-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'duration: 5s\nscenarios:\n  a:\n    workload: select-only\n    clients: 2\n');
  const cfg = resolveRunConfig({ workloads: [good] });
  assert.equal(cfg.scenario?.file, good);
  assert.equal(cfg.durationMs, 5000);
  assert.match(problemsOf(() => resolveRunConfig({ workloads: [good], client: '3', rate: '10' }))[0]!, /leave out -c, -R/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'scenarios:\n  a:\n    workload: select-only\n    rate: fast\n');
  const problems = problemsOf(() => resolveRunConfig({ scenario: bad, time: 'x' }));
  assert.ok(
    problems.some((p) => p.startsWith(`${bad}: scenarios.a`)),
    JSON.stringify(problems),
  );
  assert.ok(
    problems.some((p) => p.startsWith('-T/--time')),
    JSON.stringify(problems),
  );
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ scenario: join(dir, 'missing.yaml') })),
    [`cannot read scenario file ${join(dir, 'missing.yaml')}: no such file`],
  );
});

test('the echo redacts every URL and conninfo string', () => {
  const secret = 'S3cret-pw';
  const echo = redactRunConfig(
    resolveRunConfig({
      url: `postgres://u:${secret}@h:5432/db`,
      replica: [`host=r1 password=${secret} dbname=x`, `postgresql://u:${secret}@r2/db`, `postgres://u@r3/db?password=${secret}`],
      threshold: ['p99<5ms'],
    }),
  );
  const text = JSON.stringify(echo);
  assert.ok(!text.includes(secret), text);
  assert.equal(echo['url'], 'postgres://u:***@h:5432/db');
  assert.deepEqual(echo['replicas'], ['host=r1 password=*** dbname=x', 'postgresql://u:***@r2/db', 'postgres://u@r3/db?password=***']);
  assert.deepEqual(echo['thresholds'], ['p99<5ms']);
  const targets = redactRunConfig(resolveRunConfig({ target: [`direct=postgres://u:${secret}@h/db`, `kv=host=h password='a ${secret}' user=u`] }));
  assert.ok(!JSON.stringify(targets).includes(secret), JSON.stringify(targets));
  assert.deepEqual(targets['targets'], [
    { name: 'direct', url: 'postgres://u:***@h/db' },
    { name: 'kv', url: 'host=h password=*** user=u' },
  ]);
});

test('resolveRunRequest: a plain object (numbers allowed), every problem at once, unknown keys included', () => {
  const cfg = resolveRunRequest({ workloads: ['select-only'], client: 4, time: '2s', rate: 100, threshold: ['tps>10'], vacuum: false });
  assert.equal(cfg.clients, 4);
  assert.equal(cfg.rateHz, 100);
  assert.equal(cfg.durationMs, 2000);
  assert.equal(cfg.noVacuum, true);
  const problems = problemsOf(() => resolveRunRequest({ clients: 4, client: true, threshold: 5, vacuum: 'no', out: 3 }));
  for (const p of [/^unknown option "clients"/, /^-c\/--client: expected a value/, /^-n\/--no-vacuum: expected true or false/]) {
    assert.ok(
      problems.some((x) => p.test(x)),
      `${String(p)} in ${JSON.stringify(problems)}`,
    );
  }
  assert.throws(() => resolveRunRequest([1]), /expected an object of option values/);
});

test('-j above -c runs one thread per client, as pgbench, and keeps what was asked', () => {
  const cfg = resolveRunConfig({ client: '2', jobs: '4' });
  assert.equal(cfg.threads, 2);
  assert.equal(cfg.threadsAsked, 4);
  assert.equal(redactRunConfig(cfg)['threads'], 2);
  assert.equal(redactRunConfig(cfg)['threadsAsked'], 4);
  const fits = resolveRunConfig({ client: '4', jobs: '4' });
  assert.equal(fits.threads, 4);
  assert.equal(fits.threadsAsked, undefined);
  // Open loop: the clients are the pool (16 by default), so -j 4 fits.
  assert.equal(resolveRunConfig({ rate: '100', time: '1', jobs: '4' }).threads, 4);
  // Each worker's share of the queue follows the threads that run.
  assert.equal(resolveRunConfig({ rate: '100', time: '1', client: '2', jobs: '8' }).threads, 2);
});

test('--find-limit: off by default; on, -T defaults to twelve steps and -T given bounds the search', () => {
  assert.equal(resolveRunConfig({}).findLimit, false);
  const cfg = resolveRunConfig({ findLimit: true, findLimitStep: '3s' });
  assert.equal(cfg.findLimit, true);
  assert.equal(cfg.findLimitStepMs, 3000);
  assert.equal(cfg.durationMs, 36_000);
  assert.equal(resolveRunConfig({ findLimit: true, time: '20' }).durationMs, 20_000);
  assert.deepEqual(
    problemsOf(() => resolveRunConfig({ findLimit: true, rate: '100', stages: '5s:100' })),
    ['--find-limit steps the load itself: leave out --stages'],
  );
});
