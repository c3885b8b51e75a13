/**
 * pgsurge's own cost per transaction, without the network: one WorkerCore with its clients, the
 * real pgbench runner, writer and recorder, on sessions whose statements complete at once. What is
 * left is everything pgsurge adds to the Node.js floor (bench/node-floor.ts), which case 1 of
 * bench/pgbench-compare.ts measures with the network.
 *
 *   node dist/bench/engine-hot-path.js [select-only|tpcb-like] [transactions=2000000]
 *
 * Prints ns per transaction (median of 5 rounds). Statements "complete" from a loop, not by
 * recursion, so the figure holds no I/O and no event loop: only the JS of a transaction.
 */
import { WorkerCore, type Timers } from '../src/engine/worker-core.js';
import { systemClock } from '../src/engine/clock.js';
import { Recorder } from '../src/metrics/recorder.js';
import { FailureIndex } from '../src/metrics/types.js';
import { buildPrograms } from '../src/workload/sources.js';
import { BUILTIN_SCRIPTS } from '../src/workload/pgbench/builtin-scripts.js';
import { StatementWriter } from '../src/driver/wire-writer.js';
import type { Session, SessionHandler } from '../src/driver/types.js';
import type { Param, StatementSpec } from '../src/workload/types.js';
import { sessionStatements } from '../src/engine/statements.js';

const name = (process.argv[2] ?? 'select-only') as keyof typeof BUILTIN_SCRIPTS;
const total = Number(process.argv[3] ?? 2_000_000);
const CLIENTS = 4;

/** Completions waiting to be delivered by the driver loop (handler, in order). */
const due: SessionHandler[] = [];

/** Builds each statement's message as the real session does, then completes it. */
class InstantSession implements Session {
  readonly protocol = 'prepared' as const;
  readonly backendPid = 1;
  readonly serverVersion = '17';
  readonly host = { host: 'bench', port: 0 };
  private handler: SessionHandler | null = null;
  private readonly writers: StatementWriter[];
  bytes = 0;
  constructor(statements: readonly StatementSpec[]) {
    this.writers = statements.map((s, i) => new StatementWriter(s, 'prepared', `pgsurge_${i}`));
  }
  setHandler(h: SessionHandler): void {
    this.handler = h;
  }
  exec(stmt: number, params: readonly Param[], wantsRows: boolean): void {
    this.bytes += this.writers[stmt]!.build(params, wantsRows).length;
    due.push(this.handler!);
  }
  execPipelined(): void {}
  sync(): void {
    due.push(this.handler!);
  }
  async close(): Promise<void> {}
  destroy(): void {}
}

const noTimers: Timers = { set: () => null, block: () => undefined, clear: () => undefined };

async function round(): Promise<number> {
  const programs = await buildPrograms([{ kind: 'pgbench', name, text: BUILTIN_SCRIPTS[name], weight: 1, file: undefined }]);
  const statements = sessionStatements(programs);
  const layout = { txnTypes: programs.map((p) => ({ name: p.name, statements: p.statements.map((s) => s.text) })) };
  const recorder = new Recorder(layout);
  let finished = 0;
  const core = new WorkerCore({
    worker: 0,
    workers: 1,
    clientIds: Array.from({ length: CLIENTS }, (_, i) => i),
    programs,
    load: { kind: 'closed', durationMs: undefined, transactionsPerClient: total / CLIENTS, stages: undefined },
    startOffsetMs: 0,
    gridDurationMs: undefined,
    typeOffset: 0,
    clientIdBase: 0,
    scale: 10,
    defines: {},
    maxTries: 1,
    queryTimeoutMs: 60_000,
    graceMs: 1000,
    intervalMs: 1000,
    seed: 1,
    clock: systemClock,
    timers: noTimers,
    recorder,
    classify: () => FailureIndex.Other,
    connect: async () => new InstantSession(statements),
    onSnapshot: () => undefined,
    onDone: () => void (finished = 1),
  });
  await core.connectAll();
  const t0 = process.hrtime.bigint();
  core.start(systemClock.nowUs(), 0);
  for (let i = 0; i < due.length || finished === 0; i++) {
    const h = due[i];
    if (h === undefined) break;
    h.onQueryDone(null, null);
    if (i === 1_000_000) {
      due.splice(0, i + 1);
      i = -1;
    }
  }
  const ns = Number(process.hrtime.bigint() - t0);
  due.length = 0;
  recorder.dispose();
  return ns / total;
}

const rounds: number[] = [];
for (let r = 0; r < 5; r++) rounds.push(await round());
rounds.sort((a, b) => a - b);
process.stdout.write(`${name}: ${rounds[2]!.toFixed(0)} ns per transaction (median of 5 rounds of ${total}; min ${rounds[0]!.toFixed(0)}, max ${rounds[4]!.toFixed(0)})\n`);
