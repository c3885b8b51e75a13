/**
 * The run lifecycle on the main thread: start the worker threads, wait until every connection is
 * open, start them all on one instant, merge their interval snapshots, stop gracefully (end of
 * duration, -t reached, or an abort such as Ctrl-C), and hand back what was measured.
 */
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { PgsurgeError, unreachable } from '../errors.js';
import type { ConnInfo, HostSpec, Protocol } from '../driver/types.js';
import { targetKindOf } from '../executor/registry.js';
import { shardSeed, shareOf } from '../executor/share.js';
import type { ShardPart, TargetKind } from '../executor/types.js';
import { Aggregator, type IntervalStats, type Totals } from '../metrics/aggregator.js';
import type { IntervalSnapshot } from '../metrics/snapshot.js';
import { FAILURE_CLASSES, type FailureClass, type MetricsLayout } from '../metrics/types.js';
import { nowUs } from './clock.js';
import type { FromWorker, LoadModel, ToWorker, WorkerInit } from './messages.js';
import type { WorkloadSource } from '../workload/sources.js';
import type { LoopFigures } from './loop-monitor.js';
import type { StopReason } from './worker-info.js';
import type { HostFigures } from './host-counts.js';
import { USER_CODE_BYTES, userCodeBeat, userCodeRunning } from '../workload/module/user-code.js';
import { USER_CODE_LIMIT_ENV, userCodeLimitMs } from '../workload/module/watchdog.js';
import { stuckWorkerMarginMs } from './stuck-worker.js';

/**
 * An interval whose snapshot a worker has not sent this long after the interval's end is emitted
 * without it (marked: IntervalStats.missingWorkers), so the progress line and the live outputs go
 * on while a worker is stuck in a workload module's code. Far above a healthy worker's delay.
 */
const overdueMs = (intervalMs: number): number => Math.max(2 * intervalMs, 5_000);
/**
 * A worker's young generation (V8 sizes it as 3 semi-spaces: 3 MiB is a 1 MiB semi-space). V8's
 * default lets an allocating thread's new space grow to 32 MiB, touched and resident, though
 * little of it survives a scavenge: select-only -c 8 peaked at 164 MiB RSS with the default and
 * 121 with 1 MiB semi-spaces everywhere, at the same CPU (more, shorter scavenges).
 */
const WORKER_YOUNG_GENERATION_MB = 3;

/** One workload with its own load model (a scenario); a plain run has one group. */
export interface RunGroup {
  readonly name: string;
  readonly scripts: readonly WorkloadSource[];
  readonly clients: number;
  readonly threads: number;
  readonly load: LoadModel;
  /** The group's load starts this long after the run starts. */
  readonly startOffsetMs: number;
  /** Index of the group's first transaction type in the layout. */
  readonly typeOffset: number;
  readonly defines: Readonly<Record<string, string>>;
}

export interface RunPlan {
  readonly conn: ConnInfo;
  readonly host: HostSpec;
  /** Read routing: replicas for read-only transaction types. */
  readonly replicaConn?: ConnInfo | undefined;
  readonly protocol: Protocol;
  readonly layout: MetricsLayout;
  readonly groups: readonly RunGroup[];
  /** Length of the measured timeline: max over groups of offset + duration; undefined with -t. */
  readonly gridDurationMs: number | undefined;
  readonly warmupMs: number;
  readonly scale: number;
  readonly maxTries: number;
  /** --connect-rate: new connections per second over the whole run (every part and worker together). */
  readonly connectRate?: number | undefined;
  readonly queryTimeoutMs: number;
  readonly graceMs: number;
  readonly intervalMs: number;
  readonly seed: number;
  /** Failover measurement: workers keep an HA outcome sink (src/ha). */
  readonly ha?: boolean;
  /** Run part K of N of the load (share.ts): this process's clients, arrivals and seed. */
  readonly shard?: ShardPart;
  /**
   * The wall-clock instant (ms since the epoch) the measured phase starts at, shared by the shards
   * of a run so that their intervals line up; the load starts a warm-up earlier. Without it the
   * load starts as soon as every connection is open.
   */
  readonly startAtMs?: number;
  /** --log: the file every measured transaction is written to (emptied first; txn-log.ts). */
  readonly txnLogFile?: string;
}

export interface RunHooks {
  /** Called once, when the start of the measured phase is fixed (µs on the shared clock). */
  readonly onMeasureStart?: (measureStartUs: number) => void;
  /** Called for every completed interval, in order. */
  readonly onInterval?: (stats: IntervalStats) => void;
  /** Called with every worker snapshot as it arrives (`worker`: the thread's index in the run), before it is merged. */
  readonly onSnapshot?: (snapshot: IntervalSnapshot) => void;
  /** Aborting stops the run gracefully: in-flight transactions finish, results are kept. */
  readonly signal?: AbortSignal;
  /**
   * Aborting stops the run at once (a second Ctrl-C): the workers are ended without waiting for
   * in-flight transactions or their last partial interval; what was merged so far is kept.
   */
  readonly stopNow?: AbortSignal;
  /** Changes the load's target while it runs (see RunControl). */
  readonly control?: RunControl;
  /**
   * Once every connection is open, the instant to start the measured phase at (ms since the epoch),
   * from outside (a coordinator's go); replaces plan.startAtMs. A rejection fails the run.
   */
  readonly awaitStart?: () => Promise<number>;
}

/** A change of target while the run went on, as a stage on its timeline. */
export interface TargetChange {
  /** Seconds from the start of the measured phase (0 for a change before it). */
  readonly atS: number;
  readonly target: number;
  readonly kind: TargetKind;
  /** The group (scenario) it applied to. */
  readonly group: string;
}

/**
 * The caller's handle on a running load: `adjust` sets a new target from now on, for every group
 * or the one named: arrivals per second for an open loop, active clients for a closed one (at
 * most the group's -c: the clients are connected at the start). Before runLoad has started the
 * workers, a call does nothing.
 */
export class RunControl {
  private sink: ((target: number, group: string | undefined) => void) | null = null;
  private ender: (() => void) | null = null;
  private reader: (() => LoadSoFar) | null = null;

  adjust(target: number, group?: string): void {
    this.sink?.(target, group);
  }

  /**
   * End the load now, gracefully, as if its duration had ended (in-flight transactions finish; not
   * an interruption): a controller that has what it came for (src/limit) ends the run early.
   */
  end(): void {
    this.ender?.();
  }

  /** What the load measured so far (merged on this thread already); undefined before the measured phase and after the end. */
  soFar(): LoadSoFar | undefined {
    return this.reader?.();
  }

  /** runLoad connects its workers here while they run. */
  attach(sink: ((target: number, group: string | undefined) => void) | null, end: (() => void) | null = null, reader: (() => LoadSoFar) | null = null): void {
    this.sink = sink;
    this.ender = end;
    this.reader = reader;
  }
}

/** A running load's figures so far: the aggregator's own (not copies), read on the main thread. */
export interface LoadSoFar {
  readonly totals: Totals;
  readonly intervals: readonly IntervalStats[];
  readonly startedAt: Date;
  /** Seconds of the measured phase so far (0 during a warm-up). */
  readonly durationS: number;
  readonly targetChanges: readonly TargetChange[];
  /** Failover measurement: each worker's latest outages so far (src/ha live snapshots; empty before any fault). */
  readonly haLive: readonly unknown[];
  /** Start of the measured phase, µs on the shared clock. */
  readonly measureStartUs: number;
}

export interface RunOutcome {
  readonly aggregator: Aggregator;
  readonly intervals: readonly IntervalStats[];
  readonly startedAt: Date;
  /** Length of the measured phase in seconds. */
  readonly durationS: number;
  /** The first error message per failure class: the aggregator's totals (the recorders' snapshots), by name. */
  readonly firstErrors: Partial<Record<FailureClass, string>>;
  /** Measured transactions per host ("host:port"), over all workers. */
  readonly hosts: Readonly<Record<string, HostFigures>>;
  readonly stopReason: StopReason;
  /** Targets set while the run went on (RunControl.adjust), in order. */
  readonly targetChanges: readonly TargetChange[];
  readonly interrupted: boolean;
  /** Stopped at once (RunHooks.stopNow) instead of gracefully. */
  readonly stoppedAtOnce: boolean;
  /**
   * One line per worker thread that ended without reporting its end (a workload module calling
   * process.exit, a crash): the others' figures are kept, that worker's since its last snapshot are not.
   */
  readonly lostWorkers: readonly string[];
  /** Start of the measured phase, µs on the shared clock. */
  readonly measureStartUs: number;
  /** The workers' HA sink snapshots (empty unless plan.ha). */
  readonly haSnapshots: unknown[];
  /** Seconds from starting the workers until every client was connected. */
  readonly connectingS: number;
  /** Each worker thread's event-loop delay and GC pauses over the load (those that reported them). */
  readonly clientThreads: LoopFigures[];
}

/**
 * Worker w of a group runs the group's clients w, w+J, w+2J, … so that ramps and -j keep the same
 * meaning; in a share of the run (part K of N) the group's clients are every N-th from K-1 first.
 */
function clientIdsOf(slot: WorkerSlot): number[] {
  const ids: number[] = [];
  for (let i = slot.index; i < slot.clients; i += slot.count) ids.push(slot.idFirst + i * slot.idStride);
  return ids;
}

interface WorkerSlot {
  readonly group: RunGroup;
  readonly index: number;
  readonly count: number;
  /** The group's first client id in the whole run (ramps compare ids with it). */
  readonly clientIdBase: number;
  /** This process's clients of the group (all of them, or its share): how many, the first id and the step. */
  readonly clients: number;
  readonly idFirst: number;
  readonly idStride: number;
  readonly load: LoadModel;
}

/**
 * Every group gets min(threads, clients) workers of its own; with a shard, of the group's share
 * (ids stay those of the whole run, so they are unique across shards).
 */
function workerSlots(groups: readonly RunGroup[], seed: number, shard: ShardPart): WorkerSlot[] {
  const slots: WorkerSlot[] = [];
  let clientIdBase = 0;
  for (const group of groups) {
    const share = shareOf({ clients: group.clients, clientIdBase, seed, load: group.load }, shard);
    const count = Math.max(1, Math.min(group.threads, share.clients));
    for (let index = 0; index < count; index++) {
      slots.push({
        group,
        index,
        count,
        clientIdBase,
        clients: share.clients,
        idFirst: share.clientIdFirst,
        idStride: share.clientIdStride,
        load: share.load,
      });
    }
    clientIdBase += group.clients;
  }
  return slots;
}

/**
 * A worker's share of --connect-rate: the run's rate split over the parts, then over the workers by
 * their clients, so that all connections together open at the rate asked for.
 */
function connectPacing(rate: number | undefined, parts: number, clients: number, partClients: number): { connectIntervalUs?: number } {
  if (rate === undefined || clients === 0 || partClients === 0) return {};
  const workerRate = (rate / parts) * (clients / partClients);
  return { connectIntervalUs: Math.round(1e6 / workerRate) };
}

export async function runLoad(plan: RunPlan, hooks: RunHooks = {}): Promise<RunOutcome> {
  const stuckMarginMs = stuckWorkerMarginMs();
  // An unsharded run is its own one part (shareOf keeps its clients, load and seed as they are).
  const part = plan.shard ?? { k: 1, n: 1 };
  const slots = workerSlots(plan.groups, plan.seed, part);
  const seed = shardSeed(plan.seed, part.k);
  const workers = slots.length;
  const totalClients = slots.reduce((n, s) => n + (s.index === 0 ? s.clients : 0), 0);
  const aggregator = new Aggregator(plan.layout, { workers, intervalMs: plan.intervalMs });
  const threads: Worker[] = [];
  const targetChanges: TargetChange[] = [];
  const hosts: Record<string, { ok: number; failed: number; latencySumUs: number }> = {};
  const haSnapshots: unknown[] = [];
  const haLive = new Array<unknown>(workers).fill(undefined);
  let doneCount = 0;
  // Per worker: it reported 'done' (its thread may then end), or its last error before it ended.
  const doneBy = new Array<boolean>(workers).fill(false);
  const errorBy = new Array<string | undefined>(workers).fill(undefined);
  const lostWorkers: string[] = [];
  // Per worker: what it is running of a workload module (user-code.ts), and why it was terminated.
  const userCode = slots.map(() => new SharedArrayBuffer(USER_CODE_BYTES));
  const stuckBy = new Array<string | undefined>(workers).fill(undefined);
  let deadline: NodeJS.Timeout | undefined;
  let deadlineUs = Infinity;
  let overdueTimer: NodeJS.Timeout | undefined;
  let startupWatch: NodeJS.Timeout | undefined;
  let started = false;
  let finished = false;
  let stoppedAtOnce = false;
  let stopReason: StopReason = 'duration';
  let stopAtUs: number | undefined;
  let measureStartUs = 0;
  let loadStartUs = Infinity;
  let startedAt = new Date();
  const clientThreads: LoopFigures[] = [];
  let connectFromUs = Infinity;
  let connectToUs = -Infinity;

  const send = (w: Worker, msg: ToWorker): void => w.postMessage(msg);
  // The workers append to the log: it starts empty (its path was checked before the run).
  if (plan.txnLogFile !== undefined) writeFileSync(plan.txnLogFile, '');

  return await new Promise<RunOutcome>((resolve, reject) => {
    let readyCount = 0;
    let failed = false;
    const fail = (err: PgsurgeError): void => {
      if (failed || finished) return;
      failed = true;
      clearTimeout(deadline);
      clearInterval(overdueTimer);
      clearInterval(startupWatch);
      for (const t of threads) void t.terminate();
      hooks.signal?.removeEventListener('abort', onAbort);
      hooks.stopNow?.removeEventListener('abort', onStopNow);
      hooks.control?.attach(null);
      reject(err);
    };
    const terminateStuck = (): void => {
      const afterS = Math.round((nowUs() - (stopAtUs ?? measureStartUs + (plan.gridDurationMs ?? 0) * 1000)) / 1e6);
      threads.forEach((t, w) => {
        if (doneBy[w] === true || stuckBy[w] !== undefined) return;
        const running = userCodeRunning(userCode[w]!);
        stuckBy[w] =
          `worker thread ${w + 1} of ${workers} did not stop ${afterS} s after ${stopReason === 'interrupted' ? 'the stop signal' : 'the end of the load'} and was terminated: ` +
          (running === undefined ? 'it was not running workload module code' : `${running} did not return`);
        void t.terminate();
      });
    };
    /** Terminate the workers still running at `atUs` (the earliest deadline set wins). */
    const armDeadline = (atUs: number): void => {
      if (atUs >= deadlineUs || finished || failed) return;
      deadlineUs = atUs;
      clearTimeout(deadline);
      deadline = setTimeout(terminateStuck, Math.max(0, Math.ceil((atUs - nowUs()) / 1000)));
    };
    /**
     * Emit the intervals a worker is overdue with. Only those that end well before the end of the
     * load (or the stop signal): the last ones wait for the workers' final snapshots, which come
     * after in-flight transactions finish.
     */
    const emitOverdue = (): void => {
      if (finished || failed) return;
      const intervalUs = plan.intervalMs * 1000;
      const endUs = Math.min(
        plan.gridDurationMs === undefined ? Infinity : measureStartUs + plan.gridDurationMs * 1000,
        stopReason === 'interrupted' ? (stopAtUs ?? Infinity) : Infinity,
      );
      const due = Math.min(
        Math.floor((nowUs() - measureStartUs - overdueMs(plan.intervalMs) * 1000) / intervalUs) - 1,
        Math.floor((endUs - measureStartUs) / intervalUs) - 2,
      );
      if (due >= 0) for (const s of aggregator.emitDue(due)) hooks.onInterval?.(s);
    };
    const onAbort = (): void => {
      stopReason = 'interrupted';
      stopAtUs ??= nowUs();
      if (started) armDeadline(nowUs() + (plan.graceMs + stuckMarginMs) * 1000);
      for (const t of threads) send(t, { type: 'stop', reason: 'interrupted' });
      if (readyCount < workers) fail(new PgsurgeError('INTERRUPTED', 'interrupted while connecting'));
      else if (nowUs() < loadStartUs) fail(new PgsurgeError('INTERRUPTED', 'interrupted before the load started (waiting for its start instant)'));
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    const onStopNow = (): void => {
      if (!started) {
        onAbort();
        return;
      }
      stopReason = 'interrupted';
      stopAtUs ??= nowUs();
      stoppedAtOnce = true;
      finishAll();
      for (const t of threads) void t.terminate();
    };
    hooks.stopNow?.addEventListener('abort', onStopNow, { once: true });
    // Aborted before the load began (a page's Stop while the run was still starting): 'abort' has fired already.
    if (hooks.signal?.aborted === true || hooks.stopNow?.aborted === true) setImmediate(onAbort);

    // Before a worker is ready it runs the modules' top level and weights() (marked in userCode,
    // see watchdog.ts): one that stays in the same such function past the limit, its heartbeat
    // standing still (it beats while the function awaits), is stuck in it.
    const userModules = plan.groups.some((g) => g.scripts.some((x) => x.kind === 'module' && !x.file.startsWith('builtin:')));
    if (userModules) {
      const limitMs = userCodeLimitMs();
      const seen = slots.map(() => ({ name: undefined as string | undefined, beat: 0, sinceMs: 0 }));
      startupWatch = setInterval(
        () => {
          if (started) {
            clearInterval(startupWatch);
            return;
          }
          const nowMs = performance.now();
          seen.forEach((s, w) => {
            const running = userCodeRunning(userCode[w]!);
            const beat = userCodeBeat(userCode[w]!);
            if (running !== s.name || beat !== s.beat) {
              s.name = running;
              s.beat = beat;
              s.sinceMs = nowMs;
            } else if (running !== undefined && nowMs - s.sinceMs >= limitMs) {
              fail(
                new PgsurgeError(
                  'WORKLOAD_BLOCKED',
                  `worker thread ${w + 1} of ${workers}: ${running} did not return within ${limitMs / 1000} s while the worker prepared the load (an endless loop?): ` +
                    `make it return, or allow longer with ${USER_CODE_LIMIT_ENV}=SECONDS`,
                  { exitCode: 2 },
                ),
              );
            }
          });
        },
        Math.min(1000, limitMs / 4),
      );
    }

    const finishAll = (): void => {
      if (finished || failed) return;
      finished = true;
      clearTimeout(deadline);
      clearInterval(overdueTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      hooks.stopNow?.removeEventListener('abort', onStopNow);
      hooks.control?.attach(null);
      for (const s of aggregator.finish()) hooks.onInterval?.(s);
      const firstErrors: Partial<Record<FailureClass, string>> = {};
      aggregator.totals().firstErrors.forEach((msg, i) => {
        if (msg !== null) firstErrors[FAILURE_CLASSES[i]!] = msg;
      });
      const endUs = Math.min(stopAtUs ?? nowUs(), plan.gridDurationMs === undefined ? Infinity : measureStartUs + plan.gridDurationMs * 1000);
      resolve({
        aggregator,
        intervals: aggregator.intervals(),
        startedAt,
        durationS: Math.max(0, (endUs - measureStartUs) / 1e6),
        firstErrors,
        hosts,
        stopReason,
        targetChanges,
        interrupted: stopReason === 'interrupted',
        stoppedAtOnce,
        lostWorkers,
        measureStartUs,
        haSnapshots,
        connectingS: connectToUs > connectFromUs ? (connectToUs - connectFromUs) / 1e6 : 0,
        clientThreads,
      });
    };

    /** Every connection is open: start the load (at `startAtMs`, the measured phase's wall-clock start, when given). */
    const begin = (startAtMs: number | undefined): void => {
      started = true;
      // Every connection is open: start all workers on the same instant, shortly ahead (or
      // at the wall-clock instant the shards of a run share, a warm-up before it).
      const aheadMs = startAtMs === undefined ? 20 : startAtMs - plan.warmupMs - Date.now();
      if (aheadMs < 5) {
        const lateS = Math.round(-aheadMs) / 1000;
        fail(
          new PgsurgeError(
            'START_MISSED',
            `--start-at ${new Date(startAtMs!).toISOString()}: every connection was open only ${lateS} s after the load had to start${plan.warmupMs > 0 ? ' (the warm-up before it)' : ''}; give a later instant`,
          ),
        );
        return;
      }
      const startUs = nowUs() + aheadMs * 1000;
      loadStartUs = startUs;
      measureStartUs = startUs + plan.warmupMs * 1000;
      startedAt = new Date(startAtMs ?? Date.now() + aheadMs + plan.warmupMs);
      for (const x of threads) send(x, { type: 'go', startUs, warmupMs: plan.warmupMs });
      overdueTimer = setInterval(emitOverdue, plan.intervalMs);
      if (plan.gridDurationMs !== undefined) armDeadline(measureStartUs + (plan.gridDurationMs + plan.graceMs + stuckMarginMs) * 1000);
      hooks.control?.attach(
        (target, group) => {
          const atS = Math.max(0, (nowUs() - measureStartUs) / 1e6);
          for (const g of plan.groups) {
            if (group !== undefined && g.name !== group) continue;
            targetChanges.push({ atS, target, kind: targetKindOf(g.load), group: g.name });
            threads.forEach((x, i) => {
              if (slots[i]!.group === g) send(x, { type: 'adjust', target });
            });
          }
        },
        () => {
          // Like the end of -T, earlier: the grid ends here (durationS); workers finish in-flight work and stop.
          if (stopAtUs !== undefined || finished) return;
          stopAtUs = nowUs();
          armDeadline(nowUs() + (plan.graceMs + stuckMarginMs) * 1000);
          for (const x of threads) send(x, { type: 'stop', reason: 'ended' });
        },
        () => ({
          totals: aggregator.totals(),
          intervals: aggregator.intervals(),
          startedAt,
          durationS: Math.max(
            0,
            (Math.min(stopAtUs ?? nowUs(), plan.gridDurationMs === undefined ? Infinity : measureStartUs + plan.gridDurationMs * 1000) - measureStartUs) / 1e6,
          ),
          targetChanges,
          haLive: haLive.filter((h) => h !== undefined),
          measureStartUs,
        }),
      );
      // After attach: a start hook may already set the first target (RunControl.adjust).
      hooks.onMeasureStart?.(measureStartUs);
      if (stopAtUs !== undefined) {
        for (const x of threads) send(x, { type: 'stop', reason: 'interrupted' });
        armDeadline(nowUs() + (plan.graceMs + stuckMarginMs) * 1000);
      }
    };

    for (let w = 0; w < workers; w++) {
      const slot = slots[w]!;
      const init: WorkerInit = {
        worker: slot.index,
        workers: slot.count,
        clientIds: clientIdsOf(slot),
        scripts: slot.group.scripts,
        layout: plan.layout,
        load: slot.load,
        startOffsetMs: slot.group.startOffsetMs,
        gridDurationMs: plan.gridDurationMs,
        typeOffset: slot.group.typeOffset,
        clientIdBase: slot.clientIdBase,
        scale: plan.scale,
        defines: slot.group.defines,
        maxTries: plan.maxTries,
        ...connectPacing(plan.connectRate, part.n, clientIdsOf(slot).length, totalClients),
        queryTimeoutMs: plan.queryTimeoutMs,
        graceMs: plan.graceMs,
        intervalMs: plan.intervalMs,
        seed,
        ...(plan.txnLogFile === undefined ? {} : { txnLogFile: plan.txnLogFile }),
        conn: plan.conn,
        host: plan.host,
        replicaConn: plan.replicaConn,
        protocol: plan.protocol,
        ha: plan.ha === true,
      };
      const t = new Worker(new URL('./worker-main.js', import.meta.url), {
        workerData: { ...init, userCode: userCode[w] },
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
      });
      threads.push(t);
      t.on('message', (msg: FromWorker) => {
        switch (msg.type) {
          case 'ready':
            readyCount++;
            // The workers start apart and share whatever accepts their connections (a server, a pooler, a
            // proxy): connecting took from the first worker's first attempt to the last worker's last
            // client, not the longest of each worker's own spans.
            connectFromUs = Math.min(connectFromUs, msg.fromUs);
            connectToUs = Math.max(connectToUs, msg.atUs);
            if (readyCount === workers && !failed) {
              if (hooks.awaitStart === undefined) begin(plan.startAtMs);
              else
                hooks.awaitStart().then(
                  (at) => {
                    if (!failed && !finished) begin(at);
                  },
                  (e: unknown) => fail(e instanceof PgsurgeError ? e : new PgsurgeError('START_FAILED', e instanceof Error ? e.message : String(e))),
                );
            }
            break;
          case 'connect-failed':
            fail(connectError(msg.code, msg.message, totalClients));
            break;
          case 'snapshot':
            if (finished) break;
            // A snapshot's `worker` is the thread's index within its scenario (its share of the load);
            // the aggregator needs its index in the whole run to know when every thread has reported.
            {
              const snapshot = msg.snapshot.worker === w ? msg.snapshot : { ...msg.snapshot, worker: w };
              if (msg.ha !== undefined) haLive[w] = msg.ha;
              hooks.onSnapshot?.(snapshot);
              for (const s of aggregator.add(snapshot)) hooks.onInterval?.(s);
            }
            break;
          case 'done':
            if (finished) break;
            doneBy[w] = true;
            for (const [h, f] of Object.entries(msg.info.hosts)) {
              const into = (hosts[h] ??= { ok: 0, failed: 0, latencySumUs: 0 });
              into.ok += f.ok;
              into.failed += f.failed;
              into.latencySumUs += f.latencySumUs;
            }
            if (msg.info.ha !== undefined) haSnapshots.push(msg.info.ha);
            if (msg.info.loop !== undefined) clientThreads.push(msg.info.loop);
            if (msg.info.reason !== 'duration' && stopReason === 'duration') stopReason = msg.info.reason;
            if (msg.info.reason === 'transactions') stopAtUs = Math.max(stopAtUs ?? 0, nowUs());
            doneCount++;
            if (doneCount === workers) finishAll();
            break;
          case 'fatal':
            fail(new PgsurgeError('WORKER_FAILED', `worker ${w} failed: ${msg.message}`));
            break;
          default:
            unreachable(msg);
        }
      });
      t.on('error', (e) => {
        // Once the load runs, a crashed worker is one lost worker (see 'exit'); before, the run fails.
        if (started) errorBy[w] = e.message;
        else fail(new PgsurgeError('WORKER_FAILED', `worker ${w} crashed: ${e.message}`, { cause: e }));
      });
      t.on('exit', (code) => {
        if (failed || finished || doneBy[w] === true) return;
        const why = errorBy[w] === undefined ? `exit code ${code}` : `${errorBy[w]}; exit code ${code}`;
        // process.exit() in a module function ends only its worker: name the function.
        const running = userCodeRunning(userCode[w]!);
        const inFunction = running === undefined ? '' : `, while in ${running}`;
        if (!started) {
          fail(new PgsurgeError('WORKER_FAILED', `worker ${w} ended before the load started (${why}); did a workload module call process.exit?`));
          return;
        }
        lostWorkers.push(stuckBy[w] ?? `worker thread ${w + 1} of ${workers} ended during the run without reporting its end (${why})${inFunction}`);
        for (const s of aggregator.workerLost(w)) hooks.onInterval?.(s);
        doneCount++;
        if (doneCount === workers) finishAll();
      });
    }
  });
}

function connectError(code: string, message: string, clients: number): PgsurgeError {
  if (code === '53300' || code.startsWith('53')) {
    return new PgsurgeError('TOO_MANY_CLIENTS', `could not open ${clients} connections: ${message} (lower -c or raise max_connections)`);
  }
  return new PgsurgeError('CONNECT_FAILED', message);
}
