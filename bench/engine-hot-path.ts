/**
 * pgsurge's own cost per transaction, without the network: one WorkerCore with its clients, the
 * real pgbench runner, writer and recorder, on sessions whose statements complete at once
 * (bench/lib/instant-run.ts). What is left is everything pgsurge adds to the Node.js
 * floor (bench/node-floor.ts), which case 1 of bench/pgbench-compare.ts measures with the network.
 *
 *   node dist/bench/engine-hot-path.js [select-only|tpcb-like] [transactions=2000000]
 *
 * Prints ns per transaction (median of 5 rounds).
 *
 * Measured on the 2-core machine (Node 20, 2026-11-21), medians of 5 rounds per run:
 *   select-only: 741 ns before the clock and params changes (commit aac7876), then 418–770 ns
 *   over 10 runs, most of them 450–570 (the high ones while the machine was busy); tpcb-like:
 *   3441 ns before, then 2216–2674 ns over 5 runs.
 */
import { runInstant } from './lib/instant-run.js';
import { sessionStatements } from '../src/engine/statements.js';
import { buildPrograms } from '../src/workload/sources.js';
import { BUILTIN_SCRIPTS } from '../src/workload/pgbench/builtin-scripts.js';

const name = (process.argv[2] ?? 'select-only') as keyof typeof BUILTIN_SCRIPTS;
const total = Number(process.argv[3] ?? 2_000_000);

async function round(): Promise<number> {
  const programs = await buildPrograms([{ kind: 'pgbench', name, text: BUILTIN_SCRIPTS[name], weight: 1, file: undefined }]);
  const layout = { txnTypes: programs.map((p) => ({ name: p.name, statements: p.statements.map((s) => s.text) })) };
  const t0 = process.hrtime.bigint();
  await runInstant(programs, sessionStatements(programs), { scale: 10, defines: {}, seed: 1 }, layout, total);
  return Number(process.hrtime.bigint() - t0) / total;
}

const rounds: number[] = [];
for (let r = 0; r < 5; r++) rounds.push(await round());
rounds.sort((a, b) => a - b);
process.stdout.write(
  `${name}: ${rounds[2]!.toFixed(0)} ns per transaction (median of 5 rounds of ${total}; min ${rounds[0]!.toFixed(0)}, max ${rounds[4]!.toFixed(0)})\n`,
);
