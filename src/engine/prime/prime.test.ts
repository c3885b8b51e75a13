/**
 * The priming runs the run's own clients against its stand-in server before the load: it must run
 * real transactions in both load modes, end on its own (also with scripts that sleep or fail), and
 * not touch what the real clients draw. That it never reaches the real server is checked end to
 * end: test/e2e/cli-run.test.ts counts tpcb-like's history rows after `-t 10 -c 2` (exactly 20).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPrograms, type WorkloadSource } from '../../workload/sources.js';
import { BUILTIN_SCRIPTS } from '../../workload/pgbench/builtin-scripts.js';
import { StepKind, type TxnProgram } from '../../workload/types.js';
import type { Protocol } from '../../driver/types.js';
import { FailureIndex } from '../../metrics/types.js';
import { systemClock } from '../clock.js';
import type { LoadModel } from '../messages.js';
import { sessionStatements } from '../statements.js';
import { PRIME_MAX_CLIENTS, primeOnSockets, type PrimeOverrides } from './prime.js';
import { loadForPass } from '../../executor/registry.js';
import { WorkerCore } from '../worker-core.js';
import { realTimers } from '../timers.js';

const script = (name: string, text: string): WorkloadSource => ({ kind: 'pgbench', name, text, weight: 1, file: undefined });
const CLOSED: LoadModel = { kind: 'closed', durationMs: 60_000, transactionsPerClient: undefined };
const OPEN: LoadModel = { kind: 'open', durationMs: 60_000, rateHz: 2000, arrivals: 'poisson', maxQueue: 1000, latencyLimitMs: undefined, stages: undefined };

/** The transactions the priming ran on the programs (passes of 30 and 200 ms), and how long it took. */
async function prime(
  programs: TxnProgram[],
  load: LoadModel,
  protocol: Protocol = 'prepared',
  clientIds: readonly number[] = [0, 1, 2, 3],
): Promise<{ ok: number; failed: number; ms: number; opened: number[] }> {
  const layout = { txnTypes: programs.map((p) => ({ name: p.name, statements: p.statements.map((s) => s.text) })) };
  /** Sessions each pass opened (a pass is one core). */
  const opened: number[] = [];
  const makeCore = (o: PrimeOverrides): WorkerCore => {
    const pass = opened.push(0) - 1;
    return new WorkerCore({
      worker: 0,
      workers: 1,
      programs,
      typeOffset: 0,
      clientIdBase: 0,
      scale: 1,
      defines: {},
      maxTries: 1,
      queryTimeoutMs: 10_000,
      graceMs: 0,
      intervalMs: 1000,
      clock: systemClock,
      timers: realTimers,
      classify: () => FailureIndex.Other,
      ...o,
      connect: (id) => {
        opened[pass]!++;
        return o.connect(id);
      },
    });
  };
  const t0 = performance.now();
  const count = await primeOnSockets(
    { load, clientIds, seed: 7, protocol, statements: sessionStatements(programs), layout, readRouting: false, makeCore },
    [30, 200],
  );
  return { ...count, ms: performance.now() - t0, opened };
}

/** The parameters of a real client's first five transactions. */
function firstDraws(p: TxnProgram): string {
  const r = p.createRunner({ clientId: 0, scale: 1, defines: {}, randomSeed: 7n });
  const out: unknown[] = [];
  for (let t = 0; t < 5; t++) {
    r.begin();
    for (let step = r.next(); step !== StepKind.End && step !== StepKind.Error; step = r.next()) out.push([...r.params]);
  }
  return JSON.stringify(out);
}

test('the priming runs the built-in scripts through its stand-in server, closed and open loop', async () => {
  const builtins = [script('tpcb-like', BUILTIN_SCRIPTS['tpcb-like']), script('select-only', BUILTIN_SCRIPTS['select-only'])];
  const before = firstDraws((await buildPrograms(builtins))[0]!);
  const programs = await buildPrograms(builtins);
  const closed = await prime(programs, CLOSED);
  // What it ran, not how fast this machine is: transactions through the stand-in, none failed; the
  // open loop never more than its schedule (2000/s for 230 ms is ~460 arrivals).
  assert.ok(closed.ok > 0 && closed.failed === 0, `closed loop ran ${closed.ok} (${closed.failed} failed)`);
  const open = await prime(programs, OPEN);
  assert.ok(open.ok > 0 && open.ok <= 470 && open.failed === 0, `open loop ran ${open.ok} (${open.failed} failed)`);
  // Bounded: its passes are 230 ms; far more would be a hang, whatever the machine's load.
  for (const r of [closed, open]) assert.ok(r.ms < 15_000, `took ${r.ms.toFixed(0)} ms: its passes are 230 ms`);
  assert.equal(firstDraws(programs[0]!), before, "the real clients' random draws are untouched");
});

test('scripts that sleep or fail end the priming on time instead of hanging it', async () => {
  const programs = await buildPrograms([
    script('sleeps', '\\sleep 10 ms\nSELECT 1;\n'),
    script('fails', '\\set x 1 / 0\nSELECT :x;\n'),
    script('unknown column', 'SELECT * FROM pgbench_accounts \\gset\nSELECT :abalance;\n'),
  ]);
  const r = await prime(programs, CLOSED);
  assert.ok(r.ms < 3000, `took ${r.ms.toFixed(0)} ms`);
  assert.ok(r.ok > 0 && r.failed > 0, `ran ${r.ok} (${r.failed} failed)`);
});

test('scripts that read results (\\gset, \\aset) keep running through the priming, in every protocol', async () => {
  // The stand-in names the columns from the statement's text. Without the names every transaction
  // failed at its \gset, and the statements after it were never run in the priming.
  const text = [
    '\\set aid random(1, 100000)',
    'SELECT abalance, bid AS b FROM pgbench_accounts WHERE aid = :aid \\gset acc_',
    'SELECT count(*) FROM pgbench_branches WHERE bid = :acc_b \\aset',
    'UPDATE pgbench_accounts SET abalance = :acc_abalance + :count WHERE aid = :aid;',
    '',
  ].join('\n');
  for (const protocol of ['prepared', 'extended', 'simple'] as const) {
    const r = await prime(await buildPrograms([script('reads', text)]), CLOSED, protocol);
    // Every transaction ran to its end (none failed at a \gset), however few this machine managed.
    assert.ok(r.ok > 0 && r.failed === 0, `${protocol}: ran ${r.ok} (${r.failed} failed)`);
  }
});

test('a worker with many clients primes with at most PRIME_MAX_CLIENTS of them', async () => {
  const programs = await buildPrograms([script('select-only', BUILTIN_SCRIPTS['select-only'])]);
  const many = await prime(
    programs,
    CLOSED,
    'prepared',
    Array.from({ length: 300 }, (_, i) => i),
  );
  assert.deepEqual(many.opened, [PRIME_MAX_CLIENTS, PRIME_MAX_CLIENTS], 'each pass opens the first PRIME_MAX_CLIENTS sessions, not 300');
  assert.ok(many.ok > 0 && many.failed === 0, `ran ${many.ok} (${many.failed} failed)`);
  const few = await prime(programs, CLOSED);
  assert.deepEqual(few.opened, [4, 4], 'fewer clients than the cap: all of them');
});

test("a priming pass keeps the load's shape (same keys, same order), timed and never counted", () => {
  for (const load of [CLOSED, OPEN]) {
    const pass = loadForPass(load, 500);
    assert.deepEqual(Object.keys(pass), Object.keys(load));
    assert.equal(pass.durationMs, 500);
    assert.equal(load.durationMs, 60_000);
  }
  const t = loadForPass({ ...CLOSED, durationMs: undefined, transactionsPerClient: 10 }, 500);
  assert.equal(t.kind === 'closed' ? t.transactionsPerClient : -1, undefined, 'a pass is timed, not counted');
});
