/**
 * The warm-up runs the programs' code on instant sessions before the load: it must end on its own
 * (also with scripts that sleep or fail), and must not touch what the real clients draw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildPrograms, type WorkloadSource } from '../workload/sources.js';
import { BUILTIN_SCRIPTS } from '../workload/pgbench/builtin-scripts.js';
import { StepKind, type TxnProgram } from '../workload/types.js';
import { sessionStatements } from './statements.js';
import { warmUp } from './jit-warmup.js';

const script = (name: string, text: string): WorkloadSource => ({ kind: 'pgbench', name, text, weight: 1, file: undefined });
const SETTINGS = { scale: 1, defines: {}, seed: 7 };

/** The programs, and how many transactions the warm-up ran on them. */
async function warm(sources: WorkloadSource[]): Promise<{ programs: TxnProgram[]; ran: number }> {
  const programs = await buildPrograms(sources);
  const layout = { txnTypes: programs.map((p) => ({ name: p.name, statements: p.statements.map((s) => s.text) })) };
  return { programs, ran: await warmUp(programs, true, sessionStatements(programs), SETTINGS, layout) };
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

test('the warm-up runs the built-in scripts and leaves the real clients\' random draws as they were', async () => {
  const before = firstDraws((await buildPrograms([script('tpcb-like', BUILTIN_SCRIPTS['tpcb-like'])]))[0]!);
  const t0 = performance.now();
  const { programs, ran } = await warm([script('tpcb-like', BUILTIN_SCRIPTS['tpcb-like']), script('select-only', BUILTIN_SCRIPTS['select-only'])]);
  assert.equal(ran, 20_000, 'every warm-up transaction ran');
  assert.ok(performance.now() - t0 < 5000, 'well under a second normally; never long');
  assert.equal(firstDraws(programs[0]!), before);
});

test('scripts that sleep, fail or want rows end the warm-up instead of hanging it', async () => {
  const { ran } = await warm([
    script('sleeps', '\\sleep 10 ms\nSELECT 1;\n'),
    script('fails', '\\set x 1 / 0\nSELECT :x;\n'),
    script('gset', 'SELECT 1 AS one \\gset\nSELECT :one;\n'),
  ]);
  // Failing transactions end (as failed); a client that sleeps is parked for good (no timers).
  assert.ok(ran > 0 && ran < 20_000, `ran ${ran}`);
});
