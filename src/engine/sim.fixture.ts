/**
 * A discrete-event simulation of one worker: simulated timers and clock, and sessions to a fake
 * server whose statements take a fixed time (with an optional stall). For the worker core's and
 * the executors' tests (schedule arithmetic checked exactly).
 */
import { FakeClock } from './clock.js';
import { WorkerCore } from './worker-core.js';
import type { Timers } from './timers.js';
import type { LoadModel } from './messages.js';
import type { PgErrorInfo, Session, SessionHandler } from '../driver/types.js';
import type { TxnOutcomeSink } from '../ha/types.js';
import { Recorder, type IntervalSnapshot } from '../metrics/recorder.js';
import { Aggregator } from '../metrics/aggregator.js';
import { FailureIndex, type MetricsLayout } from '../metrics/types.js';
import { StepKind, type Param, type TxnProgram, type TxnRunner } from '../workload/types.js';

/** Timers and clock of a discrete-event simulation. */
export class SimTimers implements Timers {
  private seq = 0;
  private readonly pending = new Map<number, { atUs: number; fn: () => void }>();
  constructor(readonly clock: FakeClock) {}
  set(fn: () => void, delayMs: number): unknown {
    const id = ++this.seq;
    // Like Node, a timer never fires before 1 ms (so lag from timer granularity is simulated too).
    this.pending.set(id, { atUs: this.clock.nowUs() + Math.max(1, Math.ceil(delayMs)) * 1000, fn });
    return id;
  }
  block(us: number): void {
    // A blocked thread handles nothing meanwhile: time just moves on.
    this.clock.advance(us);
  }
  immediate(fn: () => void): void {
    // After the I/O due by now: events at this instant that were queued earlier run first.
    this.pending.set(++this.seq, { atUs: this.clock.nowUs(), fn });
  }
  clear(h: unknown): void {
    this.pending.delete(h as number);
  }
  /** Run events in time order until `endUs` (the clock then reads `endUs`, if it is not past it already) or until nothing is left. */
  runUntil(endUs: number): void {
    for (;;) {
      let next: [number, { atUs: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (next === undefined || e[1].atUs < next[1].atUs || (e[1].atUs === next[1].atUs && e[0] < next[0])) next = e;
      if (next === undefined || next[1].atUs > endUs) {
        if (next !== undefined && endUs > this.clock.nowUs()) this.clock.set(endUs);
        return;
      }
      this.pending.delete(next[0]);
      if (next[1].atUs > this.clock.nowUs()) this.clock.set(next[1].atUs);
      next[1].fn();
    }
  }
}

/** A server whose statements take `serviceUs`, except that nothing completes during a stall. */
export class FakeSession implements Session {
  readonly protocol = 'prepared' as const;
  readonly backendPid = 1;
  readonly serverVersion = 'fake';
  readonly host = { host: 'fake', port: 0 };
  private handler: SessionHandler | null = null;
  constructor(
    private readonly timers: SimTimers,
    private readonly server: { serviceUs: number; stallFromUs: number; stallToUs: number; failCode?: string },
  ) {}
  setHandler(h: SessionHandler): void {
    this.handler = h;
  }
  exec(): void {
    const now = this.timers.clock.nowUs();
    let doneUs = now + this.server.serviceUs;
    if (doneUs > this.server.stallFromUs && now < this.server.stallToUs) doneUs = Math.max(doneUs, this.server.stallToUs);
    const err: PgErrorInfo | null =
      this.server.failCode === undefined ? null : { code: this.server.failCode, message: 'boom', severity: 'ERROR', detail: undefined, position: undefined };
    this.timers.set(() => this.handler!.onQueryDone(err, null), (doneUs - now) / 1000);
  }
  execPipelined(): void {}
  sync(): void {
    this.exec();
  }
  async close(): Promise<void> {}
  destroy(): void {}
}

/** One statement per transaction. */
export const oneStatement: TxnProgram = {
  name: 'one',
  weight: 1,
  statements: [{ parts: ['select 1'], text: 'select 1', line: 1, wantsRows: false }],
  createRunner(): TxnRunner {
    let step = 0;
    return {
      stmt: 0,
      params: [] as Param[],
      sleepUs: 0,
      error: '',
      begin: () => void (step = 0),
      rewind: () => void (step = 0),
      next: () => (step++ === 0 ? StepKind.Query : StepKind.End),
      onRows: () => undefined,
    };
  },
};

export const layout: MetricsLayout = { txnTypes: [{ name: 'one', statements: ['select 1'] }] };

/** A transaction without SQL (only \\set, say): it ends the moment it starts. */
export const noStatement: TxnProgram = {
  ...oneStatement,
  createRunner(): TxnRunner {
    return { ...oneStatement.createRunner({ clientId: 0, scale: 1, defines: {}, randomSeed: 1n }), next: () => StepKind.End };
  },
};

/** One finished transaction, as the HA outcome sink sees it. */
export interface SimTxn {
  readonly clientId: number;
  readonly scheduledUs: number;
  readonly endUs: number;
}

/** A worker's place in a larger run (several workers or shares); the defaults: the whole run on one worker. */
export interface SimPlace {
  readonly clientIds?: readonly number[];
  readonly worker?: number;
  readonly workers?: number;
  readonly seed?: number;
  /** Every finished transaction is appended here. */
  readonly log?: SimTxn[];
}

export function simulate(
  load: LoadModel,
  server: { serviceUs: number; stallFromUs: number; stallToUs: number; failCode?: string },
  clients = 4,
  program: TxnProgram = oneStatement,
  place: SimPlace = {},
) {
  const clock = new FakeClock(1_000_000);
  const timers = new SimTimers(clock);
  const recorder = new Recorder(layout);
  // A worker w > 0 simulated alone: its aggregator has slots up to w (the tests read its totals).
  const aggregator = new Aggregator(layout, { workers: (place.worker ?? 0) + 1, intervalMs: 1000 });
  let done = false;
  const core = new WorkerCore({
    worker: place.worker ?? 0,
    workers: place.workers ?? 1,
    clientIds: place.clientIds ?? Array.from({ length: clients }, (_, i) => i),
    programs: [program],
    load,
    startOffsetMs: 0,
    gridDurationMs: undefined,
    typeOffset: 0,
    clientIdBase: 0,
    scale: 1,
    defines: {},
    maxTries: 1,
    queryTimeoutMs: 60_000,
    graceMs: 5000,
    intervalMs: 1000,
    seed: place.seed ?? 1,
    clock,
    timers,
    recorder,
    classify: () => FailureIndex.Other,
    connect: async () => new FakeSession(timers, server),
    outcomes: place.log === undefined ? null : logSink(place.log),
    onSnapshot: (s: IntervalSnapshot) => void aggregator.add(s),
    onDone: () => void (done = true),
  });
  return { clock, timers, core, aggregator, isDone: () => done };
}

/** Connect, start at `startUs` and run the simulation until `untilUs`: the totals, and whether the run finished. */
export async function runSim(sim: ReturnType<typeof simulate>, startUs: number, untilUs: number) {
  await sim.core.connectAll();
  sim.core.start(startUs, 0);
  sim.timers.runUntil(untilUs);
  const done = sim.isDone();
  sim.aggregator.finish();
  return { done, t: sim.aggregator.totals() };
}

function logSink(log: SimTxn[]): TxnOutcomeSink {
  return {
    txn: (clientId, _type, _outcome, _failure, scheduledUs, endUs) => void log.push({ clientId, scheduledUs, endUs }),
    reconnected: () => undefined,
    snapshot: () => null,
  };
}
